"""The page store's counters: one per table, moved by every write to it; and which tables
(at which counter values) a request has read.

Both come from one execute wrapper on every Django connection, so they cover the ORM,
`QuerySet.update()`, raw SQL and Celery tasks alike:

- A write moves its table's counter when the statement runs and again when its transaction
  commits. A write whose table cannot be read from the statement (a TRUNCATE, a write in a
  CTE) moves `VERSION_KEY`, which every stored entry depends on.
- Within a request, the first SELECT that names a table reads that table's counter *before*
  the query runs. A page stored with those values is shown only while every one of them is
  unchanged: a page rendered from data that was about to change is stored with a value
  that the write's commit leaves behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created

# Moved by writes to a table the statement does not name: every entry depends on it.
VERSION_KEY = "pagecache:version"
# Users, groups, permissions, tokens: each request's user and permissions are read through
# the cache at this counter, which only writes to these tables (or to an unnamed one) move.
ACCOUNTS_KEY = "pagecache:accounts"
ACCOUNT_TABLE_PREFIXES = ("itsm_user", "auth_", "authtoken_", "django_content_type")
# Tables that no stored page shows: a login, a session save or beat's heartbeat (every
# 15 s) must not end any page.
IGNORED_TABLE_PREFIXES = ("django_session", "axes_", "itsm_heartbeat")

_WRITE = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|UPSERT)\b", re.I)
# The table, where it can be read (SQLite's "INSERT OR IGNORE INTO" included). TRUNCATE may
# name several tables: it counts as a write to an unnamed one.
_WRITE_TABLE = re.compile(
    r"^\s*(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM"
    r'|MERGE\s+INTO)\s+"?([\w.]+)',
    re.I,
)
_WRITE_IN_CTE = re.compile(r"\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# Every table a SELECT reads follows FROM or JOIN, subqueries included. Extra names (an
# alias, a CTE, "EXTRACT(... FROM col)") only add counters that never move.
_READ_TABLES = re.compile(r'\b(?:FROM|JOIN)\s+"?([A-Za-z_][\w.]*)', re.IGNORECASE)


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def table_key(table: str) -> str:
    return f"pagecache:table:{table.lower()}"


# --- A request's scope ---------------------------------------------------------------------


class _Scope:
    """What one request knows: counter values it has read (`seen`, forgotten when it writes)
    and the tables its answer was built from, each at the value read before its first
    query (`read`)."""

    def __init__(self):
        self.seen: dict[str, int] = {}
        self.read: dict[str, int] = {}


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "page_cache_scope", default=None
)


class PageCacheMiddleware:
    """First in the stack: each request keeps its own counter values and reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            return self.get_response(request)


