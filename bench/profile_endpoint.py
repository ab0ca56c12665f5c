"""Profile one endpoint in-process: where does a request's Python CPU go?

    python bench/profile_endpoint.py /api/v1/incidents/ [--api] [-n 30] [--top 40]
        [--sort cumulative tottime] [--save page.html]
        [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/12]

Uses the settings and the database of bench/load.py (`bench_load`, seeded by an earlier
`bench/load.py --keep` run; this script never creates or seeds it): production settings
(DEBUG off, Redis cache) plus bench/load_settings.py. It logs in an ops manager as
bench/load.py does (session cookie for pages, DRF token with `--api`), sends one warm-up
request, times `-n` requests with django.test.Client (wall and process CPU), profiles `-n`
more with cProfile and prints the top functions by cumulative and by own time, then the
project's own functions. `--save` writes the body, to diff a page before and after a change.
`change_detail` in the path becomes one change's id, always the same one
(`/changes/change_detail/`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="e.g. /incidents/queue/ or /api/v1/incidents/")
    parser.add_argument("--api", action="store_true", help="authenticate with the DRF token")
    parser.add_argument("-n", type=int, default=30, help="profiled requests (default 30)")
    parser.add_argument("--top", type=int, default=40, help="rows per table (default 40)")
    parser.add_argument("--sort", nargs="*", default=["cumulative", "tottime"])
    parser.add_argument("--save", help="write the response body here (to diff before/after)")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    return parser.parse_args()


def main() -> None:
    args = parse()
    import load

    if not load.database_exists(args):
        raise SystemExit(f"no database {load.DB_NAME}: run bench/load.py --keep first")
    os.environ.update(load.server_env(args))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    if not Path(settings.STATIC_ROOT, "staticfiles.json").exists():  # manifest storage
        call_command("collectstatic", interactive=False, verbosity=0)

    who = load.make_users(1)[0]
    path = args.path
    if "change_detail" in path:
        from changes.models import Change

        path = path.replace("change_detail", str(Change.objects.order_by("pk")[1234].pk))
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.cookies["sessionid"] = who.session
    extra = {"HTTP_AUTHORIZATION": f"Token {who.token}"} if args.api else {}

    response = client.get(path, **extra)  # warm-up: caches, connections, templates
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code}")
    if args.save:
        Path(args.save).write_bytes(response.content)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.n):
        client.get(path, **extra)
    plain = (time.perf_counter() - started, time.process_time() - cpu)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        client.get(path, **extra)
    profiler.disable()
    elapsed = time.perf_counter() - started

    wall, cpu = (1000 * t / args.n for t in plain)
    print(f"GET {path}: {len(response.content) / 1024:.0f} KiB; {args.n} requests: "
          f"{wall:.1f} ms wall and {cpu:.1f} ms CPU each without the profiler, "
          f"{1000 * elapsed / args.n:.1f} ms wall under cProfile")  # fmt: skip
    stats = pstats.Stats(profiler, stream=sys.stdout)
    for key in args.sort:
        print(f"\n=== top {args.top} by {key} ===")
        stats.sort_stats(key).print_stats(args.top)
    # The project's own functions (outside the virtualenv and the standard library).
    print(f"\n=== the project's top {args.top} by cumulative time ===")
    stats.sort_stats("cumulative").print_stats(rf"^{ROOT}/(?!\.venv/)", args.top)


if __name__ == "__main__":
    main()
