"""A sweeper in its own process, for the PostgreSQL process tests (not a test module).

    python tests/timers/sweep_worker.py BATCH_SIZE [BARRIER_FILE]

Prints "PID <backend pid>", waits for the barrier file if given, sweeps until nothing is
left, then prints "FIRED <n>". With TIMERS_TEST_HANG=1 the tests.record handler blocks
after recording its event, inside the sweep's transaction, until the process is killed.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from itsm.timers import services  # noqa: E402
from tests.timers import handlers  # noqa: E402, F401


def main() -> None:
    batch_size = int(sys.argv[1])
    barrier = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    connection.ensure_connection()
    print("PID", connection.connection.get_backend_pid(), flush=True)
    while barrier is not None and not barrier.exists():
        time.sleep(0.005)
    fired = 0
    while True:
        result = services.sweep(batch_size=batch_size, max_batches=1)
        fired += result.fired
        if result.fired == 0 and result.busy == 0 and result.failed == 0:
            break
    print("FIRED", fired, flush=True)


if __name__ == "__main__":
    main()
