"""The version of the clinical content plan generation reads (the exercise library and the
protocols), kept in the cache so that every process sees a change on its next read.

Whatever writes that content (the library and protocol loaders, the exercise admin's
services) calls `content_changed()`; a reader keeps what it read under
`content_version()` and reads again when the version moves on.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

CONTENT_VERSION_KEY = "ptrx:content-version"


def content_version() -> str:
    """The content's current version (a new one when the cache has none, as after a clear)."""
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        fresh = uuid.uuid4().hex
        cache.add(CONTENT_VERSION_KEY, fresh, timeout=None)
        # Another process may have added its own first; without a cache, a fresh
        # version on every call keeps nothing, which is still correct.
        version = cache.get(CONTENT_VERSION_KEY, fresh)
    return str(version)


def _new_version() -> None:
    # A random value rather than a counter: two writers committing at once never
    # leave the same version behind.
    cache.set(CONTENT_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def content_changed() -> None:
    """Give the content a new version once the writing transaction commits (at once
    outside one), so no process keeps what it read before the change."""
    transaction.on_commit(_new_version)


def content_changes_pending() -> bool:
    """Whether this connection's open transaction changed the content without committing
    yet: its own reads must see the change, and must not be kept for anyone else."""
    # Django drops the commit callbacks of a savepoint or transaction that rolls back.
    return any(
        callback is _new_version for _ids, callback, _robust in transaction.get_connection().run_on_commit
    )
