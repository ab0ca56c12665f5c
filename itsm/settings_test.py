"""Settings for the test suite: the real settings, with fast hashing and eager Celery."""

from .settings import *  # noqa: F403

TESTING = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks queued by services run in-process; tests that need a real worker start one.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Django's test client logs in without a request, which django-axes refuses; the lockout
# test turns it back on.
AXES_ENABLED = False

# Each test process keeps its own cache: throttle counters and cached objects never cross
# xdist workers (a shared Redis cache would let one worker's counters throttle another's).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The test client, live servers and eager tasks share this process and so its cache: the
# page store is on, as in production, so that every page test also proves it is never stale.
PAGE_CACHE_SECONDS = 30
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # as production with Redis
