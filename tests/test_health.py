"""`/healthz`: 200 with both services up, 503 naming the one that is down."""

import pytest
from django.db import connections

from ptrx import health
from ptrx.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthy(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_broker_down_is_503(client, monkeypatch):
    # A real broker URL where nothing listens (port 1 on loopback).
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}


def test_database_down_is_503(client, monkeypatch):
    # A real connection to a database that cannot be reached.
    broken = connections.create_connection("default")
    if broken.vendor == "sqlite":
        broken.settings_dict = {**broken.settings_dict, "NAME": "/nonexistent/dir/ptrx.sqlite3"}
    else:
        broken.settings_dict = {**broken.settings_dict, "PORT": "1", "HOST": "127.0.0.1"}
    monkeypatch.setattr(health, "connection", broken)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "unavailable"
    assert answer.json()["broker"] == "ok"
