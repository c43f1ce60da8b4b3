"""Command line entry point: `python -m platforms.sandbox`."""

from __future__ import annotations

import argparse
import json
import logging
import os

from platforms.sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Beat's platform sandbox (X and Facebook).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--state", default="var/sandbox.sqlite3", help="SQLite state file")
    parser.add_argument("--seed", type=int, default=42, help="seed for the simulated public")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--accounts",
        help="JSON file of accounts to register at start (a list of control-API account bodies);"
        " written by `manage.py sandbox_accounts` for the demo",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if os.path.dirname(args.state):
        os.makedirs(os.path.dirname(args.state), exist_ok=True)
    server = SandboxServer(args.host, args.port, args.state, args.seed, verbose=args.verbose)
    log = logging.getLogger("platforms.sandbox")
    if args.accounts and os.path.exists(args.accounts):
        with open(args.accounts, encoding="utf-8") as fh:
            accounts = json.load(fh)
        for account in accounts:
            server.store.upsert_account(account)
        log.info("registered %d account(s) from %s", len(accounts), args.accounts)
    log.info("sandbox listening on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