@contextlib.contextmanager
def request_scope():
    """A scope for code that stores entries outside a request's middleware (tests)."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def in_scope() -> bool:
    return _scope.get() is not None


@contextlib.contextmanager
def recording(*, keep: bool = True):
    """Collect the tables read inside the block on their own (for an entry inside a page, such
    as the stored change); they count for the enclosing answer too, unless not `keep` (the
    user and its permissions, kept at the accounts counter and in every page's key)."""
    scope = _scope.get()
    if scope is None:
        yield
        return
    outer = scope.read
    scope.read = {}
    try:
        yield
    finally:
        inner, scope.read = scope.read, outer
        if keep:
            depend_on(inner)


def depend_on(reads: dict[str, int]) -> None:
    """The answer being built depends on these counter values too (a stored entry it used)."""
    scope = _scope.get()
    if scope is None:
        return
    for key, value in reads.items():
        # The older value wins: the answer is as old as its oldest part.
        scope.read[key] = min(value, scope.read.get(key, value))


def reads() -> dict[str, int]:
    """The counters the answer built so far depends on; `VERSION_KEY` always among them."""
    scope = _scope.get()
    if VERSION_KEY not in scope.read:
        # As read at the request's first counter read, before any of its queries.
        scope.read[VERSION_KEY] = current_version()
    return dict(scope.read)


# --- Counters ------------------------------------------------------------------------------


def current_version(key: str = VERSION_KEY) -> int:
    return current_versions([key])[key]


def accounts_version() -> int:
    return current_version(ACCOUNTS_KEY)


def current_versions(keys, *, fresh: bool = False) -> dict[str, int]:
    """The counters' values, each read once per request (unless `fresh`); outside a request
    (a Celery task) every call reads them. One round trip for all that are not known yet;
    the two global counters come along with the first."""
    scope = _scope.get()
    if scope is None:
        return _read_versions(set(keys))
    wanted = set(keys) if fresh else {key for key in keys if key not in scope.seen}
    if wanted:
        if not scope.seen:
            wanted |= {VERSION_KEY, ACCOUNTS_KEY}
        scope.seen.update(_read_versions(wanted))
    return {key: scope.seen[key] for key in keys}


def still_current(reads: dict[str, int], *, fresh: bool = False) -> bool:
    """Whether nothing an entry was built from has been written since."""
    return current_versions(reads, fresh=fresh) == reads


def _read_versions(keys: set[str]) -> dict[str, int]:
    found = cache.get_many(list(keys))
    for key in keys - found.keys():
        # A counter never moved, or lost (Redis restarted or evicted it): it starts far above
        # any value it had, so nothing stored before can match a value handed out after.
        cache.add(key, time.time_ns() // 1000, timeout=None)
        found[key] = cache.get(key, 0)
    return found


def _bump(key: str) -> None:
    scope = _scope.get()
    if scope is not None:
        scope.seen.pop(key, None)
    try:
        cache.incr(key)
    except ValueError:  # the counter is missing: any new value is newer than everything
        cache.add(key, time.time_ns() // 1000, timeout=None)


def bump(keys) -> None:
    for key in keys:
        _bump(key)


def bump_version() -> None:
    _bump(VERSION_KEY)


# --- Watching the connections -------------------------------------------------------------


def written_table(sql: str) -> str | None:
    """None for a read or an ignored table; the table written, or "" where it cannot be read."""
    if _WRITE.match(sql):
        match = _WRITE_TABLE.match(sql)
        table = match.group(1).lower() if match else ""
        if ";" in sql.strip().rstrip(";"):
            table = ""  # more than one statement: the tables after the first are not read
        return None if table and table.startswith(IGNORED_TABLE_PREFIXES) else table
    if sql.lstrip()[:4].upper() == "WITH" and _WRITE_IN_CTE.search(sql):
        return ""
    return None


def is_write(sql: str) -> bool:
    return written_table(sql) is not None


def read_tables(sql: str) -> set[str]:
    names = {name.lower() for name in _READ_TABLES.findall(sql)}
    return {name for name in names if not name.startswith(IGNORED_TABLE_PREFIXES)}


def keys_written(table: str) -> set[str]:
    """The counters a write to `table` ("" when the statement does not name it) moves."""
    if not table:
        return {VERSION_KEY, ACCOUNTS_KEY}
    if table.startswith(ACCOUNT_TABLE_PREFIXES):
        return {table_key(table), ACCOUNTS_KEY}
    return {table_key(table)}


def _changed_nothing(context, many: bool) -> bool:
    # A sweep that finds nothing due still sends its UPDATE: no row, no new counter.
    return not many and getattr(context["cursor"], "rowcount", -1) == 0


def _note_reads(sql: str) -> None:
    scope = _scope.get()
    new = [key for key in map(table_key, read_tables(sql)) if key not in scope.read]
    if VERSION_KEY not in scope.read:
        new.append(VERSION_KEY)
    if new:
        scope.read.update(current_versions(new))


def _watch(execute, sql, params, many, context):
    table = written_table(sql) if isinstance(sql, str) else None
    if table is None and isinstance(sql, str) and _scope.get() is not None and enabled():
        _note_reads(sql)  # before the query: its counters as they were when it read
    result = execute(sql, params, many, context)
    if table is not None and not _changed_nothing(context, many):
        keys = keys_written(table)
        bump(keys)  # for reads later in this same transaction
        connection = context["connection"]
        if connection.in_atomic_block:
            _bump_on_commit(connection, keys)
    return result


def _bump_on_commit(connection, keys: set[str]) -> None:
    """Once more at commit, all the transaction's counters in one callback."""
    pending = connection._page_cache_pending
    if not any(entry[1] == pending.flush for entry in connection.run_on_commit):
        pending.clear()  # left from a transaction or savepoint that rolled back
        transaction.on_commit(pending.flush, using=connection.alias)
    pending.update(keys)


class _Pending(set):
    def flush(self) -> None:
        keys = set(self)
        self.clear()
        bump(keys)


def _install(sender, connection, **kwargs) -> None:
    if _watch not in connection.execute_wrappers:
        connection._page_cache_pending = _Pending()
        connection.execute_wrappers.append(_watch)


def install() -> None:
    """Watch every database connection (called once from the app's ready())."""
    connection_created.connect(_install, dispatch_uid="itsm-page-cache-writes")
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        _install(None, connection)
