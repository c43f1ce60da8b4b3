"""Monitoring through the real tweepy client and the sandbox (and, for Facebook, the comments the
inbox pull stored): deduplication, cursors, rate limits, the beat dispatcher.

The sandbox's public starts using a hashtag once it is searched for and posts with it every few
minutes of sandbox time (`sandbox.advance`); with the session's fixed seed, every run sees the same
public.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccountStatus
from campaigns import monitoring, services
from campaigns.models import ColumnMatch, PublicPost, PublicUse, SearchCursor
from engagement.models import Message
from platforms.x import XClient
from tests.campaigns.conftest import (
    X_ID,
    X_TOKEN,
    cursor_for,
    make_campaign,
    publish,
    pull,
    search,
)

TAG = "#LockItUp"


def x_client(sandbox) -> XClient:
    return XClient(
        base_url=sandbox.url,
        consumer_key="ck",
        consumer_secret="cs",
        access_token=X_TOKEN,
        access_token_secret="ats",
        user_id=X_ID,
    )


def public_with_tag(sandbox_server, tag: str = TAG) -> list[dict]:
    """The sandbox's own record of the public's posts with the tag, visible now."""
    store = sandbox_server.store
    rows = store.query(
        "SELECT * FROM items WHERE platform = 'x' AND by_us = 0 AND deleted = 0 "
        "AND created_at <= ? AND text LIKE ?",
        (store.now(), f"%{tag}%"),
    )
    return [dict(r) for r in rows]


# -- X: recent search ----------------------------------------------------------------------------


def test_public_uses_are_stored_once_however_often_the_search_runs(
    cast, accounts, campaign, sandbox, sandbox_server
):
    assert search(accounts.x, TAG).status == "searched"  # the public picks the tag up now
    sandbox.advance(3 * 3600)

    first = search(accounts.x, TAG)

    visible = public_with_tag(sandbox_server)
    assert first.status == "searched" and first.posts_added == len(visible) > 5
    assert first.uses_added == len(visible)
    assert PublicUse.objects.filter(campaign=campaign).count() == len(visible)
    stored = PublicPost.objects.get(external_id=visible[0]["ext_id"])
    assert stored.author_handle == visible[0]["author_handle"]
    assert stored.author_name == visible[0]["author_name"]
    assert stored.text == visible[0]["text"]
    assert stored.impressions > 0  # the search asked for public metrics
    assert stored.url.endswith(f"/status/{stored.external_id}")

    # The same page again (cursor back to the start, as after a crash before it moved): nothing new.
    SearchCursor.objects.filter(account=accounts.x).update(cursor="")
    again = search(accounts.x, TAG)
    assert again.fetched == len(visible)
    assert (again.posts_added, again.uses_added) == (0, 0)
    assert PublicPost.objects.count() == len(visible)
    assert PublicUse.objects.count() == len(visible)


def test_the_cursor_moves_with_what_was_stored_and_later_searches_read_only_newer_posts(
    cast, accounts, campaign, sandbox, sandbox_server
):
    search(accounts.x, TAG)
    sandbox.advance(3600)
    first = search(accounts.x, TAG)
    cursor = cursor_for(accounts.x, TAG)
    cursor.refresh_from_db()
    assert (
        cursor.cursor
        == first.cursor
        == str(max(int(p.external_id) for p in PublicPost.objects.all()))
    )
    assert cursor.last_searched_at and cursor.next_attempt_at > timezone.now()
    assert cursor.claim_token == "" and cursor.lease_until is None

    sandbox.advance(3600)
    second = search(accounts.x, TAG)

    newer = [p for p in public_with_tag(sandbox_server) if int(p["ext_id"]) > int(first.cursor)]
    assert second.fetched == second.posts_added == len(newer) > 0
    assert int(second.cursor) > int(first.cursor)
    audit = AuditEvent.objects.filter(action="campaigns.search").order_by("seq")
    assert [e.data["posts_added"] for e in audit] == [first.posts_added, second.posts_added]


def test_two_campaigns_and_a_column_with_the_same_tag_share_one_search_and_one_row_per_post(
    cast, accounts, campaign, sandbox
):
    second = make_campaign(cast, name="Sheds", hashtags="#lockitup #SafeSheds")
    column = services.monitor_column_create(agency=cast.agency, by=cast.officer, query="#LOCKITUP")
    search(accounts.x, TAG)
    sandbox.advance(3600)

    result = search(accounts.x, "#lockitup")

    posts = PublicPost.objects.count()
    assert posts == result.posts_added > 0
    assert result.uses_added == 2 * posts and result.matches_added == posts
    assert PublicUse.objects.filter(campaign=campaign).count() == posts
    # Each campaign records the tag as it spells it.
    second_tags = PublicUse.objects.filter(campaign=second).values_list("hashtags", flat=True)
    assert all(found == ["#lockitup"] for found in second_tags)
    first_tags = PublicUse.objects.filter(campaign=campaign).values_list("hashtags", flat=True)
    assert all(found == [TAG] for found in first_tags)
    assert ColumnMatch.objects.filter(column=column).count() == posts
    assert SearchCursor.objects.filter(account=accounts.x).count() == 1


def test_our_own_posts_with_the_tag_are_not_public_uses(cast, accounts, campaign, sandbox):
    x_client(sandbox).publish(f"Lock your shed tonight {TAG}")
    sandbox.advance(60)

    search(accounts.x, TAG)

    assert not PublicPost.objects.filter(author_external_id=X_ID).exists()


def test_posts_outside_the_campaign_period_are_not_counted(cast, accounts, sandbox):
    today = timezone.localdate()
    ended = make_campaign(
        cast, starts_on=today - timedelta(days=10), ends_on=today - timedelta(days=5)
    )
    search(accounts.x, TAG)
    sandbox.advance(3600)

    result = search(accounts.x, TAG)

    assert result.posts_added > 0 and result.uses_added == 0
    assert not PublicUse.objects.filter(campaign=ended).exists()


def test_a_campaign_only_counts_what_its_target_accounts_find(cast, accounts, sandbox):
    only_fb = make_campaign(cast, target_accounts=[accounts.fb])
    search(accounts.x, TAG)
    sandbox.advance(3600)

    assert search(accounts.x, TAG).posts_added > 0

    assert not PublicUse.objects.filter(campaign=only_fb).exists()


def test_a_keyword_column_uses_x_recent_search(cast, accounts, sandbox, sandbox_server):
    sandbox.call("POST", "/_sandbox/hashtags", {"tag": TAG, "language": "en"})
    sandbox.advance(3 * 3600)
    column = services.monitor_column_create(
        agency=cast.agency, by=cast.officer, query="shed", title="Sheds"
    )

    result = search(accounts.x, "shed", kind="keyword")

    expected = [r for r in public_with_tag(sandbox_server) if "shed" in r["text"].lower()]
    assert result.matches_added == len(expected) > 0
    texts = ColumnMatch.objects.filter(column=column).values_list("public_post__text", flat=True)
    assert all("shed" in t.lower() for t in texts)


def test_a_new_column_shows_what_was_already_found(cast, accounts, campaign, sandbox):
    search(accounts.x, TAG)
    sandbox.advance(3600)
    found = search(accounts.x, TAG).posts_added

    column = services.monitor_column_create(agency=cast.agency, by=cast.officer, query=TAG)

    assert ColumnMatch.objects.filter(column=column).count() == found > 0


# -- Facebook: the inbox's comments ----------------------------------------------------------------


def test_facebook_uses_are_read_from_the_comments_the_inbox_stored(
    cast, accounts, campaign, sandbox
):
    for n in range(3):
        publish(cast, accounts.fb, body=f"Shed break-ins are up. Lock it up, part {n}. {TAG}")
    sandbox.advance(3 * 3600)
    pull(accounts.fb)
    tagged = [
        m for m in Message.objects.filter(platform="facebook") if TAG.lower() in m.text.lower()
    ]
    assert tagged, "the seed should give at least one comment that repeats the tag"

    result = search(accounts.fb, TAG)

    assert result.status == "searched" and result.posts_added == len(tagged)
    uses = PublicUse.objects.filter(campaign=campaign, public_post__platform="facebook")
    assert {u.public_post.external_id for u in uses} == {m.external_id for m in tagged}
    assert {u.public_post.author_name for u in uses} == {m.author_name for m in tagged}
    # Read again with the overlap: nothing twice.
    assert search(accounts.fb, TAG).posts_added == 0
    SearchCursor.objects.filter(account=accounts.fb).update(cursor="")
    assert search(accounts.fb, TAG).posts_added == 0
    assert PublicUse.objects.filter(campaign=campaign).count() == len(tagged)


# -- failures --------------------------------------------------------------------------------------


def test_a_rate_limit_keeps_the_cursor_and_waits_for_the_reset(cast, accounts, campaign, sandbox):
    search(accounts.x, TAG)
    sandbox.advance(3600)
    search(accounts.x, TAG)
    cursor = cursor_for(accounts.x, TAG)
    cursor.refresh_from_db()
    before = (cursor.cursor, PublicPost.objects.count())
    sandbox.advance(3600)
    reply = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 30}})
    reset = datetime.fromtimestamp(reply["faults"]["rate_limit"]["reset"], tz=UTC)

    result = search(accounts.x, TAG)

    assert result.status == "rate_limited"
    cursor.refresh_from_db()
    assert (cursor.cursor, PublicPost.objects.count()) == before
    assert cursor.next_attempt_at == reset
    assert "Rate limit" in cursor.last_error and cursor.claim_token == ""
    # Neither a direct call nor the dispatcher searches before the reset.
    assert monitoring.cursor_search(cursor_id=cursor.pk).status == "not_due"
    assert cursor.pk not in monitoring.dispatch_searches()
    assert cursor.pk in monitoring.dispatch_searches(now=reset + timedelta(seconds=1))


def test_a_server_error_backs_off_and_the_next_search_catches_up(cast, accounts, campaign, sandbox):
    search(accounts.x, TAG)
    sandbox.advance(3600)
    sandbox.faults("x", X_ID, {"error_5xx": 1})

    failed = search(accounts.x, TAG)

    cursor = cursor_for(accounts.x, TAG)
    cursor.refresh_from_db()
    assert failed.status == "failed" and cursor.failures == 1 and cursor.cursor == ""
    assert cursor.next_attempt_at > timezone.now()
    assert PublicPost.objects.count() == 0
    recovered = search(accounts.x, TAG)
    cursor.refresh_from_db()
    assert recovered.status == "searched" and recovered.posts_added > 0
    assert cursor.failures == 0 and cursor.last_error == ""


def test_a_search_in_progress_is_not_run_twice(cast, accounts, campaign):
    cursor = cursor_for(accounts.x, TAG)
    SearchCursor.objects.filter(pk=cursor.pk).update(
        claim_token="someone-else", lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert monitoring.cursor_search(cursor_id=cursor.pk).status == "busy"


# -- the beat dispatcher ---------------------------------------------------------------------------


def test_dispatch_searches_each_running_campaign_tag_and_column_on_their_accounts(
    cast, other, accounts, bravo_x, sandbox, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    make_campaign(cast, hashtags="#LockItUp #SafeSheds", target_accounts=[accounts.x])
    make_campaign(
        cast,
        name="Later",
        hashtags="#NotYet",
        starts_on=today + timedelta(days=3),
        ends_on=today + timedelta(days=9),
    )
    services.monitor_column_create(agency=cast.agency, by=cast.officer, query="road closed")
    make_campaign(other, name="Theirs", hashtags="#Bravo", by=other.admin)
    disabled = accounts.fb
    disabled.status = PlatformAccountStatus.DISABLED
    disabled.save(update_fields=["status"])

    with django_capture_on_commit_callbacks() as callbacks:
        first = monitoring.dispatch_searches()

    wanted = {(c.account_id, c.kind, c.query) for c in SearchCursor.objects.filter(pk__in=first)}
    assert wanted == {
        (accounts.x.pk, "hashtag", "#lockitup"),
        (accounts.x.pk, "hashtag", "#safesheds"),
        (accounts.x.pk, "keyword", "road closed"),  # a column with no accounts: all active ones
        (bravo_x.pk, "hashtag", "#bravo"),
    }
    assert len(callbacks) == 1  # the tasks go out after the claim committed
    assert monitoring.dispatch_searches() == []  # already dispatched
    stale = timezone.now() + timedelta(seconds=121)
    assert sorted(monitoring.dispatch_searches(now=stale)) == sorted(first)


def test_the_beat_task_path_searches_after_commit(
    cast, accounts, campaign, sandbox, settings, django_capture_on_commit_callbacks
):
    from campaigns.tasks import dispatch_searches
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_searches.apply().get() == 2  # the tag on X and on the page
        sandbox.advance(3600)
        SearchCursor.objects.update(next_attempt_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_searches.apply().get() == 2
    finally:
        app.conf.task_always_eager = False
    assert PublicUse.objects.filter(campaign=campaign).exists()
    rows = SearchCursor.objects.all()
    assert all(r.last_searched_at and r.next_attempt_at > timezone.now() for r in rows)
    assert all(r.dispatched_at is None for r in rows)
    assert dispatch_searches.apply().get() == 0  # not due again until the interval passed


# -- agencies ------------------------------------------------------------------------------------


def test_each_agency_keeps_its_own_copy_and_sees_only_its_own(
    cast, other, accounts, bravo_x, campaign, sandbox
):
    theirs = make_campaign(other, name="Theirs", by=other.admin)
    search(accounts.x, TAG)
    search(bravo_x, TAG)
    sandbox.advance(3600)

    mine = search(accounts.x, TAG)
    their = search(bravo_x, TAG)

    assert mine.posts_added == their.posts_added > 0
    assert PublicPost.objects.filter(agency=cast.agency).count() == mine.posts_added
    assert PublicPost.objects.filter(agency=other.agency).count() == their.posts_added
    assert not PublicUse.objects.filter(campaign=campaign, agency=other.agency).exists()
    assert not PublicUse.objects.filter(campaign=theirs, agency=cast.agency).exists()
    assert not PublicUse.objects.filter(
        campaign=campaign, public_post__agency=other.agency
    ).exists()
