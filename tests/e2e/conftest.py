"""Fixtures of the browser tests (`make e2e`; kept out of `make test` by norecursedirs).

- `stack`: the live stack (tests/e2e/stack.py), started once per session and always stopped.
- `browser`: Debian's Chromium (/usr/bin/chromium, or BEAT_E2E_CHROMIUM) through Playwright;
  no browser is ever downloaded.
- `new_page(who)`: a page in a fresh browser context (its own cookies), signed in as one of
  `PEOPLE` (or not signed in with who=None).
- `shot(page, "step")`: a full-page screenshot, numbered in the order taken, into
  var/e2e-artifacts/<run>/screenshots/ (the folder CI keeps as the run's artefact).
- `story`: what one journey leaves for the next (the post it made, the post it moved).

A new journey (the inbox, the dashboards) is a test module here that takes these fixtures.
Modules run in the order of their names, so one that builds on `story` is named
test_journeys_<topic>.py, which sorts after test_journeys.py (journeys a-d).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.stack import BASE_DIR, OUTSIDER_EMAIL, OUTSIDER_PASSWORD, Stack

ARTIFACTS_ROOT = BASE_DIR / "var" / "e2e-artifacts"
CHROMIUM = os.environ.get("BEAT_E2E_CHROMIUM", "/usr/bin/chromium")
# Two shared cores, several engineers' test runs: be patient with every wait.
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Person:
    email: str
    password: str


# The demo logins of seed_demo (README), and the officer of the second agency (stack.py).
PEOPLE = {
    "officer": Person("officer@harbour.demo", "demo-officer-pass"),
    "supervisor": Person("supervisor@harbour.demo", "demo-supervisor-pass"),
    "analyst": Person("analyst@harbour.demo", "demo-analyst-pass"),
    "admin": Person("admin@harbour.demo", "demo-admin-pass-1"),
    "outsider": Person(OUTSIDER_EMAIL, OUTSIDER_PASSWORD),
}

_run: dict[str, Path] = {}


def _say(config: pytest.Config, message: str) -> None:
    """A progress line on the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(message, flush=True)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


def _run_dir() -> Path:
    if "dir" not in _run:
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
        path = ARTIFACTS_ROOT / stamp
        (path / "screenshots").mkdir(parents=True, exist_ok=True)
        _run["dir"] = path
        latest = ARTIFACTS_ROOT / "latest"
        try:
            if latest.is_symlink() or latest.exists():
                latest.unlink()
            latest.symlink_to(path.name)
        except OSError:
            pass
    return _run["dir"]


def pytest_terminal_summary(terminalreporter) -> None:
    if "dir" in _run:
        shots = sorted((_run["dir"] / "screenshots").glob("*.png"))
        where = _run["dir"].relative_to(BASE_DIR)
        terminalreporter.write_line(
            f"e2e: {len(shots)} screenshot(s) in {where}/screenshots/, logs in {where}/logs/"
        )


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def stack(pytestconfig) -> Iterator[Stack]:
    running = Stack(_run_dir(), say=lambda m: _say(pytestconfig, m))
    # A CI job killed with SIGTERM (or a closed terminal) still stops the stack: pytest runs
    # this fixture's teardown on KeyboardInterrupt.
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


@pytest.fixture(scope="session")
def browser(stack) -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/e2e_setup.sh (make e2e does)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shot(stack) -> Callable:
    """Save a full-page screenshot of `page` as NN-<test>-<step>.png."""
    folder = _run_dir() / "screenshots"

    def _shot(page, step: str) -> Path:
        number = len(list(folder.glob("*.png"))) + 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = folder / f"{number:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def sign_in(page, person: Person) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def new_page(stack, browser) -> Iterator[Callable]:
    """`new_page("officer")`: a signed-in page in its own browser context."""
    contexts = []

    def _new_page(who: str | None, *, viewport: dict | None = None):
        context = browser.new_context(
            base_url=stack.url, viewport=viewport or VIEWPORT, locale="en-GB"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # The editor asks before leaving unsaved changes; a person would say "leave".
        page.on("dialog", lambda dialog: dialog.accept())
        if who is not None:
            sign_in(page, PEOPLE[who])
        return page

    yield _new_page
    for context in contexts:
        context.close()
    stack.check_alive()


@pytest.fixture(scope="session")
def story() -> dict:
    return {}
