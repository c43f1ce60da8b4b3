"""Celery tasks: take ids, call a publishing service. Never given model instances."""

from celery import shared_task

from posts import publishing, workflow


@shared_task(name="posts.dispatch_due", ignore_result=True)
def dispatch_due(wake: bool = True) -> int:
    """Beat's run of the dispatcher. When a target falls due before beat's next run, one more
    run is sent for that moment (a countdown shorter than beat's interval, a few seconds), so
    scheduled posts go out on their second. That extra run does not send another."""
    queued = publishing.dispatch_due()
    if wake:
        at = publishing.next_due_before_next_run()
        if at is not None:
            dispatch_due.apply_async((False,), eta=at)
    return len(queued)


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
