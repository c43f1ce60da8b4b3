"""Child processes for the benchmarks (scripts/benchlib.py) and the browser tests' live stack
(tests/e2e/stack.py): each in its own session, logged to a file, stopped with its children.

Standard library only, so both can import it without Django or the bench's dependencies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """A child in its own session, so Ctrl-C reaches only us, and stopping it also stops its
    children (Celery's pool)."""

    name: str
    cmd: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own fixed command lines
                self.cmd,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None  # noqa: S101
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The last lines of its log, for saying why it died."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _signal_group(self, sig: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group (main process and pool children): a crash, not a shutdown."""
        self._signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (Celery's warm shutdown), SIGKILL after `timeout`; never leaves a child."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  {self.name} did not stop in {timeout:.0f} s: killed", flush=True)
        # Whatever is left in its group (a pool child that outlived its parent) goes too.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
