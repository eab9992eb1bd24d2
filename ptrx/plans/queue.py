"""Publishing Celery tasks by name, so no service imports ptrx.plans.tasks (which imports them).

`send_task` routes a task as `.delay()` does: to the current app's default queue
(task_default_queue), with no options of its own (the tasks declare none for publishing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from celery import current_app
from django.db import transaction

# The names the tasks are declared under (ptrx.plans.tasks).
SEND_NOTIFICATIONS = "ptrx.plans.tasks.send_notifications"


def task_send(name: str, *, args: Sequence[Any]) -> None:
    """Publish task `name` with these arguments now (raises when the broker is unavailable)."""
    current_app.send_task(name, args=list(args))


def on_commit(publish: Callable[[], None]) -> None:
    """Run `publish` once the current transaction commits (at once outside a transaction),
    so a worker never reads a row that is not committed yet."""
    transaction.on_commit(publish)
