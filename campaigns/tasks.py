"""Celery tasks: take ids, call a monitoring service. Never given model instances."""

from celery import shared_task

from campaigns import monitoring


@shared_task(name="campaigns.dispatch_searches", ignore_result=True)
def dispatch_searches() -> int:
    return len(monitoring.dispatch_searches())


# acks_late: a redelivered message is harmless, the search claims its cursor with a conditional
# update and a replayed page adds nothing.
@shared_task(name="campaigns.search_cursor", ignore_result=True, acks_late=True)
def search_cursor(cursor_id: int) -> str:
    return monitoring.cursor_search(cursor_id=cursor_id).status
