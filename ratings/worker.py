"""What a Celery worker process does besides running tasks: check its model file before it
takes any work, report that it is alive (``WorkerHeartbeat``), and keep the lease of the
target it scores. Connected to Celery's signals by ``config/celery.py``.
"""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from celery import signals
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

logger = logging.getLogger("ratings.worker")

_state = {"hostname": "", "queues": [], "broker_error": "", "broker_error_at": 0.0, "started_at": None}
_stop = threading.Event()
BROKER_ERROR_SHOWN_SECONDS = 120  # a broker failure is reported this long after it was last met


class ModelCheckFailed(SystemExit):
    """The worker refuses to start: its model file is missing, unreadable or not a model."""


def note_broker_error(message: str) -> None:
    """Remember a broker failure this process met; the next heartbeats report it (the job page
    and the reconciler's stalled reason show it)."""
    _state.update(broker_error=message[:500], broker_error_at=time.monotonic())


class _BrokerErrorHandler(logging.Handler):
    """Feeds the broker transport's ERROR lines (config/fsbroker.py) to the heartbeat."""

    def emit(self, record: logging.LogRecord) -> None:
        note_broker_error(record.getMessage())


LOAD_CHECK = """
import sys
from ratings.llm import LlmError, get_backend
try:
    get_backend("llama_cpp", model_path=sys.argv[1], n_ctx=int(sys.argv[2]), n_threads=int(sys.argv[3]))
except LlmError as exc:
    print(exc, file=sys.stderr)
    sys.exit(3)
"""


