"""Helpers the journeys share: what one journey needs from another, and waiting for the stack."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page


def needs(story: dict, key: str, journey: str) -> object:
    """What an earlier journey left in `story`, or a failure that names that journey."""
    if key not in story:
        pytest.fail(f"{journey} did not complete, so this journey has nothing to work on")
    return story[key]


def wait_until(
    page: Page,
    shot: Callable,
    stack,
    what: str,
    done: Callable[[], bool],
    timeout_s: float,
    why: str = "",
) -> None:
    """Reload `page` every 3 s until `done()`; on time-out, a screenshot and a clear failure."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            shot(page, f"{what} timed out")
            stack.check_alive()
            pytest.fail(
                f"{what}: not within {timeout_s:.0f} s. {why}\n"
                f"{page.url}:\n{page.inner_text('main')}"
            )
        page.wait_for_timeout(3000)
        page.reload()
