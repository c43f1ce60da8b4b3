"""The audit trail is hash-chained: audit_verify reports edited, reordered and deleted rows."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts.audit import audit_batch, audit_record, verify_chain
from accounts.models import AuditEvent


@pytest.fixture
def chain(cast):
    for i in range(5):
        audit_record(
            action="tests.thing.done", actor=cast.officer, agency=cast.agency, data={"i": i}
        )
    return list(AuditEvent.objects.order_by("seq"))


def run_verify():
    try:
        call_command("audit_verify")
    except CommandError as exc:
        return str(exc)
    return "intact"


def test_intact_chain_verifies(chain, capsys):
    assert run_verify() == "intact"
    assert f"{AuditEvent.objects.count()} events verified" in capsys.readouterr().out


def test_an_edited_row_is_caught(chain, capsys):
    victim = chain[2]
    AuditEvent.objects.filter(pk=victim.pk).update(data={"i": 99})
    assert "NOT intact" in run_verify()
    assert f"event #{victim.seq}: content does not match its hash" in capsys.readouterr().err


def test_an_edited_row_with_a_recomputed_hash_is_still_caught(chain, capsys):
    # A careful forger fixes the row's own hash; the next row's link gives them away.
    from accounts.audit import event_hash

    victim = AuditEvent.objects.get(pk=chain[1].pk)
    victim.action = "tests.thing.undone"
    AuditEvent.objects.filter(pk=victim.pk).update(action=victim.action, hash=event_hash(victim))
    assert "NOT intact" in run_verify()
    assert f"event #{chain[2].seq}: does not follow" in capsys.readouterr().err


def test_a_deleted_row_is_caught(chain, capsys):
    victim = chain[2]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [victim.pk])
    assert "NOT intact" in run_verify()
    assert f"events {victim.seq}..{victim.seq} are missing" in capsys.readouterr().err


def test_a_deleted_last_row_is_caught(chain, capsys):
    last = chain[-1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [last.pk])
    assert "NOT intact" in run_verify()
    assert "rows at the end were deleted" in capsys.readouterr().err


def test_reordered_rows_are_caught(chain):
    a, b = chain[1], chain[3]
    # Swap the sequence numbers of two rows (via a free number to respect the unique index).
    AuditEvent.objects.filter(pk=a.pk).update(seq=10_000)
    AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
    problems = list(verify_chain())
    assert {p.seq for p in problems} >= {a.seq, b.seq}


def test_audit_rows_refuse_updates_and_deletes_through_the_orm(chain):
    event = chain[0]
    event.action = "tampered"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_events_record_actor_agency_target_ip_and_utc_time(cast, login):
    from django.urls import reverse

    client = login(cast.admin)
    client.post(
        reverse("accounts:member_role", args=[cast.analyst.memberships.get().pk]),
        {"role": "supervisor"},
        REMOTE_ADDR="203.0.113.7",
    )
    event = AuditEvent.objects.get(action="accounts.membership.role_changed")
    assert event.actor == cast.admin and event.agency == cast.agency
    assert event.target_type == "accounts.membership"
    assert event.ip == "203.0.113.7"
    assert event.created_at.utcoffset().total_seconds() == 0


def test_a_batch_appends_its_events_in_order_as_one_valid_chain(chain):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit_batch():
        first = audit_record(action="test.batch.one", actor=None, agency=None)
        with audit_batch():  # a nested batch joins the outer one
            second = audit_record(action="test.batch.two", actor=None, agency=None)
        assert first.pk is None and second.pk is None  # not appended before the batch ends
    assert AuditEvent.objects.count() == before + 2
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert list(verify_chain()) == []


def test_a_batch_that_raises_appends_nothing(chain):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        audit_record(action="test.batch.lost", actor=None, agency=None)
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == before
    assert list(verify_chain()) == []
