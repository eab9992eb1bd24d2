"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery

import ptrx.broker  # noqa: F401  (registers the embedded default's broker, ptrx-filesystem://)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptrx.settings")

app = Celery("ptrx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
