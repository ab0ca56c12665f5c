"""Rendered pages and API lists kept in the shared cache until the data changes.

The busiest pages (the triage queue that a whole on-call room polls every 15 seconds, the
change list, the reports) cost 20-50 ms of Python each; served again from Redis they cost
5 ms, against 3 ms for an empty page (docs/benchmarks.md). A stored page is never shown
once the data under it may have changed:

- **Data version.** Every statement that writes to the database (an INSERT, UPDATE or
  DELETE through any Django connection: the ORM, `QuerySet.update()`, raw SQL, Celery
  tasks) moves one counter in the shared cache, once when it runs and again when its
  transaction commits. A page is stored under the version read *before* its queries ran,
  so a page rendered from data that was about to change is stored under a version that is
  already over.
- **Who and how.** The key holds the user, the full path with its query string, the
  language, the time zone and whether htmx asked for the rows only: nobody is ever shown
  another user's page. A view may instead share one page between users: then the key
  holds, in place of the user, everything the view decided for that user (the actions
  offered, say: `shared_page`) and a digest of the user's permissions, and the username
  in the navigation bar is filled in per request like the CSRF token. The change page
  does this, because people open many different changes rather than one page again; so
  do the lists and reports (`cached_page(shared_when=...)`) whenever they show the same
  rows to everyone who may read them, so that a write costs one render of the queue
  rather than one per person watching it.
- **One render.** When a page is missing (a write ended it), the first request renders
  it and the others asking for the same page wait for that answer, up to 5 s.
- **Clock.** Pages that depend on the time of day without a write (an action that opens
  at the start of a window, "last 6 months") are at most `PAGE_CACHE_SECONDS` old: the key
  holds a time slot of that length, staggered per user so that 50 users do not all
  re-render in the same second.
- **Per request parts.** The CSRF token is stored as a placeholder and each answer gets
  the request's own; a page with messages to show is neither served from nor put in the
  store; answers that set cookies, are not 200 or stream are not stored.

Writes to tables no stored page shows (sessions, django-axes' login records, beat's
heartbeat) and statements that change no row do not count. Each request's user, its
permissions and API tokens are read through the cache too (`CachedModelBackend`,
`CachedTokenAuthentication`), at an accounts version that only writes to account tables
move. The store is on only where
the cache is shared by every process (Redis): with a per-process cache a Celery worker's
write would not reach the web workers' pages.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import re
import time
import zlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import escape
from rest_framework.authentication import TokenAuthentication

VERSION_KEY = "pagecache:version"
# A second counter for accounts: users, groups, permissions, tokens. Every write moves the
# data version; only writes to these tables (or to a table that cannot be read from the
# statement) move this one, so that an incident's update does not send every request back
# to PostgreSQL for its user and permissions.
ACCOUNTS_KEY = "pagecache:accounts"
ACCOUNT_TABLE_PREFIXES = ("itsm_user", "auth_", "authtoken_", "django_content_type")
CSRF_PLACEHOLDER = "__itsm_page_cache_csrf_token__"
USERNAME_PLACEHOLDER = "__itsm_page_cache_username__"
_RECORDING = "_page_cache_recording"

_WRITE = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|UPSERT)\b", re.I)
# The table, where it can be read (SQLite's "INSERT OR IGNORE INTO" included): only to skip
# the ignored ones below; a write whose table is not read counts.
_WRITE_TABLE = re.compile(
    r"^\s*(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM"
    r'|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO)\s+"?([\w.]+)',
    re.I,
)
_WRITE_IN_CTE = re.compile(r"\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# Tables that no stored page shows: a login, a session save or beat's heartbeat (every
# 15 s) must not empty the store.
IGNORED_TABLE_PREFIXES = ("django_session", "axes_", "itsm_heartbeat")


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


# --- The data version --------------------------------------------------------------------


# The version read once per request (PageCacheMiddleware opens the scope; outside a request,
# in a Celery task say, every call reads it) and forgotten by a write in this request: the
# user, the permissions and the page are looked up with one read.
_request_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "page_cache_scope", default=None
)


class PageCacheMiddleware:
    """First in the stack: each request remembers the data version it read, and only it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_scope.set({})
        try:
            return self.get_response(request)
        finally:
            _request_scope.reset(token)


