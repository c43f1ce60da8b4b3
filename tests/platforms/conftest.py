"""Sandbox fixtures: one in-process sandbox per session, wiped before each test.

No database and no Django: these tests exercise the real tweepy and pyfacebook clients
over HTTP against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from platforms.facebook import FacebookPageClient
from platforms.x import XClient
from tests.sandbox_support import (  # noqa: F401  (fixtures: tests/conftest.py)
    Sandbox,
    free_port,
    wait_for,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_subprocess_sandbox() -> Iterator[Callable[..., tuple[Sandbox, subprocess.Popen[bytes]]]]:
    """Start `python -m platforms.sandbox` as a real process; stopped at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(state: Path, seed: int = 42) -> tuple[Sandbox, subprocess.Popen[bytes]]:
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "platforms.sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--state",
                str(state),
                "--seed",
                str(seed),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for(url)
        return Sandbox(url), proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


X_ID = "1500000000000000001"
X_TOKEN = "x-token-alice"
FB_PAGE = "1100000000001"
FB_TOKEN = "fb-token-alice"


def make_x(url: str, token: str = X_TOKEN, user_id: str = X_ID, **kw: Any) -> XClient:
    return XClient(
        base_url=url,
        consumer_key="ck",
        consumer_secret="cs",
        access_token=token,
        access_token_secret="ats",
        user_id=user_id,
        **kw,
    )


def make_fb(
    url: str, token: str = FB_TOKEN, page_id: str = FB_PAGE, **kw: Any
) -> FacebookPageClient:
    return FacebookPageClient(base_url=url, page_id=page_id, page_access_token=token, **kw)


@pytest.fixture
def x_account(sandbox: Sandbox) -> Any:
    return sandbox.account("x", X_ID, X_TOKEN, handle="northpolice", name="North Police")


@pytest.fixture
def x_client(sandbox: Sandbox, x_account: Any) -> XClient:
    return make_x(sandbox.url)


@pytest.fixture
def fb_account(sandbox: Sandbox) -> Any:
    return sandbox.account("facebook", FB_PAGE, FB_TOKEN, handle="northpolice", name="North Police")


@pytest.fixture
def fb_client(sandbox: Sandbox, fb_account: Any) -> FacebookPageClient:
    return make_fb(sandbox.url)
