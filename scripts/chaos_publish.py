"""`make chaos-publish`: the bench-publish set-up while workers die and Redis restarts.

    N=1000 make chaos-publish          # or: .venv/bin/python scripts/chaos_publish.py --posts 1000

From the due time on, a worker (its main process and pool together) is SIGKILLed every few
seconds and started again, and Redis is shut down without saving once midway and started again,
losing every queued and unacknowledged message. What recovers is the product itself: the
dispatcher re-enqueues targets queued for longer than BEAT_QUEUED_STALE_SECONDS and hands
targets whose publishing lease (BEAT_PUBLISH_LEASE_SECONDS) expired to the reconciler, which
looks on the platform before anything is sent again. Both are set short for the run.

Counted from the sandbox's own record and Beat's final states:
- duplicates: the same text received twice on one account (the sandbox's count);
- lost: targets the sandbox never received that Beat does not report as failed with a reason;
- unresolved: targets not in a final state when the run ends.
All three must be 0. The last line is exactly:

    chaos-publish: targets=N kills=K duplicates=.. lost=.. unresolved=..
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchlib import Harness, outcome, redis_start, redis_stop, redis_up, say, utc_in


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=int(os.environ.get("N") or 1000))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2))
    parser.add_argument("--pool", default=os.environ.get("POOL") or "prefork")
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CONCURRENCY") or 4))
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument("--stale", type=int, default=15, help="BEAT_QUEUED_STALE_SECONDS")
    parser.add_argument("--lease", type=int, default=20, help="BEAT_PUBLISH_LEASE_SECONDS")
    parser.add_argument("--redis-down", type=float, default=3.0, help="seconds Redis stays down")
    parser.add_argument("--timeout", type=float, default=600, help="bound on the whole run")
    args = parser.parse_args()

    started = time.monotonic()
    h = Harness(
        "chaos-publish",
        workers=args.workers,
        pool=args.pool,
        concurrency=args.concurrency,
        extra_env={
            "BEAT_QUEUED_STALE_SECONDS": str(args.stale),
            "BEAT_PUBLISH_LEASE_SECONDS": str(args.lease),
            # A timed-out call must end well inside its lease.
            "BEAT_PLATFORM_TIMEOUT_SECONDS": str(max(2, args.lease // 2)),
        },
    )
    try:
        with h.running():
            rc, last_line = run(h, args, started)
            h.keep_logs = rc != 0
    except KeyboardInterrupt:
        say("chaos-publish: interrupted; every process it started has been stopped")
        return 130
    finally:
        if not redis_up():
            say("chaos-publish: Redis was down at the end: starting it again")
            redis_start()
    say(last_line)  # after the clean-up, so it is the last line
    return rc


def run(h: Harness, args: argparse.Namespace, started: float) -> tuple[int, str]:
    due, _floor = h.setup(args.posts)
    n = len(h.targets)
    # Leave time at the end to stop the workers and read the sandbox's record.
    deadline = started + args.timeout - 30
    kills = beat_restarts = 0
    victim = 0
    next_kill = due.timestamp() + 1.0
    redis_restarted = False
    last_report = 0.0
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = h.counts()
        final = sum(counts.get(s, 0) for s in ("published", "failed", "cancelled"))
        if final >= n:
            break
        now = time.time()
        if now >= next_kill:
            proc = h.worker_procs[victim]
            proc.kill()
            h.restart_worker(victim)
            kills += 1
            victim = (victim + 1) % args.workers
            next_kill = now + args.kill_every
        # Midway: half published, or 30 s in, whichever comes first.
        if not redis_restarted and (
            counts.get("published", 0) >= n // 2 or now >= due.timestamp() + 30
        ):
            say(f"  Redis: shutdown nosave at {counts}")
            redis_stop()
            time.sleep(args.redis_down)
            redis_start()
            redis_restarted = True
            say("  Redis: started again (every queued and unacknowledged message is gone)")
        if h.beat is not None and not h.beat.alive():
            say("  beat exited: starting it again")
            h.start_beat()
            beat_restarts += 1
        if time.monotonic() - last_report >= 5 and now > due.timestamp():
            say(f"  {now - due.timestamp():5.1f} s after due, {kills} kills: {counts}")
            last_report = time.monotonic()
        time.sleep(0.25)
    counts = h.counts()
    say(
        f"publish: {(utc_in(0) - due).total_seconds():.1f} s after the due time, {kills} kills, "
        f"Redis restarted {'once' if redis_restarted else 'never'}, beat restarted "
        f"{beat_restarts} time(s): {counts}"
    )
    h.stop_celery()

    result = outcome(h, due)
    received = {t.pk for t in h.targets} - {t.pk for t in result.lost}
    failed = {row["pk"]: row["last_error"] for row in h.failed()}
    unresolved = h.unresolved()
    unresolved_ids = {row["pk"] for row in unresolved}
    lost = [
        t
        for t in result.lost
        if t.pk not in unresolved_ids and not (failed.get(t.pk) or "").strip()
    ]
    for pk, reason in list(failed.items())[:10]:
        say(f"  failed target {pk}: {reason[:200]}")
    for row in unresolved[:10]:
        say(f"  unresolved target {row['pk']}: {row['status']} after {row['attempts']} attempt(s)")
    say(
        f"verify: sandbox received {result.publishes} publish(es), {len(received)} of {n} "
        f"targets; failed with a reason={len(failed)}; duplicates={result.duplicates} "
        f"lost={len(lost)} unresolved={len(unresolved)}; "
        f"last publish {result.lateness[-1] if result.lateness else float('nan'):.1f} s after due"
    )
    say("verify: recovery paths taken: " + ", ".join(f"{k}={v}" for k, v in h.recoveries().items()))
    ok = result.duplicates == 0 and not lost and not unresolved and redis_restarted and kills > 0
    if not ok:
        say("chaos-publish: FAILED (duplicates, lost and unresolved must all be 0)")
    line = (
        f"chaos-publish: targets={n} kills={kills} duplicates={result.duplicates} "
        f"lost={len(lost)} unresolved={len(unresolved)}"
    )
    return (0 if ok else 1), line


if __name__ == "__main__":
    sys.exit(main())
