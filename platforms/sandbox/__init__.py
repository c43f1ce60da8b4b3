"""A stateful stand-in for X and the Facebook Graph API that the real client libraries talk to.

Run it with `python -m platforms.sandbox --port 8700 --state var/sandbox.sqlite3 --seed 42`.
Standard library only, so it can run anywhere the app runs.
"""

from platforms.sandbox.server import SandboxServer, serve_in_thread

__all__ = ["SandboxServer", "serve_in_thread"]
