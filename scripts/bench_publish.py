"""`make bench-publish`: N posts due at one moment across 100 sandbox accounts, real Celery.

    N=2000 make bench-publish          # or: .venv/bin/python scripts/bench_publish.py --posts 2000

Prints a line per phase and, last, exactly:

    bench-publish: posts=N targets=N p50_s=.. p99_s=.. per_s=.. duplicates=.. lost=.. floor_ms=..

Lateness is the sandbox's own receive time minus the due time; per_s is targets divided by the
time from the due moment to the last publish the sandbox received. Exits non-zero when anything
was published twice or lost, or when p99 lateness is over the target (10 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchlib import Harness, outcome, percentile, say, utc_in

P99_TARGET_S = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=int(os.environ.get("N") or 2000))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2))
    parser.add_argument("--pool", default=os.environ.get("POOL") or "prefork")
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CONCURRENCY") or 4))
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the run")
    parser.add_argument("--p99-target", type=float, default=P99_TARGET_S)
    args = parser.parse_args()

    h = Harness("bench-publish", workers=args.workers, pool=args.pool, concurrency=args.concurrency)
    try:
        with h.running():
            rc, last_line = run(h, args)
            h.keep_logs = rc != 0
    except KeyboardInterrupt:
        say("bench-publish: interrupted; every process it started has been stopped")
        return 130
    say(last_line)  # after the clean-up, so it is the last line
    return rc


def run(h: Harness, args: argparse.Namespace) -> tuple[int, str]:
    due, floor = h.setup(args.posts)
    if (due - utc_in(0)).total_seconds() < 1:
        return 2, "bench-publish: scheduling finished too close to the due time; not valid"

    deadline = time.monotonic() + args.timeout
    last_report = 0.0
    while True:
        counts = h.counts()
        done = counts.get("published", 0) + counts.get("failed", 0)
        if done >= len(h.targets) or time.monotonic() > deadline:
            break
        if time.monotonic() - last_report >= 5 and utc_in(0) > due:
            say(f"  {(utc_in(0) - due).total_seconds():5.1f} s after due: {counts}")
            last_report = time.monotonic()
        time.sleep(0.5)
    waited = (utc_in(0) - due).total_seconds()
    say(
        f"publish: {done}/{len(h.targets)} targets final {waited:.1f} s after the due time "
        f"(published={counts.get('published', 0)} failed={counts.get('failed', 0)})"
    )
    left = h.unresolved()
    if left:
        say(f"publish: {len(left)} target(s) still not final after {args.timeout:.0f} s")
    for row in h.failed()[:10]:
        say(f"  failed target {row['pk']}: {row['last_error'][:200]}")
    h.stop_celery()  # nothing publishes while the sandbox's record is read

    result = outcome(h, due)
    p50 = percentile(result.lateness, 50)
    p99 = percentile(result.lateness, 99)
    span = (result.last_received - due.timestamp()) if result.last_received else float("nan")
    per_s = len(h.targets) / span if span and span > 0 else float("nan")
    say(
        f"verify: sandbox received {result.publishes} publish(es) for {len(h.targets)} "
        f"targets; lost={len(result.lost)} duplicates={result.duplicates}; "
        f"max lateness {result.lateness[-1] if result.lateness else float('nan'):.2f} s"
    )
    ok = (
        result.duplicates == 0
        and not result.lost
        and not left
        and p99 == p99  # not NaN
        and p99 <= args.p99_target
    )
    if not ok:
        say(f"bench-publish: FAILED (targets: duplicates=0, lost=0, p99 <= {args.p99_target:g} s)")
    line = (
        f"bench-publish: posts={args.posts} targets={len(h.targets)} p50_s={p50:.2f} "
        f"p99_s={p99:.2f} per_s={per_s:.1f} duplicates={result.duplicates} "
        f"lost={len(result.lost)} floor_ms={floor:.2f}"
    )
    return (0 if ok else 1), line


if __name__ == "__main__":
    sys.exit(main())
