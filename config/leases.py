"""One claim on a row that several workers may try to run at once (a pull cursor, a search
cursor): a conditional UPDATE that only one of them wins, with a lease so that a worker that
dies lets the row come due again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Model, Q, QuerySet
from django.utils import timezone


def claim(model: type[Model], pk: int, *, due_field: str, lease_seconds: int) -> str | None:
    """The claim token if the row is free (no live lease) and due (`due_field` empty or past),
    else None. The row needs `claim_token`, `lease_until`, `dispatched_at` and `updated_at`."""
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = model.objects.filter(
        Q(pk=pk),
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        Q(**{f"{due_field}__isnull": True}) | Q(**{f"{due_field}__lte": now}),
    ).update(
        claim_token=token,
        lease_until=now + timedelta(seconds=lease_seconds),
        dispatched_at=None,
        updated_at=now,
    )
    return token if updated == 1 else None


def holder(model: type[Model], pk: int, token: str) -> QuerySet:
    """The row, only while `token` still holds its claim."""
    return model.objects.filter(pk=pk, claim_token=token)


def release_failed(
    model: type[Model],
    pk: int,
    token: str,
    message: str,
    *,
    due_field: str,
    backoff: Callable[[int], timedelta],
    retry_at: datetime | None = None,
    count: bool = True,
) -> None:
    """Release a failed run's claim with the row's cursor untouched, due again at `retry_at`
    (a platform's reset) or after `backoff(failures)`. A failure that is not the row's fault
    (`count=False`, a rate limit) does not add to `failures`. Only the claim's holder writes.
    The row needs `failures` and `last_error` besides what `claim` needs."""
    now = timezone.now()
    row = model.objects.filter(pk=pk).values("failures").first()
    failures = (row["failures"] if row else 0) + (1 if count else 0)
    holder(model, pk, token).update(
        claim_token="",
        lease_until=None,
        last_error=message[:2000],
        failures=failures,
        updated_at=now,
        **{due_field: retry_at if retry_at is not None else now + backoff(failures)},
    )
