"""Stored pages, shared objects and API lists: keys, the render-once rule and the per
request parts (CSRF token, username) of a stored page."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import time
import zlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import versions
from .versions import enabled

CSRF_PLACEHOLDER = "__itsm_page_cache_csrf_token__"
USERNAME_PLACEHOLDER = "__itsm_page_cache_username__"
_RECORDING = "_page_cache_recording"

# How long a request waits for another's render of the same page before it renders itself,
# and the pauses between its looks: a page costs 20-300 ms to render (docs/benchmarks.md).
RENDER_WAIT_SECONDS = 5.0
_WAIT_PAUSES = (0.005, 0.01, 0.02, 0.03)


# --- Keys and entries ----------------------------------------------------------------------


def _ttl(seconds: int | None = None) -> int:
    """How long an entry is kept: two slots, so that a page is found all through its slot."""
    return 2 * (seconds or settings.PAGE_CACHE_SECONDS)


def _slot(offset: int, seconds: int) -> int:
    return int((time.time() + offset % seconds) // seconds)


def page_key(
    request, kind: str, *extra: str, user_pk: int | None = None, seconds: int | None = None
) -> str:
    """The key of this request's page; `user_pk` None for a page shared between users. The
    key holds no data version: the entry carries the counters it was built from."""
    seconds = seconds or settings.PAGE_CACHE_SECONDS
    path = request.get_full_path()
    parts = [
        kind,
        str(user_pk),
        path,
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        "htmx" if request.headers.get("HX-Request") else "page",
        permission_signature(request.user),
        *extra,
        str(_slot(user_pk if user_pk is not None else zlib.crc32(path.encode()), seconds)),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"pagecache:{kind}:{digest}"


def permission_signature(user) -> str:
    """What the navigation and permission checks of a page may depend on: they come from the
    cached permission set, not from a query the page's counters would follow."""
    if not hasattr(user, "_page_cache_signature"):
        facts = (user.is_staff, user.is_superuser, sorted(user.get_all_permissions()))
        user._page_cache_signature = hashlib.sha256(repr(facts).encode()).hexdigest()[:32]
    return user._page_cache_signature


def _entry(value) -> dict:
    """What is stored: the value and the counters of every table it was built from."""
    return {"reads": versions.reads(), "value": value}


def _current(entry, *, fresh: bool = False):
    """The entry's value while nothing it was built from has changed, else None; the answer
    being built now depends on the same counters."""
    if not entry or not versions.still_current(entry["reads"], fresh=fresh):
        return None
    versions.depend_on(entry["reads"])
    return entry["value"]


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (len(storage) > 0 or storage.added_new)


def _bypass(request) -> bool:
    return (
        not enabled()
        or not versions.in_scope()
        or request.method not in ("GET", "HEAD")
        or not request.user.is_authenticated
        or _has_messages(request)
    )


# --- Rendering once ------------------------------------------------------------------------


def _render_lock(key: str) -> str:
    return f"{key}:rendering"


def _lookup(key: str):
    """(claimed, value): the current value under `key`, or the claim to build it (True),
    or neither (False, None): build it without storing a claim."""
    value = _current(cache.get(key))
    if value is not None:
        return False, value
    return _claim_or_wait(key)


def _claim_or_wait(key: str):
    """(True, None): this request builds the value. (False, value): another request built it
    meanwhile. (False, None): the other build ended without storing a current value (an
    error, a 404, messages) or took too long, so this request builds its own."""
    lock = _render_lock(key)
    if cache.add(lock, 1, timeout=int(RENDER_WAIT_SECONDS) + 1):
        return True, None
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    pauses, pause = iter(_WAIT_PAUSES), 0.0
    while time.monotonic() < deadline:
        pause = next(pauses, pause)
        time.sleep(pause)
        found = cache.get_many([key, lock])
        value = _current(found.get(key), fresh=True)
        if value is not None:
            return False, value
        if lock not in found:
            break
    return False, None


def _release(key: str, claimed: bool) -> None:
    if claimed:
        cache.delete(_render_lock(key))


# --- Pages ---------------------------------------------------------------------------------


def csrf_context(request) -> dict:
    """Context processor: a page being stored gets placeholders for per-request values."""
    if getattr(request, _RECORDING, False):
        return {"csrf_token": CSRF_PLACEHOLDER, "username": USERNAME_PLACEHOLDER}
    return {}


def _fill(body: bytes, request) -> bytes:
    body = body.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    if USERNAME_PLACEHOLDER.encode() in body:
        name = escape(request.user.get_username()).encode()
        body = body.replace(USERNAME_PLACEHOLDER.encode(), name)
    return body


def _part_placeholder(name: str) -> str:
    return f"__itsm_page_cache_part_{name}__"


