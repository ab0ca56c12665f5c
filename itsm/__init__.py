"""Project package: settings, URLs, Celery app and the shared kernel of the portal."""

from .celery import app as celery_app

__all__ = ["celery_app"]
