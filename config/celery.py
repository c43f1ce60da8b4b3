"""The Celery application. Tasks take ids, load, and call a service (see STYLE.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("beat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="beat.ping", ignore_result=False)
def ping() -> str:
    """Answers 'pong': lets tests and health checks prove a worker is reachable."""
    return "pong"
