"""A real portal back end in subprocesses (Celery worker + beat) for precision tests and
bench/timers_precision.py. Not a test module.

The database is a SQLite file in `var_dir`, or a PostgreSQL database created for the run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ARM_PROBES = """
import json
from datetime import timedelta
from itsm.timers import services
out = []
for delay, fast in json.loads({spec!r}):
    t = services.timer_probe(delay=timedelta(seconds=delay), fast_path=fast)
    out.append([t.pk, "fast path" if fast else "sweep only"])
print("PROBES", json.dumps(out))
"""


class Portal:
    def __init__(
        self,
        var_dir: Path,
        *,
        redis_url: str | None,
        database_url: str | None = None,
        sweep_interval: float = 15,
        concurrency: int = 2,
    ):
        self.var_dir, self.database_url = Path(var_dir), database_url
        self.concurrency = concurrency
        drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "ITSM_TEST_DB_SUFFIX"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(ITSM_VAR_DIR=str(self.var_dir), TIMER_SWEEP_INTERVAL=str(sweep_interval))
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.procs: list[subprocess.Popen] = []

    # --- processes ------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def start(self) -> Portal:
        self.manage("migrate", "-v0")
        celery = [sys.executable, "-m", "celery", "-A", "itsm"]
        self.procs = [
            subprocess.Popen(
                [*celery, "worker", f"--concurrency={self.concurrency}", "--loglevel=WARNING"],
                cwd=ROOT,
                env=self.env,
            ),
            subprocess.Popen(
                [*celery, "beat", "--loglevel=WARNING", "-s", str(self.var_dir / "beat")],
                cwd=ROOT,
                env=self.env,
            ),
        ]
        return self

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def __enter__(self) -> Portal:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- probes ---------------------------------------------------------------------------
    def arm_probes(self, spec: list[tuple[float, bool]]) -> dict[int, str]:
        """Arm probes [(delay seconds, fast path?)]; returns {timer id: path}."""
        out = self.manage("shell", "-c", ARM_PROBES.format(spec=json.dumps(spec)))
        line = next(x for x in out.splitlines() if x.startswith("PROBES "))
        return dict(json.loads(line[len("PROBES ") :]))

    def _query(self, sql: str, params=()) -> list[tuple]:
        if self.database_url:
            import psycopg2

            conn = psycopg2.connect(self.database_url)
            try:
                with conn, conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            finally:
                conn.close()
        conn = sqlite3.connect(self.var_dir / "itsm.sqlite3", timeout=30)
        try:
            with conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    def wait_until_swept(self, timeout: float = 120) -> None:
        """Wait until beat and the worker are up: a sweep has run since start()."""
        self._query("DELETE FROM timers_sweepstat WHERE name = 'sweeper'")
        deadline = time.monotonic() + timeout
        while not self._query("SELECT 1 FROM timers_sweepstat WHERE name = 'sweeper'"):
            if time.monotonic() > deadline:
                raise TimeoutError("no sweep ran: is the broker up?")
            time.sleep(0.5)

    def fired_lateness(self, ids) -> dict[int, timedelta]:
        """{timer id: late_by} of the given timers that have fired so far."""
        ids = list(ids)
        marks = ", ".join(["%s"] * len(ids))
        sql = f"SELECT id, late_by FROM timers_timer WHERE state = 'fired' AND id IN ({marks})"
        rows = self._query(sql, ids)
        # SQLite keeps a duration as microseconds, PostgreSQL as an interval.
        return {
            pk: late if isinstance(late, timedelta) else timedelta(microseconds=late)
            for pk, late in rows
        }

    def wait_until_fired(self, ids, timeout: float) -> dict[int, timedelta]:
        """Poll the database (real processes are at work) until every timer has fired."""
        deadline = time.monotonic() + timeout
        while True:
            fired = self.fired_lateness(ids)
            if len(fired) == len(ids) or time.monotonic() > deadline:
                return fired
            time.sleep(0.5)


def create_database(admin_url: str, name: str) -> str:
    """Drop and create a PostgreSQL database; returns its URL."""
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
