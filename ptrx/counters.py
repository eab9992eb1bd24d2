"""Fixed-window counters that stay exact under concurrent requests.

With REDIS_URL they are Redis's atomic INCR (through the cache); the embedded default
keeps them in a SQLite file in VAR_DIR, each count one upsert statement, so every
process on the machine shares them as it shares the file cache.
"""

import functools
import math
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Hit:
    """One counted event: the window's count after it, and when the window ends."""

    name: str
    count: int
    retry_after: int


class _CacheCounters:
    def add(self, name: str, delta: int, timeout: int) -> int:
        cache.add(name, 0, timeout)
        try:
            return int(cache.incr(name, delta))
        except ValueError:  # the key expired between add and incr: a new window
            cache.add(name, delta, timeout)
            return delta

    def clear(self) -> None:
        cache.clear()


class _SQLiteCounters:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self.local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=20, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS counter"
                " (name TEXT PRIMARY KEY, count INTEGER NOT NULL, ends REAL NOT NULL)"
            )
            self.local.db = db
        return db

    def add(self, name: str, delta: int, timeout: int) -> int:
        db, now = self._db(), time.time()
        db.execute("DELETE FROM counter WHERE ends < ?", (now,))
        (count,) = db.execute(
            "INSERT INTO counter (name, count, ends) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET count = count + excluded.count RETURNING count",
            (name, delta, now + timeout),
        ).fetchone()
        return int(count)

    def clear(self) -> None:
        self._db().execute("DELETE FROM counter")


@functools.cache
def _counters(redis_url: str, var_dir: Path) -> _CacheCounters | _SQLiteCounters:
    return _CacheCounters() if redis_url else _SQLiteCounters(var_dir / "counters.sqlite3")


def _store() -> _CacheCounters | _SQLiteCounters:
    return _counters(settings.REDIS_URL, settings.VAR_DIR)


def counter_hit(key: str, *, window: int) -> Hit:
    """Count one event for `key` in the current `window`-second window."""
    now = time.time()
    index = int(now // window)
    ends = (index + 1) * window
    timeout = max(1, math.ceil(ends - now))
    name = f"counter:{key}:{window}:{index}"
    return Hit(name=name, count=_store().add(name, 1, timeout), retry_after=timeout)


def counter_undo(hit: Hit) -> None:
    """Take back a counted event (in the window it was counted in)."""
    _store().add(hit.name, -1, hit.retry_after)


def counters_clear() -> None:
    """Forget every count (for tests)."""
    _store().clear()