def current_version(key: str = VERSION_KEY) -> int:
    scope = _request_scope.get()
    if scope is None:
        return _read_version(key)
    if key not in scope:
        # Both counters in one round trip: a request needs the accounts version for its
        # user and the data version for its page.
        missing = [name for name in {VERSION_KEY, ACCOUNTS_KEY, key} if name not in scope]
        found = cache.get_many(missing)
        for name in missing:
            scope[name] = found[name] if name in found else _read_version(name)
    return scope[key]


def accounts_version() -> int:
    return current_version(ACCOUNTS_KEY)


def _read_version(key: str) -> int:
    version = cache.get(key)
    if version is None:
        # A lost counter (Redis restarted or evicted it) starts again far above any value
        # it had, so nothing stored before can match a version handed out after.
        cache.add(key, time.time_ns() // 1000, timeout=None)
        version = cache.get(key, 0)
    return version


def _bump(key: str) -> None:
    scope = _request_scope.get()
    if scope is not None:
        scope.pop(key, None)
    try:
        cache.incr(key)
    except ValueError:  # the counter is missing: any new value is newer than everything
        cache.add(key, time.time_ns() // 1000, timeout=None)


def bump_version() -> None:
    _bump(VERSION_KEY)


def bump_accounts() -> None:
    """A write to an account table: both counters move."""
    _bump(VERSION_KEY)
    _bump(ACCOUNTS_KEY)


def written_table(sql: str) -> str | None:
    """None for a read or an ignored table; the table written, or "" where it cannot be read."""
    if _WRITE.match(sql):
        match = _WRITE_TABLE.match(sql)
        table = match.group(1).lower() if match else ""
        return None if table and table.startswith(IGNORED_TABLE_PREFIXES) else table
    if sql.lstrip()[:4].upper() == "WITH" and _WRITE_IN_CTE.search(sql):
        return ""
    return None


def is_write(sql: str) -> bool:
    return written_table(sql) is not None


def _changed_nothing(context, many: bool) -> bool:
    # A sweep that finds nothing due still sends its UPDATE: no row, no new version.
    return not many and getattr(context["cursor"], "rowcount", -1) == 0


def _note_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    table = written_table(sql) if isinstance(sql, str) else None
    if table is not None and not _changed_nothing(context, many):
        connection = context["connection"]
        accounts = not table or table.startswith(ACCOUNT_TABLE_PREFIXES)
        bump = bump_accounts if accounts else bump_version
        bump()  # for reads later in this same transaction
        # Once per transaction; bump_accounts covers bump_version, not the other way round.
        covering = {bump_accounts} if accounts else {bump_version, bump_accounts}
        registered = {entry[1] for entry in connection.run_on_commit}
        if connection.in_atomic_block and not covering & registered:
            transaction.on_commit(bump, using=connection.alias)
    return result


def _install(sender, connection, **kwargs) -> None:
    if _note_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_note_writes)


def install() -> None:
    """Watch every database connection for writes (called once from the app's ready())."""
    connection_created.connect(_install, dispatch_uid="itsm-page-cache-writes")
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        _install(None, connection)


# --- Keys ----------------------------------------------------------------------------------


def _ttl(seconds: int | None = None) -> int:
    """How long an entry is kept: two slots, so that a page is found all through its slot."""
    return 2 * (seconds or settings.PAGE_CACHE_SECONDS)


def _through_cache(key: str, load, seconds: int | None = None):
    """The value under `key`, or `load()`'s, stored unless it is None."""
    value = cache.get(key)
    if value is None:
        value = load()
        if value is not None:
            cache.set(key, value, timeout=_ttl(seconds))
    return value


def _slot(offset: int, seconds: int) -> int:
    return int((time.time() + offset % seconds) // seconds)


def page_key(
    request, kind: str, *extra: str, user_pk: int | None = None, seconds: int | None = None
) -> str:
    """The key of this request's page; `user_pk` None for a page shared between users."""
    seconds = seconds or settings.PAGE_CACHE_SECONDS
    path = request.get_full_path()
    parts = [
        kind,
        str(user_pk),
        path,
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        "htmx" if request.headers.get("HX-Request") else "page",
        *extra,
        str(_slot(user_pk if user_pk is not None else zlib.crc32(path.encode()), seconds)),
        str(current_version()),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"pagecache:{kind}:{digest}"


def permission_signature(user) -> str:
    """What the navigation and permission checks of a shared page may depend on."""
    facts = (user.is_staff, user.is_superuser, sorted(user.get_all_permissions()))
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (len(storage) > 0 or storage.added_new)


def _bypass(request) -> bool:
    return (
        not enabled()
        or request.method not in ("GET", "HEAD")
        or not request.user.is_authenticated
        or _has_messages(request)
    )


# --- Pages ---------------------------------------------------------------------------------


def csrf_context(request) -> dict:
    """Context processor: a page being stored gets placeholders for per-request values."""
    recording = getattr(request, _RECORDING, None)
    if recording == "user":
        return {"csrf_token": CSRF_PLACEHOLDER}
    if recording == "shared":
        return {"csrf_token": CSRF_PLACEHOLDER, "username": USERNAME_PLACEHOLDER}
    return {}


def _fill(body: bytes, request) -> bytes:
    body = body.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    if USERNAME_PLACEHOLDER.encode() in body:
        name = escape(request.user.get_username()).encode()
        body = body.replace(USERNAME_PLACEHOLDER.encode(), name)
    return body


def _answer(stored: dict, request) -> HttpResponse:
    response = HttpResponse(_fill(stored["body"], request), status=200)
    for name, value in stored["headers"]:
        response.headers[name] = value
    return response


def serve(
    request, key: str, render, *, shared: bool = False, seconds: int | None = None
) -> HttpResponse:
    """The stored answer under `key`, or `render()`'s, stored if it may be.

    One request renders a missing page; the others that ask for it meanwhile wait for its
    answer (`_claim_or_wait`), so a write that ends a page shared by 50 users costs one
    render, not 50."""
    stored = cache.get(key)
    claimed = False
    if stored is None:
        claimed, stored = _claim_or_wait(key)
    if stored is not None:
        return _answer(stored, request)
    try:
        return _render_and_store(request, key, render, shared=shared, seconds=seconds)
    finally:
        if claimed:
            cache.delete(_render_lock(key))


def _render_lock(key: str) -> str:
    return f"{key}:rendering"


# How long a waiting request waits for another's render before it renders itself, and the
# pauses between its looks: a page costs 20-300 ms to render (docs/benchmarks.md).
RENDER_WAIT_SECONDS = 5.0
_WAIT_PAUSES = (0.005, 0.01, 0.02, 0.03)


def _claim_or_wait(key: str) -> tuple[bool, dict | None]:
    """(True, None): this request renders the page. (False, stored): another request
    rendered it meanwhile. (False, None): the other render ended without storing a page
    (an error, a 404, messages) or took too long, so this request renders its own."""
    lock = _render_lock(key)
    if cache.add(lock, 1, timeout=int(RENDER_WAIT_SECONDS) + 1):
        return True, None
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    pauses, pause = iter(_WAIT_PAUSES), 0.0
    while time.monotonic() < deadline:
        pause = next(pauses, pause)
        time.sleep(pause)
        found = cache.get_many([key, lock])
        if key in found:
            return False, found[key]
        if lock not in found:
            break
    return False, None


def _render_and_store(request, key: str, render, *, shared: bool, seconds: int | None):
    setattr(request, _RECORDING, "shared" if shared else "user")
    try:
        response = render()
    finally:
        setattr(request, _RECORDING, None)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or _has_messages(request)
    ):
        # Placeholders must not reach the browser in an answer that is not stored.
        if not response.streaming:
            response.content = _fill(response.content, request)
        return response
    stored = {"body": response.content, "headers": list(response.headers.items())}
    cache.set(key, stored, timeout=_ttl(seconds))
    return _answer(stored, request)


def cached_page(view=None, *, shared_when=None):
    """Serve a GET page from the store while the data and the user's view of it hold.

    The page is the user's own, unless `shared_when(request)` says that what this request
    shows depends on the user only through the permissions (no "mine" filter, no rows
    limited to the user's own): then one page serves every user with the same permissions,
    language and time zone, as `shared_page` does."""
    if view is None:
        return functools.partial(cached_page, shared_when=shared_when)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if _bypass(request):
            return view(request, *args, **kwargs)

        def render():
            return view(request, *args, **kwargs)

        if shared_when is not None and shared_when(request):
            key = page_key(request, "shared", permission_signature(request.user))
            return serve(request, key, render, shared=True)
        key = page_key(request, "page", user_pk=request.user.pk)
        return serve(request, key, render)

    return wrapper


def shared_page(request, decisions: tuple, render, *, seconds: int | None = None):
    """A page that is the same for every user with the same permissions and the same
    `decisions` (what the view worked out for this user: the actions offered, say), but
    for the username and the CSRF token. The view must put everything else it reads from
    the user into `decisions`. `seconds`: how far behind the clock the page may be, when
    what it shows of the time of day moves slower than PAGE_CACHE_SECONDS."""
    if _bypass(request):
        return render()
    signature = permission_signature(request.user)
    key = page_key(request, "shared", signature, repr(decisions), seconds=seconds)
    return serve(request, key, render, shared=True, seconds=seconds)


def shared_object(request, name: str, load, *, seconds: int | None = None):
    """`load()`'s result (picklable, and not derived from the clock), shared by every
    request at this data version; kept `2 * seconds` after its last store."""
    if _bypass(request):
        return load()
    return _through_cache(f"pagecache:object:{name}:{current_version()}", load, seconds)


# --- API lists -----------------------------------------------------------------------------


class CachedListMixin:
    """For a DRF viewset: keep the rendered JSON of `list` answers in the store.

    Authentication, throttling and permissions run as always (DRF's `initial()`); only
    the queries, serialisation and rendering are skipped on a hit. Other formats (the
    browsable API) are never stored. A viewset whose list a caller sees only through its
    permissions says so in `page_cache_shared`, and callers with the same permissions
    share one answer; one call renders a missing answer while the others wait for it.
    """

    def page_cache_shared(self, request) -> bool:
        return False

    def list(self, request, *args, **kwargs):
        if not enabled() or getattr(request.accepted_renderer, "format", "") != "json":
            return super().list(request, *args, **kwargs)
        media_type = request.accepted_media_type or ""
        if self.page_cache_shared(request):
            key = page_key(request, "api-shared", media_type, permission_signature(request.user))
        else:
            key = page_key(request, "api", media_type, user_pk=request.user.pk)
        stored = cache.get(key)
        if stored is None:
            self._page_cache_claimed, stored = _claim_or_wait(key)
        if stored is not None:
            content_type, body = stored
            return HttpResponse(body, content_type=content_type)
        self._page_cache_key = key
        try:
            return super().list(request, *args, **kwargs)
        except BaseException:
            self._release_render_lock()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_page_cache_key", None)
        if key and response.status_code == 200 and not response.cookies:
            response.render()
            stored = (response["Content-Type"], response.content)
            cache.set(key, stored, timeout=_ttl())
        self._release_render_lock()
        return response

    def _release_render_lock(self) -> None:
        if getattr(self, "_page_cache_claimed", False):
            self._page_cache_claimed = False
            cache.delete(_render_lock(self._page_cache_key))


# --- Permissions ---------------------------------------------------------------------------


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
