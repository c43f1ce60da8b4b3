"""When a first answer is due under an agency's response-time target.

The target clock runs only during office hours, in the agency's time zone: a question sent at
16:30 on a Friday with a 60-minute target and 09:00-17:00 Monday-Friday hours is due at 09:30 on
Monday. Urgent conversations are due `target` minutes after they arrive, whatever the time: the
emergency guidance must go out even at night.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

MAX_DAYS_AHEAD = 14


def response_due_at(
    *,
    start: dt.datetime,
    target_minutes: int,
    office_start: dt.time,
    office_end: dt.time,
    office_days: list[int],
    tz: zoneinfo.ZoneInfo,
    urgent: bool = False,
) -> dt.datetime:
    target = dt.timedelta(minutes=target_minutes)
    if urgent or not office_days or office_start >= office_end:
        return start + target
    local = start.astimezone(tz)
    remaining = target
    day = local.date()
    for _ in range(MAX_DAYS_AHEAD):
        if day.weekday() in office_days:
            opens = dt.datetime.combine(day, office_start, tzinfo=tz)
            closes = dt.datetime.combine(day, office_end, tzinfo=tz)
            begin = max(local, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= available
        day += dt.timedelta(days=1)
    return start + target
