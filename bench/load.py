"""Load benchmark: the busiest pages and the API under 50 concurrent users, through gunicorn.

    python bench/load.py [--incidents 100000] [--changes 50000] [--users 50] [--warmup 3]
        [--duration 20] [--think 0] [--server sync:4] [--server gthread:2x8] [--only queue ...]
        [--reuse] [--keep] [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/12]

Creates the database `bench_load`, migrates it and seeds it inside PostgreSQL
(bench/reports_seed.py: incidents with their SLA clocks and postmortems, changes with their
services; then the audit events of both and the report facts), makes `--users` ops managers,
each with a session and an API token, and collects the static files for the manifest storage.

Then, per `--server` (gunicorn `sync:<workers>` or `gthread:<workers>x<threads>`), it serves
the portal on 127.0.0.1 with production settings (DEBUG off, a fresh SECRET_KEY, ALLOWED_HOSTS
127.0.0.1, cache and throttles on Redis `--redis-url`) plus bench/load_urls.py, which adds the
trivial view /bench/ping as the ceiling. For each endpoint, `--users` client threads with
keep-alive connections (http.client) request it in a closed loop, without think time unless
`--think` is given: `--warmup` seconds unrecorded, then `--duration` seconds recorded. Pages
carry the user's session cookie, the API its token, every request `X-Forwarded-Proto: https`
as from the TLS proxy in front of production.

Printed per endpoint: requests/s, latency p50/p95/p99 (ms), errors (anything but 200, or a
broken connection), SQL queries per request (one request in-process through Django's test
client with CaptureQueriesContext, same database and settings), the page size, and the CPU
used during the window, in cores: `app` gunicorn, `db` the PostgreSQL backends of the bench
database, `cli` the load generator, `rest` everything else on the machine (other jobs).
The verdict column checks p95 < 300 ms, no errors and, for the list endpoints, at least 50 %
of the trivial view's requests/s.

Use `--reuse` to keep a seeded `bench_load` from an earlier `--keep` run (no reseed).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from incidents_queue import percentile  # noqa: E402
from integrations_intake import admin, db_url, free_port  # noqa: E402

DB_NAME = "bench_load"
USER_PREFIX = "load-user-"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause of a user between two requests, seconds (default 0: closed loop)",
    )
    parser.add_argument(
        "--server",
        action="append",
        help="gunicorn worker set: sync:<workers> or gthread:<workers>x<threads> "
        "(repeatable; default sync:4 and gthread:2x8)",
    )
    parser.add_argument(
        "--page-cache-seconds",
        type=int,
        default=30,
        help="PAGE_CACHE_SECONDS of the server (default 30 as in production; 0: no page store)",
    )
    parser.add_argument(
        "--writes",
        type=float,
        default=0.0,
        help="writes per second to incidents during each window (each one ends the stored "
        "pages built from incidents; default 0)",
    )
    parser.add_argument("--only", nargs="*", help="endpoint names to run (default: all)")
    parser.add_argument("--reuse", action="store_true", help="reuse a seeded bench_load")
    parser.add_argument("--keep", action="store_true", help="keep bench_load afterwards")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    args = parser.parse_args()
    args.server = args.server or ["sync:4", "gthread:2x8"]
    return args


# --- environment and data -------------------------------------------------------------------


def server_env(args) -> dict:
    """Production settings from the environment, as a deployment sets them."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DATABASE_URL": db_url(args.admin_url, DB_NAME),
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "PAGE_CACHE_SECONDS": str(getattr(args, "page_cache_seconds", 30)),
        # Each token calls as fast as the server answers (25/s on a fast day): above the
        # production limit of 1200/min. The throttle still runs and counts every call.
        "API_RATE_USER": "1000000/min",
    }
    env.pop("ITSM_TEST_DB_SUFFIX", None)
    return env