def _load_in_a_fresh_process(path) -> None:
    """Load the model in a child of its own: a prefork pool forks its workers from this process,
    and a process that has run llama.cpp's threads must not be forked."""
    from ratings.llm import LlmPermanentError

    result = subprocess.run([sys.executable, "-c", LOAD_CHECK, str(path), str(settings.ANCHOR_LLM_N_CTX), "1"],
                            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise LlmPermanentError(lines[-1] if lines else f"the model check exited with {result.returncode}")


def check_model(queues: list[str], *, in_process: bool = True) -> str:
    """Check the worker's model before it takes work (a worker that takes scoring work and runs
    llama.cpp itself): the file exists, its SHA-256 is ``ANCHOR_LLM_MODEL_SHA256`` when that is
    set, and it loads. Raise ``ModelCheckFailed`` with llama.cpp's reason when it does not.
    Returns what was checked."""
    from ratings.services.jobs import score_queue

    if score_queue() not in queues or settings.ANCHOR_LLM_BACKEND != "llama_cpp":
        return "no local model (this worker does not score, or scores over HTTP)"
    from ratings.llm import LlmError, get_backend
    from ratings.llm.model_files import model_sha256, resolve_model_path
    from ratings.llm.threads import resolve_threads

    try:
        path = resolve_model_path(settings.ANCHOR_LLM_MODEL or None)
        digest = model_sha256(path)
        expected = settings.ANCHOR_LLM_MODEL_SHA256.strip().lower()
        if expected and digest != expected:
            raise ModelCheckFailed(f"this worker's model {path} has SHA-256 {digest}, not the "
                                   f"ANCHOR_LLM_MODEL_SHA256 {expected} it is configured to run")
        threads = resolve_threads(settings.ANCHOR_LLM_THREADS)
        if in_process:  # kept: the worker's first task reuses it, as every later one does
            get_backend("llama_cpp", model_path=path, n_ctx=settings.ANCHOR_LLM_N_CTX, n_threads=threads)
        else:
            _load_in_a_fresh_process(path)
    except (LlmError, OSError) as exc:
        raise ModelCheckFailed(f"this worker takes the {score_queue()!r} queue but its model cannot be used: {exc}") from exc
    return (f"model {path} (sha256 {digest[:12]}...) loads; {threads} llama.cpp thread(s) "
            f"(ANCHOR_LLM_THREADS={settings.ANCHOR_LLM_THREADS}), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}")


def _beat_once() -> None:
    from ratings.models import WorkerHeartbeat

    now = timezone.now()
    recent = time.monotonic() - _state["broker_error_at"] < BROKER_ERROR_SHOWN_SECONDS
    WorkerHeartbeat.objects.update_or_create(
        hostname=_state["hostname"],
        defaults={"queues": _state["queues"], "pid": os.getpid(), "started_at": _state["started_at"] or now,
                  "last_seen": now, "broker_error": _state["broker_error"] if recent else ""})


def _heartbeat_loop() -> None:
    while not _stop.is_set():
        try:
            close_old_connections()
            _beat_once()
        except DatabaseError as exc:  # the database is away: say so, try again next beat
            logger.warning("worker heartbeat not written: %s", exc)
            connections.close_all()
        _stop.wait(settings.ANCHOR_WORKER_HEARTBEAT_SECONDS)
    connections.close_all()


@signals.celeryd_after_setup.connect
def _after_setup(sender, instance, **kwargs) -> None:
    """Runs once in the worker's main process before it takes work."""
    queues = sorted(instance.app.amqp.queues.consume_from or instance.app.amqp.queues)
    _state.update(hostname=sender, queues=queues, started_at=timezone.now())
    logging.getLogger("anchor.broker").addHandler(_BrokerErrorHandler(level=logging.ERROR))
    # A solo (or threads) pool runs tasks in this process: load the model here once and keep it.
    in_process = getattr(instance.pool_cls, "__module__", "").endswith((".solo", ".thread"))
    try:
        checked = check_model(queues, in_process=in_process)
    except ModelCheckFailed as exc:
        logger.critical("refusing to start: %s", exc)
        raise
    logger.warning("worker %s takes %s; %s", sender, ", ".join(queues), checked)


@signals.worker_ready.connect
def _start_heartbeat(**kwargs) -> None:
    threading.Thread(target=_heartbeat_loop, name="anchor-heartbeat", daemon=True).start()


@signals.worker_shutdown.connect
def _stop_heartbeat(**kwargs) -> None:
    _stop.set()
    try:
        from ratings.models import WorkerHeartbeat

        close_old_connections()
        WorkerHeartbeat.objects.filter(hostname=_state["hostname"], pid=os.getpid()).delete()
    except DatabaseError:
        pass  # its heartbeat goes stale by itself


@contextlib.contextmanager
def lease_kept(*, task_id: int, worker: str) -> Iterator[threading.Event]:
    """Renew the task's lease every third of its length while the body runs, up to the hard time
    limit (a hung task then loses its lease and the reconciler gives the target to another
    worker). The event yielded is set when the lease was lost (another worker may have it)."""
    from ratings.services.jobs import scoring_task_renew

    done, lost = threading.Event(), threading.Event()
    deadline = timezone.now().timestamp() + settings.ANCHOR_TASK_TIME_LIMIT

    def renew() -> None:
        interval = max(1.0, settings.ANCHOR_JOB_LEASE_SECONDS / 3)
        while not done.wait(interval):
            if timezone.now().timestamp() > deadline:
                logger.error("task %s is past its hard time limit (%s s): its lease is left to run out",
                             task_id, settings.ANCHOR_TASK_TIME_LIMIT)
                break
            try:
                if not scoring_task_renew(task_id=task_id, worker=worker):
                    lost.set()
                    break
            except DatabaseError as exc:
                logger.warning("lease of task %s not renewed: %s", task_id, exc)
                connections.close_all()
        connections.close_all()

    thread = threading.Thread(target=renew, name=f"lease-{task_id}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        done.set()
        thread.join(timeout=5)


@contextlib.contextmanager
def soft_time_limit(seconds: int) -> Iterator[None]:
    """Raise ``SoftTimeLimitExceeded`` in the task after ``seconds``. Celery enforces its limits
    in a prefork pool only; a solo-pool worker (the model queue) runs tasks in its main thread,
    where SIGALRM does the same. Elsewhere (a thread, eager mode) this does nothing."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        raise SoftTimeLimitExceeded(f"over the soft time limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
