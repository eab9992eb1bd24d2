"""ptrx: home-exercise prescription for cluneal nerve entrapment."""

from ptrx.celery import app as celery_app

__all__ = ("celery_app",)
