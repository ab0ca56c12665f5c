"""Each request's user, its permission set and API tokens, read through the shared cache at
the accounts counter (itsm/pagecache/versions.py) instead of PostgreSQL."""

from __future__ import annotations

import hashlib

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication

from . import versions
from .store import _ttl
from .versions import accounts_version, enabled


def _through_cache(key: str, load):
    """The value under `key`, or `load()`'s, stored unless it is None. What the load reads is
    not a page's data: the accounts counter in the key stands for it."""
    value = cache.get(key)
    if value is None:
        with versions.recording(keep=False):
            value = load()
        if value is not None:
            cache.set(key, value, timeout=_ttl())
    return value


class CachedModelBackend(ModelBackend):
    """Django's model backend, with each request's user and permission set read from the
    shared cache at the current accounts version instead of PostgreSQL: a query for the user
    and two joins over the permission tables on every request otherwise (40 % of the cost
    of a stored change page). A change to a user, its groups or permissions is a write, so
    the next request sees it."""

    def get_user(self, user_id):
        if not enabled():
            return super().get_user(user_id)
        key = f"pagecache:user:{user_id}:{accounts_version()}"
        return _through_cache(key, lambda: self._user_with_permissions(user_id))

    def _user_with_permissions(self, user_id):
        """The user with its permission set worked out, so that both come in one read."""
        user = super().get_user(user_id)
        if user is not None:
            self.get_all_permissions(user)
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not enabled() or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj=obj)
        if not hasattr(user_obj, "_perm_cache"):
            key = f"pagecache:permissions:{user_obj.pk}:{accounts_version()}"
            load = super().get_all_permissions
            user_obj._perm_cache = _through_cache(key, lambda: load(user_obj))
        return user_obj._perm_cache


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the token's user read from the shared cache at the
    current accounts version (a query with a join on every API call otherwise). Revoking a
    token or deactivating its user is a write: the next call is refused. The key is a
    digest of the token, never the token."""

    def authenticate_credentials(self, key):
        if not enabled():
            return super().authenticate_credentials(key)
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = f"pagecache:token:{digest}:{accounts_version()}"
        return _through_cache(cache_key, lambda: self._credentials_with_permissions(key))

    def _credentials_with_permissions(self, key):
        user, token = super().authenticate_credentials(key)  # a bad token raises: not stored
        user.get_all_permissions()  # kept on the user: one read for both
        return user, token
