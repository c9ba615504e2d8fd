"""The REST API under load: batch submission and status polling by concurrent clients.

    python bench/api_load.py [--quick]

Sets up a throwaway database under a temporary folder, serves Anchor on loopback with Django's
threaded WSGI server in a second process, and drives it from this one with CLIENTS concurrent
clients (token auth): first every client submits batches (`POST /api/v1/batches/`, each with an
Idempotency-Key, then one retry that must return the same job), then every client polls job
status (`GET /api/v1/jobs/ID/`) for a fixed time, once alone (the baseline) and once while a
third process writes progress to the same jobs the way workers do. No worker scores anything:
the measurement is of the API and the database. Bounded by a request count and a time limit.
The last line is one JSON object.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITER = """
import time, random
from django.db.models import F
from ratings.models import ScoringJob
ids = list(ScoringJob.objects.values_list("pk", flat=True))
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    ScoringJob.objects.filter(pk=random.choice(ids)).update(status="running", total=F("total") + 1,
                                                            completed=F("completed") + 1)
    time.sleep(0.01)
"""

# Django's threaded development server with a listen backlog deep enough for 50 clients
# (runserver's backlog of 10 resets connections under this load).
SERVER = """
import sys
import django
django.setup()
from django.core.servers.basehttp import WSGIServer, run
from django.core.wsgi import get_wsgi_application

class Server(WSGIServer):
    request_queue_size = 256

run("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), threading=True, server_cls=Server)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, token: str, body: dict | None = None, key: str | None = None) -> tuple[float, int, dict]:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as response:
        payload = json.loads(response.read())
        return time.perf_counter() - started, response.status, payload


def _percentiles(seconds: list[float]) -> dict:
    q = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds * 99
    return {"n": len(seconds), "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def _poll(base: str, token: str, job_ids: list[int], clients: int, seconds: float, limit: int) -> dict:
    latencies, lock, stop = [], threading.Lock(), time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop and len(latencies) < limit:
            elapsed, status, _ = _request(f"{base}/api/v1/jobs/{job_ids[i % len(job_ids)]}/", token)
            assert status == 200
            with lock:
                latencies.append(elapsed)
            i += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started
    return {**_percentiles(latencies), "rate_per_s": len(latencies) / wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer batches and shorter polling")
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    batches_per_client, poll_seconds, limit = (1, 5.0, 5_000) if args.quick else (4, 20.0, 50_000)
    var = Path(tempfile.mkdtemp(prefix="anchor-bench-api-"))
    env = {**os.environ, "ANCHOR_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DEBUG"):
        env.pop(key, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "load_instrument", "--builtin", "-v", "0"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*manage, "shell", "-c", "from django.contrib.auth.models import User; "
                    "User.objects.create_user('bench', password='bench-pw')"], env=env, check=True, cwd=ROOT)
    token = subprocess.run([*manage, "create_api_token", "bench"], env=env, check=True, cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    port = _free_port()
    log = open(var / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _request(f"{base}/api/v1/studies/", token)
                break
            except OSError:
                time.sleep(0.1)
        submit, jobs, lock = [], {}, threading.Lock()

        def submitter(n: int) -> None:
            for b in range(batches_per_client):
                body = {"instrument": "therapy-engagement",
                        "items": [{"id": f"c{n}-b{b}-{i}", "text": f"Client: session {i} of client {n}."}
                                  for i in range(20)]}
                elapsed, status, job = _request(f"{base}/api/v1/batches/", token, body, key=f"c{n}-b{b}")
                _, _, again = _request(f"{base}/api/v1/batches/", token, body, key=f"c{n}-b{b}")
                assert status == 202 and again["id"] == job["id"], "a retry must return the same job"
                with lock:
                    submit.append(elapsed)
                    jobs[job["id"]] = job

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(submitter, range(args.clients)))
        submit_wall = time.perf_counter() - started
        job_ids = sorted(jobs)
        alone = _poll(base, token, job_ids, args.clients, poll_seconds, limit)
        writer = subprocess.Popen([*manage, "shell", "-c", WRITER.format(seconds=poll_seconds + 5)], env=env, cwd=ROOT)
        time.sleep(1.0)
        busy = _poll(base, token, job_ids, args.clients, poll_seconds, limit)
        writer.wait(timeout=poll_seconds + 60)
    except Exception:
        print((var / "server.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
    submitted = {**_percentiles(submit), "rate_per_s": len(submit) / submit_wall}
    print(f"{'phase':<34}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, r in (("POST /batches/ (20 items each)", submitted), ("GET /jobs/ID/ (baseline: no writes)", alone),
                    ("GET /jobs/ID/ while progress writes", busy)):
        print(f"{name:<34}{r['n']:>9}{r['rate_per_s']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}")
    ratio = busy["p95_ms"] / alone["p95_ms"] if alone["p95_ms"] else None
    print(f"status p95 with writes / without: {ratio:.2f}x")
    print(json.dumps({"clients": args.clients, "batches": len(job_ids), "submit": submitted, "status_alone": alone,
                      "status_with_writes": busy, "p95_ratio_with_writes": ratio}))


if __name__ == "__main__":
    main()
