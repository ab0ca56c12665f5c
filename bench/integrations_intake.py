"""Benchmark: Alertmanager intake through a real server (gunicorn) on PostgreSQL.

    python bench/integrations_intake.py [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
        [--groups 300] [--alerts-per-group 3] [--concurrency 8] [--workers 2] [--threads 4]
        [--max-seconds 120]

Creates the database `bench_integrations` (dropped again at the end), migrates it, makes one
integration, starts gunicorn on 127.0.0.1 and posts Alertmanager webhook payloads from
`--concurrency` client threads with keep-alive connections, in three phases:

  new       a group key never seen: opens an incident (clocks, escalation, audit, fan-out)
  repeat    the same payload again, as Alertmanager re-sends an open group: a logged no-op
  update    one more alert in an open group: listed on its incident

and prints, per phase, requests, accepted alerts per second, and median / p95 / max latency,
then the SQL queries one request of each kind costs (measured in-process). Each phase stops
after its request count or `--max-seconds`, whichever comes first. Tasks queue to Redis
(REDIS_URL, default db 8, flushed afterwards) when it answers, else run eagerly with a dummy
mail backend.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "bench_integrations"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    )
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--alerts-per-group", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    return parser.parse_args()


def db_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(admin_url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def redis_ok(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(args, database_url: str, var_dir: str, use_redis: bool) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "ITSM_VAR_DIR": var_dir,
        "API_RATE_INTAKE": "1000000/min",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if use_redis:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
        env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    return env


def setup_data(env: dict) -> str:
    """Migrate and create the world and one integration; returns its token."""
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "import django; django.setup()\n"
        "from itsm.models import Team, Service, BusinessCalendar\n"
        "from integrations import services\n"
        "cal = BusinessCalendar.objects.filter(country='KR').first()\n"
        "team = Team.objects.create(name='Bench Ops', slug='bench-ops', calendar=cal)\n"
        "svc = Service.objects.create(name='Bench API', slug='bench-api', owner_team=team)\n"
        "_i, token = services.integration_create(actor=None, source='system', name='bench',"
        " default_service=svc)\n"
        "print(token)\n"
    )
    out = subprocess.run([python, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def alert(group: int, n: int, starts: str) -> dict:
    labels = {"alertname": f"BenchAlert{group}", "severity": "critical" if group % 4 else
              "warning", "instance": f"host{n}", "job": "bench"}  # fmt: skip
    return {
        "status": "firing", "labels": labels,
        "annotations": {"summary": f"Bench alert {group} on host{n}"},
        "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.bench:9090/graph",
        "fingerprint": f"{group:08x}{n:08x}",
    }  # fmt: skip


def payload(group: int, alerts: int, starts: str) -> bytes:
    items = [alert(group, n, starts) for n in range(alerts)]
    common = {"alertname": f"BenchAlert{group}", "job": "bench",
              "severity": items[0]["labels"]["severity"]}  # fmt: skip
    body = {
        "version": "4", "groupKey": f'{{}}:{{alertname="BenchAlert{group}"}}',
        "truncatedAlerts": 0, "status": "firing", "receiver": "itsm",
        "groupLabels": {"alertname": f"BenchAlert{group}"}, "commonLabels": common,
        "commonAnnotations": {}, "externalURL": "http://alertmanager.bench:9093",
        "alerts": items,
    }  # fmt: skip
    return json.dumps(body).encode()


def run_phase(port: int, token: str, bodies: list[tuple[bytes, int]], concurrency: int,
              max_seconds: float) -> dict:  # fmt: skip
    """POST every body once (or until max_seconds); returns latencies and accepted alerts."""
    work: queue.Queue = queue.Queue()
    for item in bodies:
        work.put(item)
    latencies: list[float] = []
    accepted = [0]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            try:
                body, alerts = work.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            conn.request("POST", "/api/v1/intake/alertmanager/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if 200 <= response.status < 300:
                    accepted[0] += alerts
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies), "statuses": statuses, "wall": wall,
        "alerts_per_s": accepted[0] / wall if wall else 0.0,
        "median": statistics.median(latencies) if latencies else 0.0,
        "p95": latencies[max(int(len(latencies) * 0.95) - 1, 0)] if latencies else 0.0,
        "max": latencies[-1] if latencies else 0.0,
    }  # fmt: skip


def query_counts(env: dict, token: str) -> dict:
    """SQL queries of one request of each kind, through Django's test client in-process."""
    script = f"""
import json, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from integrations_intake import payload
client = Client()
auth = {{"HTTP_AUTHORIZATION": "Bearer {token}"}}
out = {{}}
new = payload(999999, 3, "2026-01-01T00:00:00Z")
for name, body in [("new", new), ("repeat", new), ("update", payload(999999, 4,
                   "2026-01-01T00:00:00Z"))]:
    with CaptureQueriesContext(connection) as q:
        r = client.post("/api/v1/intake/alertmanager/", body, content_type="application/json",
                        **auth)
    out[name] = [r.status_code, len(q.captured_queries)]
print(json.dumps(out))
"""
    env = {**env, "DEBUG": "false"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse()
    use_redis = redis_ok(args.redis_url)
    database_url = db_url(args.admin_url, DB_NAME)
    admin(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin(args.admin_url, f"CREATE DATABASE {DB_NAME}")
    var_dir = tempfile.mkdtemp(prefix="bench-integrations-")
    env = server_env(args, database_url, var_dir, use_redis)
    server = None
    try:
        token = setup_data(env)
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "-b",
             f"127.0.0.1:{port}", "-w", str(args.workers), "--threads", str(args.threads),
             "-k", "gthread", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        starts = "2026-01-01T00:00:00Z"
        per = args.alerts_per_group
        new = [(payload(g, per, starts), per) for g in range(args.groups)]
        update = [(payload(g, per + 1, starts), per + 1) for g in range(args.groups)]
        run_phase(port, token, [(payload(10**6 + i, 1, starts), 1) for i in range(20)],
                  args.concurrency, 30)  # warm-up: imports, connections  # fmt: skip
        results = {
            "new": run_phase(port, token, new, args.concurrency, args.max_seconds),
            "repeat": run_phase(port, token, new, args.concurrency, args.max_seconds),
            "update": run_phase(port, token, update, args.concurrency, args.max_seconds),
        }
        counts = query_counts(env, token)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(20)
        if use_redis:
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()
        admin(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")

    print(f"gunicorn {args.workers} workers x {args.threads} threads (gthread), "
          f"{args.concurrency} clients, PostgreSQL, broker "
          f"{'redis' if use_redis else 'none (eager tasks)'}, "
          f"{args.groups} groups x {args.alerts_per_group} alerts")  # fmt: skip
    header = (f"{'phase':8} {'requests':>8} {'2xx':>6} {'alerts/s':>9} {'median ms':>10} "
              f"{'p95 ms':>8} {'max ms':>8} {'queries':>8}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        ok = sum(n for code, n in r["statuses"].items() if 200 <= code < 300)
        print(f"{name:8} {r['requests']:>8} {ok:>6} {r['alerts_per_s']:>9.1f} "
              f"{r['median']:>10.1f} {r['p95']:>8.1f} {r['max']:>8.1f} "
              f"{counts[name][1]:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
