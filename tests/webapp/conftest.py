"""Fixtures for the patient app's tests: static files found where they lie, as in the admin's."""

from tests.admin.conftest import _plain_static_storage

__all__ = ["_plain_static_storage"]
