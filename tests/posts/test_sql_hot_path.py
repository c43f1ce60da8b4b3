"""The publishing hot path's plain SQL (config.sql) writes and reads what the ORM would.

Run on SQLite on a laptop and on PostgreSQL in CI: the values go through the model fields'
own preparation and converters, so datetimes, JSON and booleans must survive both.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import audit_record, verify_chain
from accounts.models import AuditEvent, Notification
from config import sql
from posts import publishing
from posts.models import PostMedia, PostStatus, PostTarget, TargetStatus
from posts.services import post_create


def scheduled_target(cast, account) -> PostTarget:
    post = post_create(
        agency=cast.agency,
        author=cast.officer,
        body="Road closed on the ring road after a collision; use the bypass.",
        status=PostStatus.APPROVED,
    )
    post.platform_texts = {"x": "Ring road closed: use the bypass. #roads"}
    post.save(update_fields=["platform_texts"])
    (target,) = publishing.post_schedule(
        post=post, by=cast.supervisor, at=timezone.now() + timedelta(hours=1), accounts=[account]
    )
    return target


def test_load_reads_the_target_post_account_and_agency_as_the_orm_does(cast, accounts):
    x, _fb = accounts
    target = scheduled_target(cast, x)
    orm = PostTarget.objects.select_related("post", "account", "agency").get(pk=target.pk)

    loaded, has_media = publishing._load(target.pk)

    assert has_media is False
    for model_field in PostTarget._meta.concrete_fields:
        name = model_field.attname
        assert getattr(loaded, name) == getattr(orm, name), name
    assert loaded.due_at.tzinfo is not None
    assert loaded.needs_reconcile is False
    assert loaded.post.platform_texts == {"x": "Ring road closed: use the bypass. #roads"}
    assert loaded.post.text_for("x") == "Ring road closed: use the bypass. #roads"
    assert loaded.post.created_at == orm.post.created_at
    assert loaded.account.get_credentials() == orm.account.get_credentials()
    assert loaded.agency == cast.agency
    assert loaded.post.agency.name == cast.agency.name  # in place, not fetched again

    PostMedia.objects.create(
        agency=cast.agency,
        post=orm.post,
        file=ContentFile(b"GIF89a", name="closure.gif"),
        content_type="image/gif",
        alt_text="Map of the closed road",
    )
    assert publishing._load(target.pk)[1] is True


def test_update_changes_only_matching_rows_and_adds(cast, accounts):
    x, _fb = accounts
    target = scheduled_target(cast, x)
    later = timezone.now() + timedelta(days=2)

    missed = sql.update(
        PostTarget,
        {"status": TargetStatus.QUEUED},
        where={"pk": target.pk, "status": TargetStatus.PUBLISHING},
    )
    changed = sql.update(
        PostTarget,
        {"next_attempt_at": later, "needs_reconcile": True},
        add={"attempts": 3},
        where={"pk": target.pk, "status": TargetStatus.PENDING},
    )

    assert (missed, changed) == (0, 1)
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING
    assert target.attempts == 3
    assert target.needs_reconcile is True
    assert target.next_attempt_at == later


def test_insert_sets_keys_and_skips_conflicts(cast):
    notes = [
        Notification(agency=cast.agency, user=cast.officer, message=f"note {i}") for i in (1, 2)
    ]
    sql.insert(notes)
    assert [n.pk for n in notes] == list(
        Notification.objects.filter(message__startswith="note ")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert notes[0]._state.adding is False

    event = audit_record(action="tests.sql.insert", actor=None, agency=cast.agency, data={"a": 1})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.hash, stored.data) == (event.seq, event.hash, {"a": 1})
    assert list(verify_chain()) == []

    twin = AuditEvent(**{f.attname: getattr(stored, f.attname) for f in AuditEvent._meta.fields})
    twin.pk = None
    sql.insert([twin], ignore_conflicts=True)  # same seq and hash: skipped, not an error
    assert AuditEvent.objects.filter(seq=stored.seq).count() == 1


def _round_trips(queries: CaptureQueriesContext) -> list[str]:
    """What went to the database, less the savepoints of the test's own transaction."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _last_error(target: PostTarget) -> list[tuple]:
    return sql.select(
        f"SELECT {sql.column(PostTarget, 'last_error')} FROM {sql.table(PostTarget)} "  # noqa: S608
        "WHERE id = %s",
        [target.pk],
    )


def test_a_batch_sends_held_writes_with_the_next_statement_in_their_order(cast, accounts):
    x, _fb = accounts
    target = scheduled_target(cast, x)

    def work() -> list[tuple]:
        with transaction.atomic(), sql.batch():
            sql.update(PostTarget, {"last_error": "first"}, where={"pk": target.pk}, defer=True)
            sql.update(PostTarget, {"last_error": "second"}, where={"pk": target.pk}, defer=True)
            seen = _last_error(target)
            sql.update(PostTarget, {"attempts": 7}, where={"pk": target.pk}, defer=True)
        return seen

    work()  # on PostgreSQL, prepares the statements (a round trip each, once per connection)
    with CaptureQueriesContext(connection) as queries:
        seen = work()

    assert seen == [("second",)]  # the held writes ran first, in order
    target.refresh_from_db()
    assert (target.last_error, target.attempts) == ("second", 7)  # sent when the batch ended
    # PostgreSQL: the read with the two writes before it, then the last write at the end.
    # SQLite (no round trips to save): one statement each.
    sent = _round_trips(queries)
    assert len(sent) == (2 if connection.vendor == "postgresql" else 4)


def test_a_batch_that_raises_writes_nothing(cast, accounts):
    x, _fb = accounts
    target = scheduled_target(cast, x)
    with pytest.raises(RuntimeError), transaction.atomic(), sql.batch():
        sql.update(PostTarget, {"last_error": "never"}, where={"pk": target.pk}, defer=True)
        raise RuntimeError("the caller failed")
    assert _last_error(target) == [("",)]
    # Nothing is left held for the next statement either.
    assert sql.update(PostTarget, {"attempts": 2}, where={"pk": target.pk}) == 1
    assert _last_error(target) == [("",)]


def test_a_claim_is_one_round_trip_and_only_one_claim_wins(cast, accounts):
    x, fb = accounts
    first, second = scheduled_target(cast, x), scheduled_target(cast, fb)
    PostTarget.objects.filter(pk__in=[first.pk, second.pk]).update(status=TargetStatus.QUEUED)
    assert publishing._claim(first.pk, from_status=TargetStatus.QUEUED) is not None  # prepares

    with CaptureQueriesContext(connection) as queries:
        claimed = publishing._claim(second.pk, from_status=TargetStatus.QUEUED)
    token, target, has_media = claimed
    assert (target.pk, target.status, target.claim_token, has_media) == (
        second.pk,
        TargetStatus.PUBLISHING,
        token,
        False,
    )
    assert target.post.text_for("facebook")
    sent = _round_trips(queries)
    assert len(sent) == (1 if connection.vendor == "postgresql" else 2)
    assert publishing._claim(second.pk, from_status=TargetStatus.QUEUED) is None
