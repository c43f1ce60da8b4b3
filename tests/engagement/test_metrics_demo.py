"""The demo's analytics history: seed_demo gives the dashboards something to show."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.core.management import call_command
from django.utils import timezone

from engagement.models import AccountSnapshot, MetricSnapshot, TargetMetrics
from posts.models import PostStatus, PostTarget, TargetStatus


def test_the_demo_published_post_has_readings_on_the_collection_schedule(db):
    call_command("seed_demo")

    targets = PostTarget.objects.filter(post__status=PostStatus.PUBLISHED)
    assert targets.count() == 2 and {t.status for t in targets} == {TargetStatus.PUBLISHED}
    for target in targets:
        tracked = TargetMetrics.objects.get(target=target)
        readings = list(MetricSnapshot.objects.filter(target=target))
        # Two days old: every 15 minutes in its first day, then daily.
        assert len(readings) == tracked.snapshot_count >= 97
        gaps = {b.taken_at - a.taken_at for a, b in zip(readings, readings[1:], strict=False)}
        assert gaps == {timedelta(minutes=15), timedelta(days=1)}
        assert [r.impressions for r in readings] == sorted(r.impressions for r in readings)
        assert tracked.impressions == readings[-1].impressions > 0
        assert tracked.measured_at == readings[-1].taken_at
        # Without a platform id there is nothing to read live.
        assert tracked.next_refresh_at is None
        assert {r.agency_id for r in readings} == {target.agency_id}


def test_the_demo_accounts_have_two_weeks_of_audience_up_to_yesterday(db):
    call_command("seed_demo")

    today = timezone.now().astimezone(UTC).date()
    for platform in ("x", "facebook"):
        rows = list(AccountSnapshot.objects.filter(account__platform=platform))
        assert [r.taken_on for r in rows] == [today - timedelta(days=d) for d in range(14, 0, -1)]
        followers = [r.followers for r in rows]
        assert followers == sorted(followers) and followers[-1] > followers[0]
    # Today's is left to the live collection (beat's snapshot_accounts, against the sandbox).
    assert not AccountSnapshot.objects.filter(taken_on=today).exists()
