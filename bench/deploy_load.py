"""The production stack under load: raters submitting forms while API clients submit batches.

    python bench/deploy_load.py [--quick] [--raters 50] [--clients 10] [--seconds 60]
                                [--think-time 0.5] [--arrival-rate 20] [--kill-connections 1]

Serves Anchor with gunicorn (deploy/gunicorn.conf.py, ANCHOR_PRODUCTION settings) on a fresh
PostgreSQL database (the server of POSTGRES_TEST_URL, default postgres://postgres@127.0.0.1/test)
and a private redis-server as the broker; requests arrive as nginx forwards them. Each rater
signs in and submits rating forms (GET the form, think, POST the answers) one after another (a
closed loop: the next starts when the last is answered); each API client submits batches (POST
/api/v1/batches/ with an Idempotency-Key) and retries each once, as a client does after a
timeout, the two copies racing in flight. First the raters run alone (the baseline), then
together with the clients and an `llm` worker scoring the batches (the bundled model;
`--no-worker` leaves it out). `--arrival-rate R` adds an open-loop phase beside the closed one:
rating forms started R per second on a Poisson schedule whatever the answers (each a GET, a
think time, a POST), with the clients and the worker still running; its latencies count from
when a request was due, so they include any queueing, and it reports the achieved rate against
the offered one. `--kill-connections S` terminates every database connection of the web every S
seconds during the mixed and open phases. A connection error is counted, not fatal. Afterwards
the database is checked: every accepted submission stored exactly once, and every stored
submission and batch (answered or not) has its audit event. Prints p50/p95/p99 latencies; the
last line is one JSON object.
"""

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "anchor.test"
ADMIN_URL = os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/test")
PASSWORD = "load-rater-password-3c1d"
ITEMS = [{"id": "b1", "text": "Therapist: How was the week?\nClient: Better, I tried the plan."},
         {"id": "b2", "text": "Therapist: And the diary?\nClient: I forgot it again."}]

# Raters with an account each, every rater assigned every target (bulk rows: the setup is not
# what is measured). The instrument is the built-in therapy-engagement scale.
SETUP = """
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from instruments.selectors import instrument_version_get
from ratings.models import Assignment, Rater, Study, Target
from ratings.services.studies import study_use_instrument
version = instrument_version_get(reference="therapy-engagement")
study = Study.objects.create(slug="load", title="Load")
study_use_instrument(study=study, version=version)
targets = Target.objects.bulk_create([Target(study=study, external_id=f"t{{i}}", text=f"Client: session {{i}}.")
                                      for i in range({targets})])
password = make_password("{password}")
users = User.objects.bulk_create([User(username=f"rater{{i}}", password=password) for i in range({raters})])
raters = Rater.objects.bulk_create([Rater(name=f"rater{{i}}", kind=Rater.Kind.HUMAN, user=u)
                                    for i, u in enumerate(users)])
Assignment.objects.bulk_create([Assignment(rater=r, target=t, instrument_version=version)
                                for r in raters for t in targets])
User.objects.create_user("client", password="{password}")
print(",".join(item.code for item in version.items.order_by("position")))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


class Session:
    """A browser's cookies and CSRF token over loopback (Secure cookies are kept by hand: the
    connection is plain HTTP, nginx's TLS is stood in for by X-Forwarded-Proto)."""

    def __init__(self, base: str):
        self.base, self.cookies = base, {}

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, str, float]:
        all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Referer": f"https://{HOST}{path}",
                       "Origin": f"https://{HOST}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=all_headers)
        started = time.perf_counter()
        try:
            with OPENER.open(request, timeout=120) as response:
                status, text, cookie_headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, cookie_headers = error.code, error.read().decode(), error.headers
        except OSError as error:  # refused, reset, timed out: counted by the caller (status 0)
            return 0, f"{type(error).__name__}: {error}", time.perf_counter() - started
        elapsed = time.perf_counter() - started
        for header in cookie_headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return status, text, elapsed

    def csrf(self) -> str:
        return self.cookies["csrftoken"]


