"""Loaded with `-p` before Django starts: the suite runs with development defaults.

pytest-django sets DEBUG off for the tests themselves; this only lets settings load
without production secrets and keeps plain-HTTP test clients from being redirected.
"""

import os

os.environ.setdefault("DEBUG", "1")
