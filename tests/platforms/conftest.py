"""Sandbox fixtures: one in-process sandbox per session, wiped before each test.

No database and no Django: these tests exercise the real tweepy and pyfacebook clients
over HTTP against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from platforms.facebook import FacebookPageClient
from platforms.sandbox import SandboxServer, serve_in_thread
from platforms.x import XClient

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Sandbox:
    """A running sandbox and a few control-API shortcuts."""

    url: str

    def call(self, method: str, path: str, json: Any = None) -> Any:
        resp = requests.request(method, self.url + path, json=json, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def account(self, platform: str, external_id: str, token: str, **extra: Any) -> Any:
        body = {"platform": platform, "external_id": external_id, "token": token, **extra}
        return self.call("POST", "/_sandbox/accounts", body)

    def faults(self, platform: str, external_id: str, faults: dict[str, Any]) -> Any:
        return self.call("POST", f"/_sandbox/accounts/{platform}/{external_id}/faults", faults)

    def advance(self, seconds: float) -> Any:
        return self.call("POST", "/_sandbox/clock", {"advance_s": seconds})

    def posts(self, platform: str, external_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/_sandbox/accounts/{platform}/{external_id}/posts")["posts"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url + "/_sandbox/ping", timeout=1).raise_for_status()
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    state = tmp_path_factory.mktemp("sandbox") / "state.sqlite3"
    server, thread = serve_in_thread(state=str(state), seed=42)
    wait_for(server.url)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Sandbox:
    box = Sandbox(sandbox_server.url)
    box.call("POST", "/_sandbox/reset")
    return box


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
