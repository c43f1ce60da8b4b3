"""Tuning knobs of the background work (leases, batches, intervals), read from Django's settings
at call time rather than at import, so tests and benchmarks can change them for one run."""

from __future__ import annotations

from django.conf import settings


def int_setting(name: str, default: int) -> int:
    """The integer setting `name`, or `default` where the settings do not define it."""
    return int(getattr(settings, name, default))