def _percentiles(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
    q = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds * 99
    return {"n": len(seconds), "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


class Load:
    """The measured traffic; ``accepted`` records what the server said it stored."""

    def __init__(self, base: str, items: list[str], token: str, think: float = 0.0, seed: int = 0):
        self.base, self.items, self.token, self.think = base, items, token, think
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.latency = {"form_get": [], "form_post": [], "batch_post": []}
        self.submitted: list[tuple[int, int]] = []  # (rater number, assignment id) answered 302
        self.batches: dict[str, int] = {}  # idempotency key -> job id
        self.mismatched_retries = 0
        self.connection_errors = 0
        self.errors: list[str] = []

    def _record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def _count(self, status: int) -> None:
        if status == 0:
            with self.lock:
                self.connection_errors += 1

    def _think(self) -> float:
        """A rater's reading time: exponential with mean ``think`` seconds."""
        if not self.think:
            return 0.0
        with self.lock:
            return self.random.expovariate(1 / self.think)

    def rate_one(self, number: int, session: Session, assignment_id: int, due: float | None = None) -> bool:
        """GET a form, think, POST it; latencies from when each request was due (``due``, on the
        perf_counter clock, for the open loop; the moment it is sent for the closed one)."""
        path = f"/rate/{assignment_id}/"
        started = time.perf_counter() if due is None else due
        status, text, _ = session.request("GET", path)
        self._record("form_get", time.perf_counter() - started)
        self._count(status)
        if status != 200:
            self.errors.append(f"rater{number} GET {path}: {status} {text[:200]}")
            return False
        think = self._think()
        time.sleep(think)
        answers = {f"item-{code}": str(1 + (number + assignment_id + i) % 5) for i, code in enumerate(self.items)}
        started = time.perf_counter()
        status, text, _ = session.request("POST", path, {
            **answers, "seconds": "30", "csrfmiddlewaretoken": session.csrf()})
        self._record("form_post", time.perf_counter() - started)
        self._count(status)
        if status == 302:
            with self.lock:
                self.submitted.append((number, assignment_id))
            return True
        self.errors.append(f"rater{number} {path}: {status} {text[:200]}")
        return False

    def rater(self, number: int, session: Session, assignment_ids: list[int], stop_at: float) -> None:
        for assignment_id in assignment_ids:
            if time.monotonic() >= stop_at:
                return
            self.rate_one(number, session, assignment_id)

    def client(self, number: int, stop_at: float) -> None:
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        body = json.dumps({"instrument": "therapy-engagement", "items": ITEMS}).encode()
        while time.monotonic() < stop_at:
            key = f"client{number}-{uuid.uuid4().hex[:12]}"
            job_ids = []

            def post(_):
                return Session(self.base).request("POST", "/api/v1/batches/",
                                                  headers={**headers, "Idempotency-Key": key}, body=body)

            with ThreadPoolExecutor(2) as race:  # the retry in flight beside the first: the same job
                answers = list(race.map(post, range(2)))
            for status, text, elapsed in answers:
                self._record("batch_post", elapsed)
                self._count(status)
                if status not in (200, 202):
                    self.errors.append(f"client{number} batch: {status} {text[:200]}")
                    break
                job_ids.append(json.loads(text)["id"])
            if len(job_ids) == 2:
                with self.lock:
                    self.batches[key] = job_ids[0]
                    self.mismatched_retries += job_ids[0] != job_ids[1]


def sign_in(base: str, number: int) -> Session:
    """A rater's signed-in session (before the clock starts: password hashing is slow on purpose)."""
    session = Session(base)
    session.request("GET", "/accounts/login/")
    status, text, _ = session.request("POST", "/accounts/login/", {
        "username": f"rater{number}", "password": PASSWORD, "csrfmiddlewaretoken": session.csrf()})
    if status != 302:
        raise RuntimeError(f"rater{number} could not sign in ({status}): {text[:200]}")
    return session


def run_phase(load: Load, sessions: list[Session], assignments: dict[int, list[int]], clients: int,
              seconds: float) -> float:
    raters = len(sessions)
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(raters + clients) as pool:
        futures = [pool.submit(load.rater, n, sessions[n], assignments[n], stop_at) for n in range(raters)]
        futures += [pool.submit(load.client, n, stop_at) for n in range(clients)]
        for future in futures:
            future.result()
    return time.perf_counter() - started


def run_open_phase(load: Load, sessions: list[Session], assignments: dict[int, list[int]], clients: int,
                   seconds: float, rate: float) -> dict:
    """Rating forms started ``rate`` per second on a Poisson schedule for ``seconds``, whatever
    the answers (the batch clients beside them in a closed loop); returns the offered and achieved
    rates. Each form is due at its arrival: a slow server makes the next ones queue, and their
    latency says so. The thread pool is large enough that the client is not what queues them."""
    work = [(n, a) for column in zip(*[[(n, a) for a in assignments[n]] for n in sorted(assignments)])
            for n, a in column]  # one form per rater in turn
    schedule, due, arrivals = random.Random(1), 0.0, []
    while due < seconds and len(arrivals) < len(work):
        due += schedule.expovariate(rate)
        if due < seconds:
            arrivals.append(due)
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    completed = []
    with ThreadPoolExecutor(clients) as batch_pool, ThreadPoolExecutor(max(64, int(rate * 8))) as pool:
        client_futures = [batch_pool.submit(load.client, n, stop_at) for n in range(clients)]
        futures = []
        for at, (number, assignment_id) in zip(arrivals, work):
            delay = started + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(lambda n=number, a=assignment_id, d=started + at:
                                       completed.append(time.perf_counter()) if load.rate_one(n, sessions[n], a, d)
                                       else None))
        for future in futures + client_futures:
            future.result()
    wall = time.perf_counter() - started
    return {"offered_per_s": rate, "scheduled": len(arrivals), "schedule_per_s": len(arrivals) / seconds,
            "ran_out_of_assignments": len(arrivals) >= len(work), "completed": len(completed),
            "achieved_per_s": len(completed) / wall, "wall_s": wall,
            "completed_in_window_per_s": sum(1 for t in completed if t - started <= seconds) / seconds}


def stored_exactly_once(db_url: str, load: Load, n_items: int) -> dict:
    """What the database holds against what the server accepted."""
    with psycopg.connect(db_url) as db:
        submitted = db.execute(
            "SELECT u.username, a.id, count(DISTINCT r.id), count(s.id) FROM ratings_assignment a "
            "JOIN ratings_rater ra ON ra.id = a.rater_id JOIN auth_user u ON u.id = ra.user_id "
            "JOIN ratings_rating r ON r.rater_id = a.rater_id AND r.target_id = a.target_id "
            "AND r.instrument_version_id = a.instrument_version_id AND r.status = 'submitted' "
            "LEFT JOIN ratings_itemscore s ON s.rating_id = r.id "
            "WHERE a.status = 'submitted' GROUP BY 1, 2").fetchall()
        batches = db.execute(
            "SELECT b.idempotency_key, b.job_id, j.total, (SELECT count(*) FROM ratings_target t "
            "WHERE t.study_id = j.study_id) FROM ratings_batch b JOIN ratings_scoringjob j ON j.id = b.job_id"
        ).fetchall()
        unaudited_forms = db.execute(
            "SELECT count(*) FROM ratings_rating r WHERE r.source = 'form' AND r.status = 'submitted' AND NOT EXISTS "
            "(SELECT 1 FROM audit_auditevent e WHERE e.object_type = 'rating' AND e.action = 'change' "
            "AND e.object_id = r.id::text)").fetchone()[0]
        unaudited_batches = db.execute(
            "SELECT count(*) FROM ratings_batch b WHERE NOT EXISTS (SELECT 1 FROM audit_auditevent e "
            "WHERE e.object_type = 'batch' AND e.object_id = b.id::text)").fetchone()[0]
        scored = db.execute("SELECT count(*) FROM ratings_rating WHERE source = 'llm'").fetchone()[0]
    stored_forms = {(int(user[len("rater"):]), assignment) for user, assignment, _, _ in submitted}
    accepted = set(load.submitted)
    return {
        "forms_accepted": len(load.submitted),
        "forms_stored": len(submitted),
        # With connections killed a form can be stored and answered 503 ("may have been stored"):
        # stored without a 302 is allowed, accepted without being stored is not.
        "forms_match": accepted <= stored_forms and len(load.submitted) == len(accepted),
        "forms_accepted_not_stored": len(accepted - stored_forms),
        "forms_stored_not_accepted": len(stored_forms - accepted),
        "forms_complete": all(ratings == 1 and scores == n_items for _, _, ratings, scores in submitted),
        "batches_accepted": len(load.batches),
        "batches_stored": len(batches),
        "batches_match": load.batches.items() <= {key: job for key, job, _, _ in batches}.items(),
        "batches_complete": all(total == len(ITEMS) == targets for _, _, total, targets in batches),
        "retries_returned_another_job": load.mismatched_retries,
        "stored_forms_without_audit_event": unaudited_forms,
        "stored_batches_without_audit_event": unaudited_batches,
        "llm_ratings_stored": scored,
        "connection_errors": load.connection_errors,
        "errors": len(load.errors),
    }


def start_stack(work: Path) -> dict:
    """A fresh database, a private Redis and gunicorn; returns what the load needs."""
    name = f"anchor_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db_url = urllib.parse.urlunsplit(urllib.parse.urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    redis_port, web_port = free_port(), free_port()
    redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CELERY_", "ANCHOR_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))}
    env.update(ANCHOR_PRODUCTION="1", SECRET_KEY="bench-only-" + uuid.uuid4().hex * 2, ALLOWED_HOSTS=HOST,
               ANCHOR_ENCRYPTION_KEYS="pS0P2lRFPl7NOjgDqFSlgxQn0aOGYF9uDwI1xPEzqqA=",
               ANCHOR_VAR_DIR=str(work / "var"), STATIC_ROOT=str(work / "static"), DATABASE_URL=db_url,
               CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
               CELERY_RESULT_BACKEND=f"redis://127.0.0.1:{redis_port}/1")
    return {"name": name, "db_url": db_url, "env": env, "redis": redis, "web_port": web_port}


