"""The platform sandbox for tests: one in-process server per session, wiped before each test.

Shared by the platform client tests and the publishing and inbox tests, which talk to it through
the real tweepy and pyfacebook clients.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from platforms.sandbox import SandboxServer, serve_in_thread


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
