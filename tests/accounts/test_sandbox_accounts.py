import json
import subprocess
import sys
import time
from pathlib import Path

from django.core.management import call_command

from platforms.base import Unavailable
from platforms.x import XClient

ROOT = Path(__file__).resolve().parents[2]


def test_demo_accounts_are_registered_with_the_sandbox_and_usable(db, tmp_path):
    """What `make run` does: seed, export the sandbox registrations, start the sandbox with them."""
    call_command("seed_demo")
    out = tmp_path / "accounts.json"
    call_command("sandbox_accounts", out=str(out))
    entries = json.loads(out.read_text())
    assert {e["platform"] for e in entries} == {"x", "facebook"}
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "platforms.sandbox",
            "--port",
            str(port),
            "--state",
            str(tmp_path / "sandbox.sqlite3"),
            "--accounts",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from accounts.models import PlatformAccount

        account = PlatformAccount.objects.get(platform="x")
        creds = account.get_credentials()
        client = XClient(base_url=f"http://127.0.0.1:{port}", user_id=account.external_id, **creds)
        for _ in range(50):
            try:
                ref = client.publish("Hello from the demo")
                break
            except Unavailable:  # the sandbox is still starting
                time.sleep(0.1)
        else:
            raise AssertionError("sandbox did not answer")
        assert ref.external_id.isdigit()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
