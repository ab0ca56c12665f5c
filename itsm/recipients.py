"""How a message reaches a person: in their language, with times in their zone, with links
that work outside the browser. Every e-mail, feed and notification renders through here."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone, translation


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The user's time zone; the portal's when they have none or an unknown one."""
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def user_language(user, preferred: str = "") -> str:
    """`preferred` (a per-message choice), else the user's own language, else the portal's."""
    return preferred or getattr(user, "language", "") or settings.LANGUAGE_CODE


@contextmanager
def recipient_locale(user, language: str = "") -> Iterator[None]:
    """Render text as `user` reads it: gettext and localtime follow them inside the block."""
    with translation.override(user_language(user, language)), timezone.override(user_zone(user)):
        yield


def portal_url(path: str) -> str:
    """An absolute link when PORTAL_BASE_URL is set (e-mails, webhooks); else the path."""
    return getattr(settings, "PORTAL_BASE_URL", "").rstrip("/") + path
