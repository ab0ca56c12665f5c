"""Settings for bench/load.py: the production settings plus a bench-only URLconf.

Everything else (DEBUG off, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL) comes from the
environment the script sets, exactly as in production. The manifest static storage needs
collected files, so they go to a scratch directory instead of the project's staticfiles/.
"""

import os

from itsm.settings import *  # noqa: F403
from itsm.settings import VAR_DIR

ROOT_URLCONF = "bench.load_urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(VAR_DIR / "bench_load_static"))