def stop_stack(stack: dict, web: subprocess.Popen | None) -> None:
    for process in (web, stack["redis"]):
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=60)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{stack["name"]}" WITH (FORCE)')


def prepare(stack: dict, work: Path, raters: int, targets: int) -> tuple[subprocess.Popen, list[str], str, dict]:
    env, manage = stack["env"], [sys.executable, str(ROOT / "manage.py")]

    def run(*args: str) -> str:
        return subprocess.run([*manage, *args], env=env, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout

    run("migrate", "--noinput", "-v", "0")
    run("load_instrument", "--builtin")
    run("collectstatic", "--noinput", "-v", "0")
    items = run("shell", "-c", SETUP.format(targets=targets, raters=raters, password=PASSWORD)).strip()
    items = items.splitlines()[-1].split(",")
    run("grant_role", "client", "api-clients")  # batches create studies
    token = run("create_api_token", "client").strip()
    with psycopg.connect(stack["db_url"]) as db:
        rows = db.execute("SELECT u.username, a.id FROM ratings_assignment a JOIN ratings_rater r "
                          "ON r.id = a.rater_id JOIN auth_user u ON u.id = r.user_id ORDER BY a.id").fetchall()
    assignments: dict[int, list[int]] = {}
    for username, assignment_id in rows:
        assignments.setdefault(int(username[len("rater"):]), []).append(assignment_id)
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--bind",
                            f"127.0.0.1:{stack['web_port']}", "config.wsgi"], cwd=ROOT, env=env,
                           stdout=open(work / "gunicorn.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while socket.socket().connect_ex(("127.0.0.1", stack["web_port"])) != 0:
        if web.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start: {(work / 'gunicorn.log').read_text()[-2000:]}")
        time.sleep(0.3)
    return web, items, token, assignments


def start_worker(stack: dict, work: Path) -> subprocess.Popen:
    env = {**stack["env"], "ANCHOR_LLM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    return subprocess.Popen([str(BIN / "celery"), "-A", "config", "worker", "-Q", "llm", "--pool=solo",
                             "-n", "bench@%h", "--without-gossip", "--without-mingle"], cwd=ROOT, env=env,
                            stdout=open(work / "worker.log", "w"), stderr=subprocess.STDOUT)


