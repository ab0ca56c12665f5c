"""Rendered pages and API lists kept in the shared cache until the data under them changes.

The busiest pages (the triage queue that a whole on-call room polls every 15 seconds, the
change list, the reports) cost 20-50 ms of Python each; served again from Redis they cost
2-5 ms, about what an empty page costs (docs/benchmarks.md). A stored page is never shown
once the data under it may have changed:

- **Tables read, and their counters** (`versions`). Every write moves its table's counter,
  when it runs and again when its transaction commits; every stored entry carries the
  counters of the tables its queries read, each as it was *before* the first query on that
  table. The entry is served only while all of them are unchanged. So an incident write
  ends the pages that read incidents, and the change pages that do not stay.
- **Who and how.** The key holds the path with its query string, the language, the time
  zone, whether htmx asked for the rows only and a digest of the user's permissions; and
  the user, unless the view shares the page. The change page is shared between users
  offered the same actions (`shared_page`); lists and reports are shared whenever they
  show the same rows to everyone who may read them (`cached_page(shared_when=...)`), so a
  write costs one render of the queue rather than one per person watching it. The CSRF
  token and the username are filled in per request.
- **One render.** When a page is missing or out of date, the first request renders it and
  the others asking for the same page wait for that answer, up to 5 s.
- **Clock.** Pages that depend on the time of day without a write (an action that opens at
  the start of a window, "last 6 months") are at most `PAGE_CACHE_SECONDS` old: the key
  holds a time slot of that length, staggered per user so that 50 users do not all
  re-render in the same second.
- **Not stored:** answers with messages to show, that set cookies, are not 200 or stream.

Each request's user, its permissions and API tokens are read through the cache too
(`accounts`), at an accounts counter that only writes to account tables move. The store is
on only where the cache is shared by every process (Redis): with a per-process cache a
Celery worker's write would not reach the web workers' pages.
"""

from .accounts import CachedModelBackend, CachedTokenAuthentication
from .store import (
    CSRF_PLACEHOLDER,
    USERNAME_PLACEHOLDER,
    CachedListMixin,
    cached_page,
    csrf_context,
    page_key,
    part,
    permission_signature,
    serve,
    shared_object,
    shared_page,
)
from .versions import (
    ACCOUNTS_KEY,
    VERSION_KEY,
    PageCacheMiddleware,
    accounts_version,
    bump_version,
    current_version,
    enabled,
    install,
    is_write,
    table_key,
    written_table,
)

__all__ = [
    "ACCOUNTS_KEY",
    "CSRF_PLACEHOLDER",
    "USERNAME_PLACEHOLDER",
    "VERSION_KEY",
    "CachedListMixin",
    "CachedModelBackend",
    "CachedTokenAuthentication",
    "PageCacheMiddleware",
    "accounts_version",
    "bump_version",
    "cached_page",
    "csrf_context",
    "current_version",
    "enabled",
    "install",
    "is_write",
    "page_key",
    "part",
    "permission_signature",
    "serve",
    "shared_object",
    "shared_page",
    "table_key",
    "written_table",
]
