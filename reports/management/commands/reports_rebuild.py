"""Rebuild the report facts from the incidents and their SLA clocks (safe at any time)."""

import time

from django.core.management.base import BaseCommand

from reports.facts import BATCH, rebuild


class Command(BaseCommand):
    help = "Rebuild the incident facts the reports aggregate (after a restore or bulk import)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="incidents per statement")

    def handle(self, *args, batch: int, verbosity: int, **options):
        started = time.perf_counter()

        def progress(done: int, last: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"  up to incident {min(done, last)} of {last}")

        written = rebuild(batch=batch, verbose=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{written} incident facts written in {time.perf_counter() - started:.1f} s."
            )
        )
