"""The Celery application. Tasks take ids, load, and call a service (see STYLE.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("beat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