def database_exists(args) -> bool:
    import psycopg2

    conn = psycopg2.connect(args.admin_url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def seed_events() -> None:
    """The audit trail of every seeded incident and change, as the services write it."""
    from django.contrib.contenttypes.models import ContentType
    from reports_seed import insert_select, timed

    from changes.models import Change
    from incidents.models import Incident

    people = (
        "(SELECT array_agg(id ORDER BY id) AS ids FROM itsm_user "
        "WHERE username LIKE 'bench-user-%%') u"
    )
    common = {
        "source": "'web'",
        "message": "''",
        "payload": "'{}'::jsonb",
        "action": "e.action",
        "from_state": "e.from_state",
        "to_state": "e.to_state",
        "at": "e.at",
    }
    timed(
        "incident events",
        insert_select,
        "itsm_auditevent",
        {
            **common,
            "content_type_id": str(ContentType.objects.get_for_model(Incident).pk),
            "object_id": "i.id::varchar",
            "actor_id": "u.ids[1 + (i.id + e.n) % array_length(u.ids, 1)]",
        },
        f"""incidents_incident i CROSS JOIN {people} CROSS JOIN LATERAL (VALUES
            (1, 'reported', '', 'detected', i.detected_at),
            (2, 'acknowledged', 'detected', 'acknowledged', i.acknowledged_at),
            (3, 'investigating', 'acknowledged', 'investigating', i.acknowledged_at),
            (4, 'recovered', 'investigating', 'recovered', i.recovered_at),
            (5, 'closed', 'recovered', 'closed', i.closed_at)
        ) e(n, action, from_state, to_state, at) WHERE e.at IS NOT NULL""",
    )
    timed(
        "change events",
        insert_select,
        "itsm_auditevent",
        {
            **common,
            "content_type_id": str(ContentType.objects.get_for_model(Change).pk),
            "object_id": "c.id::varchar",
            "actor_id": "u.ids[1 + (c.id + e.n) % array_length(u.ids, 1)]",
        },
        f"""changes_change c CROSS JOIN {people} CROSS JOIN LATERAL (VALUES
            (1, 'create', '', 'draft', c.created_at),
            (2, 'submit', 'draft', 'submitted', c.submitted_at),
            (3, CASE WHEN c.status = 'rejected' THEN 'reject' ELSE 'approve' END,
                'awaiting_approval',
                CASE WHEN c.status = 'rejected' THEN 'rejected' ELSE 'approved' END,
                c.decided_at),
            (4, 'schedule', 'approved', 'scheduled',
                CASE WHEN c.status <> 'rejected' THEN c.decided_at + interval '1 minute' END),
            (5, 'start', 'scheduled', 'implementing', c.started_at),
            (6, CASE WHEN c.status = 'rolled_back' THEN 'roll_back' ELSE 'finish' END,
                'implementing',
                CASE WHEN c.status = 'rolled_back' THEN 'rolled_back' ELSE 'verifying' END,
                coalesce(c.completed_at, CASE WHEN c.status = 'rolled_back'
                                         THEN c.started_at + interval '1 hour' END)),
            (7, 'close', 'verifying', 'closed',
                CASE WHEN c.status = 'closed' THEN c.completed_at + interval '1 hour' END),
            (8, 'cancel', 'scheduled', 'cancelled',
                CASE WHEN c.status = 'cancelled' THEN c.planned_start END)
        ) e(n, action, from_state, to_state, at) WHERE e.at IS NOT NULL""",
    )


def seed(args) -> None:
    import reports_seed
    from django.db import connection

    from reports import facts

    started = time.perf_counter()
    print(f"Seeding {args.incidents:,} incidents and {args.changes:,} changes ...", flush=True)
    reports_seed.seed(incidents=args.incidents, changes=args.changes)
    with connection.cursor() as cursor:
        # The seed leaves deadlines empty; open incidents have one, as their clocks set it.
        cursor.execute(
            """UPDATE incidents_incident SET next_due_at = detected_at + CASE priority
               WHEN 'P1' THEN interval '4 hours' WHEN 'P2' THEN interval '8 hours'
               WHEN 'P3' THEN interval '27 hours' ELSE interval '90 hours' END
               WHERE status NOT IN ('closed', 'recovered', 'verified', 'merged')"""
        )
    seed_events()
    written = facts.rebuild()
    print(f"  report facts rebuilt: {written:,} rows", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  seed total {time.perf_counter() - started:.0f} s", flush=True)


def sizes() -> list[tuple[str, int]]:
    from django.db import connection

    counts = []
    with connection.cursor() as cursor:
        for label, sql in (
            ("incidents", "SELECT count(*) FROM incidents_incident"),
            (
                "  open (queue)",
                "SELECT count(*) FROM incidents_incident WHERE status IN "
                "('detected', 'triaged', 'acknowledged', 'investigating', 'waiting')",
            ),
            ("changes", "SELECT count(*) FROM changes_change"),
            ("audit events", "SELECT count(*) FROM itsm_auditevent"),
            ("SLA clocks", "SELECT count(*) FROM timers_clock"),
            ("report facts", "SELECT count(*) FROM reports_incidentfact"),
        ):
            cursor.execute(sql)
            counts.append((label, cursor.fetchone()[0]))
    return counts


@dataclass
class Credentials:
    session: str
    token: str


def make_users(count: int) -> list[Credentials]:
    """Ops managers (incidents, changes and reports), each with a session and a token."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from itsm import roles
    from itsm.models import User

    group = Group.objects.get(name=roles.OPS_MANAGER)
    credentials = []
    for n in range(count):
        user, _ = User.objects.get_or_create(username=f"{USER_PREFIX}{n}")
        user.set_unusable_password()  # sessions and tokens only: no login, no slow hashing
        user.save()
        user.groups.add(group)
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        token, _ = Token.objects.get_or_create(user=user)
        credentials.append(Credentials(session=session.session_key, token=token.key))
    return credentials


# --- endpoints ------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    paths: list[str]  # requests cycle through these
    api: bool = False  # token instead of the session cookie

    def headers(self, who: Credentials) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Accept-Encoding": "identity"}
        if self.api:
            headers["Authorization"] = f"Token {who.token}"
        else:
            headers["Cookie"] = f"sessionid={who.session}"
        return headers


def endpoints(only: list[str] | None) -> list[Endpoint]:
    from changes.models import Change

    change_ids = list(Change.objects.order_by("?").values_list("pk", flat=True)[:500])
    chosen = [
        Endpoint("trivial view (ceiling)", ["/bench/ping"]),
        Endpoint("incident queue page", ["/incidents/queue/"]),
        Endpoint("incident list API", ["/api/v1/incidents/"], api=True),
        Endpoint("change list page", ["/changes/"]),
        Endpoint("change detail page", [f"/changes/{pk}/" for pk in change_ids]),
        Endpoint("SLA report page", ["/reports/sla/"]),
    ]
    if only:
        chosen = [e for e in chosen if any(word in e.name for word in only)]
    return chosen


def query_counts(chosen: list[Endpoint], who: Credentials) -> dict[str, tuple[int, int, int]]:
    """(status, queries, bytes) of one request per endpoint, in-process, after a warm one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.cookies["sessionid"] = who.session
    out = {}
    for endpoint in chosen:
        extra = {"HTTP_AUTHORIZATION": f"Token {who.token}"} if endpoint.api else {}
        client.get(endpoint.paths[0], **extra)  # caches (content types, ...) warm as in a worker
        with CaptureQueriesContext(connection) as captured:
            response = client.get(endpoint.paths[0], **extra)
        out[endpoint.name] = (response.status_code, len(captured), len(response.content))
    return out


# --- server and load ------------------------------------------------------------------------


def gunicorn_args(spec: str) -> tuple[list[str], str]:
    kind, _, size = spec.partition(":")
    if kind == "sync":
        return ["-k", "sync", "-w", size], f"{size} sync workers"
    if kind == "gthread":
        workers, _, threads = size.partition("x")
        return (
            ["-k", "gthread", "-w", workers, "--threads", threads, "--keep-alive", "5"],
            f"{workers} gthread workers x {threads} threads",
        )
    raise SystemExit(f"unknown --server {spec!r}: sync:<n> or gthread:<n>x<threads>")


def start_server(spec: str, port: int, env: dict) -> subprocess.Popen:
    extra, _ = gunicorn_args(spec)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "-b", f"127.0.0.1:{port}",
         *extra, "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def cpu_by_pid(pids) -> dict[int, float]:
    """utime + stime (seconds) of each process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == master:
                pids.append(int(entry.name))
    return pids


def database_pids(admin_url: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (the workers' connections)."""
    import psycopg2

    conn = psycopg2.connect(admin_url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        pids = [row[0] for row in cursor.fetchall()]
    conn.close()
    return pids


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idle and I/O wait (from /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def write_steadily(per_second: float, until: float) -> int:
    """Touch a random open incident `per_second` times a second through the ORM (so that each
    write moves the page store's data version, as a real one does); the number written."""
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Incident

    ids = list(Incident.objects.filter(closed_at__isnull=True).values_list("pk", flat=True))
    pick = random.Random(1)
    written = 0
    next_at = time.monotonic()
    try:
        while next_at < until:
            time.sleep(max(0.0, next_at - time.monotonic()))
            Incident.objects.filter(pk=pick.choice(ids)).update(updated_at=timezone.now())
            written += 1
            next_at += 1 / per_second
    finally:
        connection.close()
    return written


def drive(port: int, endpoint: Endpoint, users: list[Credentials], warmup: float,
          duration: float, master: int, admin_url: str, think: float,
          writes: float = 0.0) -> dict:  # fmt: skip
    """Closed loop: each user requests again as soon as the answer is read (or after a pause
    of 0.5-1.5 x `think` seconds)."""
    begin = time.monotonic() + warmup
    end = begin + duration
    if writes:
        threading.Thread(target=write_steadily, args=(writes, end), daemon=True).start()
    latencies: list[list[float]] = [[] for _ in users]
    errors = [0] * len(users)
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def user(index: int) -> None:
        headers = endpoint.headers(users[index])
        paths = endpoint.paths
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = index * 7
        pause = random.Random(index)
        while time.monotonic() < end:
            if think:
                time.sleep(think * pause.uniform(0.5, 1.5))
            path = paths[n % len(paths)]
            n += 1
            started = time.perf_counter()
            for attempt in (1, 2):
                reused = conn.sock is not None
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()  # http.client opens a new connection on the next request
                    break
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    # The server closed an idle keep-alive connection (after think time):
                    # retry once on a new one, as browsers do. Anything else is an error.
                    if not (reused and attempt == 1):
                        break
            elapsed = (time.perf_counter() - started) * 1000
            if begin <= time.monotonic() < end:
                latencies[index].append(elapsed)
                if status != 200:
                    errors[index] += 1
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(users))]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, begin - time.monotonic()))
    servers, backends = server_pids(master), database_pids(admin_url)
    cpu_server, cpu_db = cpu_by_pid(servers), cpu_by_pid(backends)
    cpu_client, cpu_all = time.process_time(), machine_busy_seconds()
    time.sleep(max(0.0, end - time.monotonic()))
    cpu_client = time.process_time() - cpu_client
    cpu_all = machine_busy_seconds() - cpu_all
    cpu_server = cpu_used(cpu_server, cpu_by_pid(servers))
    cpu_db = cpu_used(cpu_db, cpu_by_pid(set(backends) | set(database_pids(admin_url))))
    for thread in threads:
        thread.join()
    merged = sorted(value for chunk in latencies for value in chunk)
    count = len(merged)
    return {
        "requests": count,
        "rps": count / duration,
        "p50": percentile(merged, 50) if merged else 0.0,
        "p95": percentile(merged, 95) if merged else 0.0,
        "p99": percentile(merged, 99) if merged else 0.0,
        "errors": sum(errors),
        "statuses": statuses,
        "cpu_server": cpu_server / duration,
        "cpu_db": cpu_db / duration,
        "cpu_client": cpu_client / duration,
        "cpu_all": cpu_all / duration,
    }


