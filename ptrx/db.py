"""Database helpers that belong to no app."""

from django.db import connection


def postgresql_set_local(**settings: str) -> None:
    """Set PostgreSQL settings for the current transaction only (`set_config(..., true)`),
    so nothing outlives it on a pooled connection; on another database, nothing."""
    if connection.vendor != "postgresql" or not settings:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
            [value for item in settings.items() for value in item],
        )
