"""Celery tasks: take ids, call an inbox or analytics service. Never given model instances."""

from celery import shared_task

from engagement import metrics, services


@shared_task(name="engagement.dispatch_pulls", ignore_result=True)
def dispatch_pulls() -> int:
    return len(services.dispatch_pulls())


# acks_late: a redelivered message is harmless, the pull claims the account's cursor with a
# conditional update and a replayed page adds nothing.
@shared_task(name="engagement.pull_account", ignore_result=True, acks_late=True)
def pull_account(account_id: int) -> str:
    return services.account_pull(account_id=account_id).status


# The metrics tasks are safe to run twice at once: rows are claimed with SKIP LOCKED and a lease,
# and an account's snapshot is unique per day.
@shared_task(name="engagement.refresh_metrics", ignore_result=True)
def refresh_metrics() -> int:
    return metrics.refresh_due_metrics().snapshots


@shared_task(name="engagement.track_published", ignore_result=True)
def track_published() -> int:
    return metrics.track_recent_targets()


@shared_task(name="engagement.snapshot_accounts", ignore_result=True)
def snapshot_accounts() -> int:
    return len(metrics.snapshot_accounts().taken)
