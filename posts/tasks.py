"""Celery tasks: take ids, call a publishing service. Never given model instances."""

from celery import shared_task

from posts import publishing, workflow


@shared_task(name="posts.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    return len(publishing.dispatch_due())


# acks_late with no autoretry: a message redelivered after a worker died is harmless because
# the task claims its row with a conditional update, and a publish is never retried blindly.
@shared_task(name="posts.publish_target", ignore_result=True, acks_late=True)
def publish_target(target_id: int) -> str:
    return publishing.target_publish(target_id=target_id)


@shared_task(name="posts.reconcile_target", ignore_result=True, acks_late=True)
def reconcile_target(target_id: int) -> str:
    return publishing.target_reconcile(target_id=target_id)


@shared_task(name="posts.notify_late_reviews", ignore_result=True)
def notify_late_reviews() -> int:
    return workflow.late_reviews_notify()
