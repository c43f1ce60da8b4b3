"""Celery tasks: take ids, call an inbox service. Never given model instances."""

from celery import shared_task

from engagement import services


@shared_task(name="engagement.dispatch_pulls", ignore_result=True)
def dispatch_pulls() -> int:
    return len(services.dispatch_pulls())


# acks_late: a redelivered message is harmless, the pull claims the account's cursor with a
# conditional update and a replayed page adds nothing.
@shared_task(name="engagement.pull_account", ignore_result=True, acks_late=True)
def pull_account(account_id: int) -> str:
    return services.account_pull(account_id=account_id).status
