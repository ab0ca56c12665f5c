"""Real Celery processes: beat schedules the heartbeat, a worker runs it, /healthz sees it.

Runs the embedded mode (filesystem broker, SQLite) always, and the Redis broker when a Redis
server is there (required in CI).
"""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]


def _env(var_dir: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(ITSM_VAR_DIR=str(var_dir), HEARTBEAT_INTERVAL="1", TIMER_SWEEP_INTERVAL="1", **extra)
    return env


def _wait_for_heartbeat(db: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                row = conn.execute("SELECT at FROM itsm_heartbeat WHERE name = 'beat'").fetchone()
            if row:
                return row[0]
        except sqlite3.OperationalError:
            pass
        time.sleep(0.5)
    raise AssertionError("no heartbeat within the timeout")


def _run_portal_processes(tmp_path: Path, **extra) -> str:
    env = _env(tmp_path, **extra)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "itsm",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "itsm",
                "beat",
                "--loglevel=WARNING",
                "-s",
                str(tmp_path / "beat-schedule"),
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    try:
        return _wait_for_heartbeat(tmp_path / "itsm.sqlite3")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_embedded_mode_beat_and_worker_really_fire(tmp_path):
    assert _run_portal_processes(tmp_path)


@pytest.mark.redis
def test_redis_broker_beat_and_worker_really_fire(tmp_path):
    assert _run_portal_processes(tmp_path, REDIS_URL=redis_url())
