"""The audit trail: one hash-chained, append-only AuditEvent per state change.

Services call `audit_record` inside their own transaction, so the event commits or rolls back
with the change it describes.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Agency, AuditChainHead, AuditEvent, User
from config import sql

GENESIS_HASH = "0" * 64

# The client IP of the request being served, set by accounts.middleware; None in workers.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("beat_ip", default=None)


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "agency_id": event.agency_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "data": event.data,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON now so the hash is computed over exactly what the database returns.
    return json.loads(json.dumps(data, sort_keys=True, default=str))


# Events collected by `audit_batch()`, appended to the chain together when it ends.
_pending: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "beat_audit_batch", default=None
)


def audit_record(
    *,
    action: str,
    actor: User | None,
    agency: Agency | None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Locks the chain head until the caller's transaction ends.

    Inside `audit_batch()` the event is appended when the batch ends (still inside the
    caller's transaction); its seq and hash are filled in then.
    """
    event = AuditEvent(
        # Truncated to microseconds as both SQLite and PostgreSQL store it.
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor.email if actor else "",
        agency=agency,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        data=_jsonable(data or {}),
        ip=ip if ip is not None else current_ip.get(),
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
    else:
        _append([event])
    return event


@contextlib.contextmanager
def audit_batch() -> Iterator[None]:
    """Collect the events recorded inside the block and append them in one go at its end.

    One chain-head lock, one insert and one head update however many events the block
    records: the publishing hot path records a target's and its post's events together.
    Use inside the transaction that makes the changes; nothing is appended if the block
    raises. Nested batches join the outer one.
    """
    if _pending.get() is not None:
        yield
        return
    reset = _pending.set([])
    try:
        yield
        events = _pending.get() or []
    finally:
        _pending.reset(reset)
    if events:
        _append(events)


@transaction.atomic(savepoint=False)
def _append(events: list[AuditEvent]) -> None:
    # In plain SQL (config.sql): every state change in Beat passes here, publishing hundreds a
    # second, and the ORM's query building cost more than the three statements themselves.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    head_sql = f"SELECT seq, hash FROM {sql.table(AuditChainHead)} WHERE id = 1{lock}"  # noqa: S608
    rows = sql.select(head_sql)
    if not rows:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        rows = [(head.seq, head.hash)]
    ((seq, prev),) = rows
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(event)
    # Inside `sql.batch()` (the publishing hot path) both go out with the next round trip.
    sql.insert(events, defer=True)
    sql.update(AuditChainHead, {"seq": seq, "hash": prev}, where={"pk": 1}, defer=True)


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str


def verify_chain(batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Walk the whole chain in seq order and yield every inconsistency found."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last_seen: AuditEvent | None = None
    events = AuditEvent.objects.order_by("seq")
    for event in events.iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            yield ChainProblem(
                event.seq,
                f"events {expected_seq}..{event.seq - 1} are missing (deleted rows)",
            )
        if event.prev_hash != prev_hash:
            yield ChainProblem(
                event.seq,
                "does not follow the event before it (a row before it was deleted, "
                "edited or reordered)",
            )
        if event_hash(event) != event.hash:
            yield ChainProblem(event.seq, "content does not match its hash (the row was edited)")
        expected_seq = event.seq + 1
        prev_hash = event.hash
        last_seen = event
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    last_seq = last_seen.seq if last_seen else 0
    if head_seq != last_seq:
        yield ChainProblem(
            last_seq + 1 if head_seq > last_seq else head_seq,
            f"the chain head records {head_seq} events but the last row is {last_seq} "
            "(rows at the end were deleted)",
        )
    elif head and last_seen and head.hash != last_seen.hash:
        yield ChainProblem(last_seq, "the last row does not match the chain head (edited)")