def part(request, name: str) -> str:
    """For a template's context: the HTML of a part of the page given to `shared_page` in
    `parts`. A stored page keeps a placeholder, filled in for every answer by the part's
    function (which may keep its own entry): the part's queries are not the page's, so
    writes to their tables leave the page stored."""
    if getattr(request, _RECORDING, False):
        return mark_safe(_part_placeholder(name))  # noqa: S308 (a fixed name)
    return mark_safe(request._page_cache_parts[name]())  # noqa: S308 (rendered by a template)


def _fill_parts(body: bytes, request) -> bytes:
    for name, render in getattr(request, "_page_cache_parts", {}).items():
        placeholder = _part_placeholder(name).encode()
        if placeholder in body:
            body = body.replace(placeholder, render().encode())
    return body


def _answer(stored: dict, request) -> HttpResponse:
    response = HttpResponse(_fill_parts(_fill(stored["body"], request), request), status=200)
    for name, value in stored["headers"]:
        response.headers[name] = value
    return response


def serve(request, key: str, render, *, seconds: int | None = None) -> HttpResponse:
    """The current answer under `key`, or `render()`'s, stored if it may be.

    One request renders a missing page; the others that ask for it meanwhile wait for its
    answer, so a write that ends a page shared by 50 users costs one render, not 50."""
    with contextlib.nullcontext() if versions.in_scope() else versions.request_scope():
        claimed, stored = _lookup(key)
        if stored is not None:
            return _answer(stored, request)
        try:
            return _render_and_store(request, key, render, seconds=seconds)
        finally:
            _release(key, claimed)


def _render_and_store(request, key: str, render, *, seconds: int | None):
    setattr(request, _RECORDING, True)
    try:
        response = render()
    finally:
        setattr(request, _RECORDING, False)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or _has_messages(request)
    ):
        # Placeholders must not reach the browser in an answer that is not stored.
        if not response.streaming:
            response.content = _fill_parts(_fill(response.content, request), request)
        return response
    stored = {"body": response.content, "headers": list(response.headers.items())}
    cache.set(key, _entry(stored), timeout=_ttl(seconds))
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
        shared = shared_when is not None and shared_when(request)
        key = page_key(request, "page", user_pk=None if shared else request.user.pk)
        return serve(request, key, lambda: view(request, *args, **kwargs))

    return wrapper


def shared_page(request, decisions: tuple, render, *, seconds: int | None = None, parts=None):
    """A page that is the same for every user with the same permissions and the same
    `decisions` (what the view worked out for this user: the actions offered, say), but
    for the username and the CSRF token. The view must put everything else it reads from
    the user into `decisions`. `seconds`: how far behind the clock the page may be, when
    what it shows of the time of day moves slower than PAGE_CACHE_SECONDS. `parts`: name
    to a function giving HTML, shown where the template puts `part(request, name)` and
    worked out for every answer (a small block from a table written far more often than
    the rest of the page)."""
    request._page_cache_parts = parts or {}
    if _bypass(request):
        return render()
    key = page_key(request, "shared", repr(decisions), seconds=seconds)
    return serve(request, key, render, seconds=seconds)


def shared_object(request, name: str, load, *, seconds: int | None = None):
    """`load()`'s result (picklable, and not derived from the clock), shared by every
    request while the tables it was loaded from are unchanged; kept `2 * seconds` after its
    last store. The page built from it depends on those tables too."""
    if _bypass(request):
        return load()
    key = f"pagecache:object:{name}"
    claimed, value = _lookup(key)
    if value is not None:
        return value
    try:
        with versions.recording():
            value = load()
            entry = _entry(value)
        cache.set(key, entry, timeout=_ttl(seconds))
        return value
    finally:
        _release(key, claimed)


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
        json = getattr(request.accepted_renderer, "format", "") == "json"
        if not enabled() or not versions.in_scope() or not json:
            return super().list(request, *args, **kwargs)
        media_type = request.accepted_media_type or ""
        user_pk = None if self.page_cache_shared(request) else request.user.pk
        key = page_key(request, "api", media_type, user_pk=user_pk)
        self._page_cache_claimed, stored = _lookup(key)
        if stored is not None:
            content_type, body = stored
            return HttpResponse(body, content_type=content_type)
        self._page_cache_key = key
        try:
            return super().list(request, *args, **kwargs)
        except BaseException:
            _release(key, self._page_cache_claimed)
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_page_cache_key", None)
        if key is None:
            return response
        if response.status_code == 200 and not response.cookies:
            response.render()
            stored = (response["Content-Type"], response.content)
            cache.set(key, _entry(stored), timeout=_ttl())
        _release(key, self._page_cache_claimed)
        return response
