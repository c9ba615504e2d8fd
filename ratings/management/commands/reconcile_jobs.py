"""``manage.py reconcile_jobs [--loop SECONDS]``: one pass of the job reconciler, or one every
SECONDS until stopped (what ``make run`` runs beside its worker; production uses Celery beat)."""

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from ratings.services.reconciler import jobs_reconcile


class Command(BaseCommand):
    help = ("Bring unfinished scoring jobs in line with the database: queue targets whose worker died, "
            "hand waiting targets to the broker, finish ended jobs, mark stalled ones with the reason.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS",
                            help="run a pass every SECONDS until interrupted")

    def handle(self, *args, loop, **options):
        if loop is None:
            self.stdout.write(jobs_reconcile().summary())
            return
        while True:
            try:
                close_old_connections()
                report = jobs_reconcile()
                if report.leases_expired or report.enqueued or report.finished or report.stalled:
                    self.stdout.write(f"reconcile_jobs: {report.summary()}")
                    self.stdout.flush()
            except DatabaseError as exc:  # the database is away: say so and try again next time
                self.stderr.write(f"reconcile_jobs: the database is unavailable ({exc}); retrying in {loop:g} s")
            time.sleep(loop)
