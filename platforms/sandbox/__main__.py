"""Command line entry point: `python -m platforms.sandbox`."""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if os.path.dirname(args.state):
        os.makedirs(os.path.dirname(args.state), exist_ok=True)
    server = SandboxServer(args.host, args.port, args.state, args.seed, verbose=args.verbose)
    logging.getLogger("platforms.sandbox").info("sandbox listening on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
