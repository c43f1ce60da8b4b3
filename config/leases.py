"""One claim on a row that several workers may try to run at once (a pull cursor, a search
cursor): a conditional UPDATE that only one of them wins, with a lease so that a worker that
dies lets the row come due again.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

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
