"""The admin's fixtures apply to the outcome pages too (static files found without
collectstatic, a logged-in therapist)."""

from tests.admin.conftest import _plain_static_storage, therapist_client  # noqa: F401
