"""``manage.py score STUDY --instrument SLUG [--rater NAME] [--model PATH] [--perturb KIND]
[--targets FILE] [--sample N --seed S] [--wait]``, and ``score STUDY --watch JOB`` / ``--resume JOB``."""

import argparse
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.actor import Actor
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import ScoringJob, Study
from ratings.llm.perturbations import KINDS
from ratings.services.robustness import edits_from_rows, paraphrases_from_rows, robustness_job_start
from ratings.services.scoring import ScoringError, llm_rater_get_or_create, scoring_job_resume, scoring_job_start
from ratings.services.subsets import subset_choose, target_ids_from_text
from ratings.tabular import ImportRejected, read_file
from ratings.worker_status import worker_hint

BAR_WIDTH = 30


def progress_line(job: ScoringJob) -> str:
    finished = job.completed + job.failed
    filled = BAR_WIDTH * finished // job.total if job.total else BAR_WIDTH
    return (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {finished}/{job.total} "
            f"({job.completed} scored, {job.failed} failed) {job.status}")


class Command(BaseCommand):
    help = ("Score every target of a study (or a subset: --targets, --sample) with the local LLM rater, "
            "one Celery task per target; or follow a job (--watch) or enqueue its missing targets (--resume).")

    def add_arguments(self, parser):
        parser.add_argument("study")
        parser.add_argument("--instrument", help="slug or slug@version (required unless --resume)")
        parser.add_argument("--resume", type=int, metavar="JOB",
                            help="enqueue again the targets of an unfinished job that have no result")
        parser.add_argument("--watch", type=int, metavar="JOB",
                            help="follow a job's progress until it ends; enqueues nothing")
        parser.add_argument("--targets", type=Path, metavar="FILE",
                            help="score only these targets: ids one per line, or a CSV with an id column")
        parser.add_argument("--sample", type=int, metavar="N",
                            help="score a random sample of N targets (of --targets if given), drawn with --seed")
        parser.add_argument("--rater", help="LLM rater name (default: llm-<model file name>)")
        parser.add_argument("--model", help="GGUF file (default: ANCHOR_LLM_MODEL or the bundled model)")
        parser.add_argument("--perturb", choices=KINDS,
                            help="a robustness run: re-score under this perturbation (report section 6)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the perturbation and of --sample")
        parser.add_argument("--paraphrases", help="CSV/JSONL (item, text) for --perturb paraphrase_items")
        parser.add_argument("--edits", help="CSV/JSONL (id, text) of edited targets for --perturb edit_content")
        parser.add_argument("--wait", action="store_true", help="show progress until the job ends")
        parser.add_argument("--poll", type=float, default=0.5, help=argparse.SUPPRESS)

    def handle(self, *args, study, instrument, resume, watch, rater, model, wait, poll, perturb, **options):
        if watch is not None:
            self._wait(self._job(study, watch), poll)
            return
        if resume is not None:
            job = self._resume(study, resume)
        else:
            subset = self._subset(study, options)
            if perturb:
                job = self._start_perturbed(study, instrument, rater, model, perturb, options, subset)
            else:
                job = self._start(study, instrument, rater, model, subset)
        if wait:
            self._wait(job, poll)

    def _job(self, study: str, job_id: int) -> ScoringJob:
        job = ScoringJob.objects.filter(pk=job_id, study__slug=study).first()
        if job is None:
            raise CommandError(f"no scoring job {job_id} in study {study!r}")
        return job

    def _subset(self, study: str, options) -> dict | None:
        path, sample = options["targets"], options["sample"]
        if path is None and sample is None:
            return None
        study_obj = Study.objects.filter(slug=study).first()
        if study_obj is None:
            raise CommandError(f"no study {study!r}")
        try:
            ids = target_ids_from_text(path.read_text(encoding="utf-8")) if path is not None else None
            return subset_choose(study=study_obj, target_ids=ids, sample=sample, seed=options["seed"])
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        except ScoringError as exc:
            raise CommandError(str(exc)) from exc

    def _resume(self, study: str, job_id: int) -> ScoringJob:
        job = self._job(study, job_id)
        count = scoring_job_resume(job=job)
        self.stdout.write(f"job {job.pk}: {count} targets enqueued again ({job.status})")
        return job

    def _start(self, study, instrument, rater, model, subset) -> ScoringJob:
        if not instrument:
            raise CommandError("--instrument is required to start a job")
        try:
            study_obj = Study.objects.get(slug=study)
            version = instrument_version_get(reference=instrument)
            rater_obj = llm_rater_get_or_create(name=rater, model_path=model)
            job = scoring_job_start(study=study_obj, version=version, rater=rater_obj, subset=subset,
                                    actor=Actor.command())
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}") from None
        except InstrumentVersion.DoesNotExist:
            raise CommandError(f"no published instrument {instrument!r}") from None
        except ScoringError as exc:
            raise CommandError(str(exc)) from exc
        of_all = f" (a subset of {study_obj.targets.count()})" if subset else ""
        self.stdout.write(f"job {job.pk}: {rater_obj.name} scores {job.total} targets{of_all} of {study_obj.slug} "
                          f"with {version}")
        return job

    def _start_perturbed(self, study, instrument, rater, model, kind, options, subset) -> ScoringJob:
        if not instrument:
            raise CommandError("--instrument is required to start a job")
        try:
            study_obj = Study.objects.get(slug=study)
            version = instrument_version_get(reference=instrument)
            paraphrases = (paraphrases_from_rows(version=version, rows=read_file(options["paraphrases"],
                                                                                  required=("item", "text")))
                           if options["paraphrases"] else None)
            edits = (edits_from_rows(study=study_obj, rows=read_file(options["edits"], required=("id", "text")))
                     if options["edits"] else None)
            base = llm_rater_get_or_create(name=rater, model_path=model)
            job = robustness_job_start(study=study_obj, version=version, kind=kind, seed=options["seed"],
                                       base=base, paraphrases=paraphrases, edits=edits, subset=subset,
                                       actor=Actor.command())
        except Study.DoesNotExist:
            raise CommandError(f"no study {study!r}") from None
        except InstrumentVersion.DoesNotExist:
            raise CommandError(f"no published instrument {instrument!r}") from None
        except (ScoringError, ImportRejected) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"job {job.pk}: {job.rater.name} ({kind} of {base.name}) scores {job.total} targets "
                          f"of {study_obj.slug} with {version}")
        return job

    def _wait(self, job: ScoringJob, poll: float) -> None:
        interactive = self.stdout.isatty()
        shown = hinted = None
        while True:
            job.refresh_from_db()
            line = progress_line(job)
            hint = worker_hint(job)
            if hint and hint != hinted:
                self.stderr.write(("\n" if interactive and shown else "") + hint)
                self.stderr.flush()
                shown = None
            hinted = hint
            if line != shown:  # a log gets one line per change, a terminal one redrawn line
                self.stdout.write(("\r" if interactive else "") + line, ending="" if interactive else "\n")
                self.stdout.flush()
                shown = line
            if job.status not in (ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING):
                break
            time.sleep(poll)
        if interactive:
            self.stdout.write("")
        for error in job.errors:
            self.stderr.write(f"  {error['target']}: {error['error']}")
        if job.status == ScoringJob.Status.FAILED:
            raise CommandError(f"job {job.pk} failed: no target could be scored")
