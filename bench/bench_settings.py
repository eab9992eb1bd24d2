"""Settings for the API benchmark's gunicorn: the product's, with the bench URLconf.

The baselines (a bare Django view, a bare DRF view) live in bench/bench_urls.py so
they never reach the product's URLconf.
"""

from ptrx.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