# --- report ---------------------------------------------------------------------------------

P95_TARGET_MS = 300
SHARE_TARGET = 0.5
LIST_ENDPOINTS = {"incident queue page", "incident list API", "change list page"}


def table(
    results: dict[str, dict], counts: dict[str, tuple[int, int, int]], think: float
) -> list[str]:
    header = (
        f"{'endpoint':<24} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'queries':>7} {'KiB':>5} "
        f"{'app':>4} {'db':>4} {'cli':>4} {'rest':>4}  target"
    )
    lines = [header, "-" * len(header)]
    ceiling = results.get("trivial view (ceiling)", {}).get("rps")
    for name, r in results.items():
        misses, notes = [], []
        if r["p95"] >= P95_TARGET_MS:
            misses.append(f"p95 >= {P95_TARGET_MS} ms")
        if r["errors"]:
            misses.append("errors")
        if name in LIST_ENDPOINTS and ceiling and not think:  # with pauses, users set the rate
            share = r["rps"] / ceiling
            (misses if share < SHARE_TARGET else notes).append(f"{share:.0%} of the ceiling")
        verdict = ("MISS: " + ", ".join(misses + notes)) if misses else ", ".join(["ok", *notes])
        _, queries, size = counts[name]
        rest = max(0.0, r["cpu_all"] - r["cpu_server"] - r["cpu_db"] - r["cpu_client"])
        lines.append(
            f"{name:<24} {r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
            f"{r['errors']:>6} {queries:>7} {size / 1024:>5.0f} {r['cpu_server']:>4.2f} "
            f"{r['cpu_db']:>4.2f} {r['cpu_client']:>4.2f} {rest:>4.2f}  {verdict}"
        )
        if r["statuses"]:
            lines.append(f"{'':<24} statuses of the errors: {r['statuses']}")
    return lines