def connection_killer(db_url: str, every: float, stop: threading.Event) -> threading.Thread:
    """Terminate every other connection to the database every ``every`` seconds."""
    def run():
        while not stop.wait(every):
            try:
                with psycopg.connect(db_url, autocommit=True) as db:
                    db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                               "datname = current_database() AND pid <> pg_backend_pid()")
            except psycopg.Error:
                pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_load(*, raters: int, clients: int, seconds: float, baseline_seconds: float, targets: int,
             worker: bool = True, kill_every: float | None = None, think: float = 0.0,
             arrival_rate: float | None = None, open_seconds: float | None = None) -> dict:
    """Set up, drive the baseline, the mixed phase (and the open-loop one), check the database;
    return the figures."""
    work = Path(tempfile.mkdtemp(prefix="anchor-bench-deploy-"))
    stack, web = start_stack(work), None
    open_result, open_load = None, None
    try:
        web, items, token, assignments = prepare(stack, work, raters, targets)
        base = f"http://127.0.0.1:{stack['web_port']}"
        with ThreadPoolExecutor(4) as pool:
            sessions = list(pool.map(lambda n: sign_in(base, n), range(raters)))
        thirds = {n: (len(ids) // 3, len(ids) * 2 // 3 if arrival_rate else len(ids)) for n, ids in assignments.items()}
        baseline = Load(base, items, token, think, seed=1)
        run_phase(baseline, sessions, {n: ids[: thirds[n][0]] for n, ids in assignments.items()}, 0,
                  baseline_seconds)
        mixed = Load(base, items, token, think, seed=2)
        scorer = start_worker(stack, work) if worker else None
        stop_killing = threading.Event()
        if kill_every:
            connection_killer(stack["db_url"], kill_every, stop_killing)
        try:
            wall = run_phase(mixed, sessions, {n: ids[slice(*thirds[n])] for n, ids in assignments.items()},
                             clients, seconds)
            if arrival_rate:
                open_load = Load(base, items, token, think, seed=3)
                open_result = run_open_phase(open_load, sessions, {n: ids[thirds[n][1]:] for n, ids in assignments.items()},
                                             clients, open_seconds or seconds, arrival_rate)
        finally:
            stop_killing.set()
            if scorer is not None:
                scorer.kill()
                scorer.wait(timeout=60)
        # Every phase's submissions together against the database.
        phases = [baseline, mixed] + ([open_load] if open_load else [])
        both = Load(base, items, token)
        both.submitted = [s for phase in phases for s in phase.submitted]
        both.batches = {k: v for phase in phases[1:] for k, v in phase.batches.items()}
        both.mismatched_retries = sum(phase.mismatched_retries for phase in phases)
        both.connection_errors = sum(phase.connection_errors for phase in phases)
        both.errors = [e for phase in phases for e in phase.errors]
        checks = stored_exactly_once(stack["db_url"], both, len(items))
    finally:
        stop_stack(stack, web)
        shutil.rmtree(work, ignore_errors=True)
    alone, together = _percentiles(baseline.latency["form_post"]), _percentiles(mixed.latency["form_post"])
    if open_load is not None:
        open_result.update(form_get=_percentiles(open_load.latency["form_get"]),
                           form_post=_percentiles(open_load.latency["form_post"]),
                           batch_post=_percentiles(open_load.latency["batch_post"]),
                           connection_errors=open_load.connection_errors, errors=len(open_load.errors))
    return {
        "raters": raters, "clients": clients, "seconds": seconds, "baseline_seconds": baseline_seconds,
        "think_time_s": think,
        "form_get": _percentiles(mixed.latency["form_get"]), "form_post": together,
        "form_post_raters_alone": alone, "batch_post": _percentiles(mixed.latency["batch_post"]),
        "forms_per_s": len(mixed.submitted) / wall, "batches_per_s": len(mixed.batches) / wall,
        "form_post_p95_ratio_vs_alone": (together["p95_ms"] / alone["p95_ms"]
                                         if together["p95_ms"] and alone["p95_ms"] else None),
        "open_loop": open_result,
        "worker": worker, "kill_connections_every_s": kill_every,
        "checks": checks, "first_errors": both.errors[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s instead of 60 s")
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--no-worker", action="store_true", help="no llm worker during the mixed phase")
    parser.add_argument("--kill-connections", type=float, metavar="S",
                        help="terminate the database connections every S seconds during the mixed and open phases")
    parser.add_argument("--think-time", type=float, default=0.5, metavar="S",
                        help="mean seconds a rater reads a form before posting it (exponential; 0: none)")
    parser.add_argument("--arrival-rate", type=float, metavar="R",
                        help="add an open-loop phase: R forms started per second (Poisson), whatever the answers")
    args = parser.parse_args()
    seconds = args.seconds or (15.0 if args.quick else 60.0)
    result = run_load(raters=args.raters, clients=args.clients, seconds=seconds,
                      baseline_seconds=max(5.0, seconds / 4), targets=60 if args.quick else 150,
                      worker=not args.no_worker, kill_every=args.kill_connections, think=args.think_time,
                      arrival_rate=args.arrival_rate)
    print(f"{args.raters} raters and {args.clients} batch clients for {seconds:.0f} s "
          f"(raters alone first for {result['baseline_seconds']:.0f} s), gunicorn + PostgreSQL")
    print(f"{'request':<28}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for label, key in [("form GET", "form_get"), ("form POST (with batches)", "form_post"),
                       ("form POST (raters alone)", "form_post_raters_alone"), ("batch POST + retry", "batch_post")]:
        row = result[key]
        cells = "".join(f"{row[k]:>10.1f}" if row[k] is not None else f"{'-':>10}" for k in ("p50_ms", "p95_ms", "p99_ms"))
        print(f"{label:<28}{row['n']:>7}{cells}")
    print(f"forms stored {result['checks']['forms_stored']} of {result['checks']['forms_accepted']} accepted, "
          f"batches stored {result['checks']['batches_stored']} of {result['checks']['batches_accepted']}; "
          f"exactly once: {all(result['checks'][k] for k in ('forms_match', 'forms_complete', 'batches_match', 'batches_complete'))}")
    checks = result["checks"]
    print(f"connection errors {checks['connection_errors']}; stored without an audit event: "
          f"{checks['stored_forms_without_audit_event']} forms, {checks['stored_batches_without_audit_event']} "
          f"batches; LLM ratings stored during the load {checks['llm_ratings_stored']}")
    if result["open_loop"]:
        loop = result["open_loop"]
        print(f"open loop: offered {loop['offered_per_s']:.1f}/s (scheduled {loop['scheduled']}), achieved "
              f"{loop['achieved_per_s']:.2f}/s ({loop['completed']} forms in {loop['wall_s']:.0f} s); latency from "
              f"when due, queueing included:")
        for label, key in [("  form GET", "form_get"), ("  form POST", "form_post"), ("  batch POST + retry", "batch_post")]:
            row = loop[key]
            cells = "".join(f"{row[k]:>10.1f}" if row[k] is not None else f"{'-':>10}" for k in ("p50_ms", "p95_ms", "p99_ms"))
            print(f"{label:<28}{row['n']:>7}{cells}")
    for error in result["first_errors"]:
        print("error:", error)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
