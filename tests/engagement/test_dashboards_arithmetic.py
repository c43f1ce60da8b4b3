"""The dashboards' arithmetic (engagement/dashboards.py) on fixed numbers, without a database."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from engagement.dashboards import (
    SILENT_FOLLOWING_MAX_ENGAGED_PCT,
    SILENT_FOLLOWING_MIN_FOLLOWERS,
    Change,
    Period,
    change,
    engagement_rate,
    format_duration,
    growth,
    per_post,
    percentile,
    share,
    silent_following,
)

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_engagement_rate_is_engagements_per_follower_as_a_percent():
    assert engagement_rate(200, 1700) == pytest.approx(11.764706, rel=1e-6)
    assert engagement_rate(0, 1000) == 0


def test_engagement_rate_is_unknown_without_followers():
    assert engagement_rate(200, None) is None
    assert engagement_rate(200, 0) is None


def test_growth_is_end_minus_start_and_its_percent_of_start():
    assert growth(1400, 1700) == Change(300, pytest.approx(21.428571, rel=1e-6))
    assert growth(1000, 900) == Change(-100, -10.0)
    assert growth(None, 900) == Change(None, None)
    assert growth(0, 50) == Change(50, None)


def test_change_against_previous_has_no_percent_when_previous_is_zero():
    assert change(2, 1) == Change(1, 100.0)
    assert change(3500, 800) == Change(2700, 337.5)
    assert change(5, 0) == Change(5, None)
    assert change(None, 3) == Change(None, None)
    assert change(4, 4).sign == "same"
    assert change(3, 4).sign == "down"


def test_percentile_interpolates_linearly_like_percentile_cont():
    values = [600, 1800, 3000, 7200]
    assert percentile(values, 0.5) == 2400  # halfway between the 2nd and 3rd
    assert percentile(values, 0.9) == pytest.approx(5940)  # rank 2.7: 3000 + 0.7 x 4200
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([42], 0.9) == 42
    assert percentile([10, 20, 30], 0.5) == 20
    assert percentile([], 0.5) is None


def test_shares_and_averages_have_no_value_for_nothing():
    assert share(2, 4) == 50.0
    assert share(0, 0) is None
    assert per_post(240, 2) == 120
    assert per_post(240, 0) is None


def test_a_large_silent_following_is_flagged_below_half_a_percent():
    assert SILENT_FOLLOWING_MIN_FOLLOWERS == 1000
    assert SILENT_FOLLOWING_MAX_ENGAGED_PCT == 0.5
    assert silent_following(1000, 4)  # 0.4 %
    assert not silent_following(1000, 5)  # exactly 0.5 % is not below
    assert silent_following(50_000, 10)
    assert not silent_following(999, 0)  # too small a following to judge
    assert not silent_following(None, None)


def test_response_times_are_written_for_people():
    assert format_duration(None) == "—"
    assert format_duration(45) == "45 s"
    assert format_duration(2400) == "40 min"
    assert format_duration(5940) == "1 h 39 min"
    assert format_duration(2 * 86400 + 4 * 3600) == "2 d 4 h"


def test_a_period_is_whole_days_in_the_agency_time_zone():
    period = Period(dt.date(2024, 3, 5), dt.date(2024, 3, 5), SEOUL)
    assert period.start == dt.datetime(2024, 3, 4, 15, 0, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2024, 3, 5, 15, 0, tzinfo=dt.UTC)
    assert period.days == 1


def test_the_previous_period_has_the_same_length_just_before():
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 10), LONDON)
    previous = period.previous()
    assert (previous.start_date, previous.end_date) == (dt.date(2024, 2, 20), dt.date(2024, 2, 29))
    assert previous.days == 10


def test_the_default_period_is_the_last_28_days_ending_today():
    period = Period.ending(SEOUL, dt.date(2024, 3, 28))
    assert (period.start_date, period.end_date) == (dt.date(2024, 3, 1), dt.date(2024, 3, 28))


def test_a_day_across_a_clock_change_is_still_one_day():
    # London moves to summer time on 31 March 2024: that day lasts 23 hours.
    period = Period(dt.date(2024, 3, 31), dt.date(2024, 3, 31), LONDON)
    assert period.end.astimezone(dt.UTC) - period.start.astimezone(dt.UTC) == dt.timedelta(hours=23)