def main() -> None:
    args = parse()
    for spec in args.server:
        gunicorn_args(spec)  # fail fast on a typo
    env = server_env(args)
    os.environ.update(env)
    reuse = args.reuse and database_exists(args)
    if not reuse:
        admin(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin(args.admin_url, f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connections

    redis.Redis.from_url(args.redis_url).flushdb()  # throttle counters of an earlier run
    try:
        if not reuse:
            call_command("migrate", verbosity=0)
            seed(args)
        call_command("collectstatic", interactive=False, verbosity=0)
        data = sizes()
        users = make_users(args.users)
        chosen = endpoints(args.only)
        counts = query_counts(chosen, users[0])
        broken = {name: c[0] for name, c in counts.items() if c[0] != 200}
        if broken:
            raise SystemExit(f"endpoints do not answer 200 in-process: {broken}")
        connections.close_all()

        runs = {}
        for spec in args.server:
            port = free_port()
            server = start_server(spec, port, env)
            try:
                results = {}
                for endpoint in chosen:
                    results[endpoint.name] = drive(
                        port,
                        endpoint,
                        users,
                        args.warmup,
                        args.duration,
                        server.pid,
                        args.admin_url,
                        args.think,
                        args.writes,
                    )
                    print(f"  {spec:<12} {endpoint.name:<24} "
                          f"{results[endpoint.name]['rps']:7.1f} req/s", flush=True)  # fmt: skip
                runs[spec] = results
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(30)
    finally:
        connections.close_all()
        redis.Redis.from_url(args.redis_url).flushdb()
        if not args.keep:
            admin(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")

    print()
    loop = f"{args.think:g} s mean think time" if args.think else "closed loop without think time"
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores; "
          f"{args.users} users, {loop}, {args.warmup:g} s warm-up + {args.duration:g} s per "
          f"endpoint; PostgreSQL database {DB_NAME}")  # fmt: skip
    store = (f"page store on ({args.page_cache_seconds} s slots)" if args.page_cache_seconds
             else "page store off")  # fmt: skip
    print(f"{store}; {args.writes:g} writes/s to incidents during each window")
    print("data: " + ", ".join(f"{label.strip()} {n:,}" for label, n in data))
    with open("/proc/loadavg") as handle:
        print(f"load average before the report: {' '.join(handle.read().split()[:3])}")
    for spec, results in runs.items():
        print()
        print(f"gunicorn {gunicorn_args(spec)[1]} (DEBUG off, Redis cache, PostgreSQL)")
        for line in table(results, counts, args.think):
            print(line)


if __name__ == "__main__":
    main()
