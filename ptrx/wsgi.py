"""WSGI entry point (gunicorn ptrx.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptrx.settings")
application = get_wsgi_application()
