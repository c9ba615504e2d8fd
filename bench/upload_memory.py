"""Peak memory of one upload request, per byte of body: JSON, JSON Lines and CSV targets.

    python bench/upload_memory.py [--quick] [--sizes 1,10,100] [--no-baseline]

Each measurement runs in a fresh process on a copy of one migrated SQLite database: Anchor's
WSGI handler answers ``POST /api/v1/studies/SLUG/targets/`` with the body streamed from a file
(as gunicorn streams the socket), and the process's peak resident memory during the request
(``VmHWM`` after resetting it through ``/proc/self/clear_refs``) minus its resident memory before
is divided by the body's size. Bodies: transcripts of ~10 KB per target at 1, 10 and 100 MB
(``--quick``: 1 and 10 MB), all stored (201); and two refused bodies of the review, ``[{},{},...]``
and a CSV of 1-character rows past the 100,000-row limit (400). The baseline, measured the same
way in the same run, is what the code did before: the body read whole, decoded, and parsed
whole (``json.loads``, ``csv.DictReader``) before any limit was checked (``--no-baseline``
skips it). A one-target body (~10 KB) first shows the fixed part of a request's peak (the
SQLite connection and its page cache, the response, the allocator's arenas), which is what a
1 MB body's ratio mostly is. Goal: at most 3x. The last line is one JSON object.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
TEXT = ("Therapist: What brings you here today? Client: I keep going over the same worry, every "
        "night, and I cannot stop it. ") * 90  # ~10 KB


def make_body(path: Path, kind: str, size: int) -> int:
    """Write a body of about ``size`` bytes; returns its exact size."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        written = 0
        if kind == "empty-objects":
            out.write("[")
            while written < size:
                written += out.write("{}," * 10_000)
            out.write("{}]")
        elif kind == "csv-tiny-rows":
            written += out.write("id,text\n")
            n = 0
            while written < size:
                chunk = "".join(f"R{n + i},x\n" for i in range(10_000))
                n += 10_000
                written += out.write(chunk)
        else:
            rows = max(1, size // (len(TEXT) + 40))
            if kind == "json":
                out.write("[")
            elif kind == "csv":
                out.write("id,text\n")
            for n in range(rows):
                if kind == "json":
                    out.write(("," if n else "") + json.dumps({"id": f"T{n:06d}", "text": TEXT}))
                elif kind == "jsonl":
                    out.write(json.dumps({"id": f"T{n:06d}", "text": TEXT}) + "\n")
                else:
                    out.write(f'T{n:06d},"{TEXT}"\n')
            if kind == "json":
                out.write("]")
    return path.stat().st_size


CONTENT_TYPES = {"json": "application/json", "jsonl": "application/jsonl", "csv": "text/csv",
                 "empty-objects": "application/json", "csv-tiny-rows": "text/csv"}


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def child(kind: str, body: str, mode: str) -> None:
    """One measurement in this process; prints {"status", "peak_bytes"}."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from rest_framework.authtoken.models import Token

    from django.contrib.auth import get_user_model
    from ratings.services import study_get_or_create
    from ratings.services.roles import user_grant_role

    user = get_user_model().objects.create_user(username="bench", password="bench-password-42")
    user_grant_role(user=user, role="study-managers")
    study_get_or_create(slug="bench", created_by=user)
    token = Token.objects.create(user=user).key
    handler = WSGIHandler()

    def post(stream, length: int, content_type: str) -> str:
        status = []
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/studies/bench/targets/",
                   "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(length), "wsgi.input": stream,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
                   "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": f"Token {token}",
                   "wsgi.errors": sys.stderr}
        for _ in handler(environ, lambda s, h, *a: status.append(s)):
            pass
        return status[0]

    import io
    warm = b'[{"id": "W1", "text": "warm up"}]'
    post(io.BytesIO(warm), len(warm), "application/json")  # imports and first queries out of the way
    size = os.path.getsize(body)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current size
    before = _rss_kib("VmRSS")
    if mode == "anchor":
        with open(body, "rb") as stream:
            status = post(stream, size, CONTENT_TYPES[kind])
    else:  # the baseline: the body whole in memory, decoded, parsed whole
        import csv
        with open(body, "rb") as stream:
            raw = stream.read()
        text = raw.decode("utf-8")
        parsed = (json.loads(text) if CONTENT_TYPES[kind] == "application/json" else
                  [json.loads(line) for line in text.splitlines()] if kind == "jsonl" else
                  list(csv.DictReader(io.StringIO(text))))
        status = f"parsed {len(parsed)}"
    peak = _rss_kib("VmHWM")
    print(json.dumps({"status": status, "peak_bytes": (peak - before) * 1024, "body_bytes": size}))


def measure(template: Path, tmp: Path, kind: str, body: Path, mode: str) -> dict:
    db = tmp / "run.sqlite3"
    shutil.copy(template, db)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ANCHOR_VAR_DIR": str(tmp / "var"),
           "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(body), mode], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1 and 10 MB only (under a minute or so)")
    parser.add_argument("--sizes", help="body sizes in MB, comma-separated (default 1,10,100)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old way's measurement")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = ([float(x) for x in args.sizes.split(",")] if args.sizes else [1, 10] if args.quick else [1, 10, 100])
    refused_size = max(sizes)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        template = tmp / "template.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}", "ANCHOR_VAR_DIR": str(tmp / "var")}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=600)
        cases = [("json", 0.01)] + [(kind, mb) for mb in sizes for kind in ("json", "jsonl", "csv")]
        cases += [("empty-objects", refused_size), ("csv-tiny-rows", refused_size)]
        results = []
        print(f"{'body':<16}{'MB':>6}{'status':>16}{'peak MB':>9}{'peak/body':>11}{'baseline':>10}")
        for kind, mb in cases:
            body = tmp / f"body-{kind}-{mb}"
            size = make_body(body, kind, int(mb * MB))
            ours = measure(template, tmp, kind, body, "anchor")
            base = None if args.no_baseline else measure(template, tmp, kind, body, "baseline")
            body.unlink()
            row = {"body": kind, "mb": round(size / MB, 2), "status": ours["status"],
                   "peak_mb": round(ours["peak_bytes"] / MB, 1), "baseline_peak_mb": base and round(base["peak_bytes"] / MB, 1),
                   "peak_ratio": round(ours["peak_bytes"] / size, 2), "baseline_ratio": base and round(base["peak_bytes"] / size, 2)}
            results.append(row)
            print(f"{kind:<16}{row['mb']:>6}{row['status']:>16}{row['peak_mb']:>9}{row['peak_ratio']:>10}x"
                  f"{(str(row['baseline_ratio']) + 'x') if base else '-':>10}",
                  flush=True)
    fixed = results[0]["peak_mb"]
    worst = max(r["peak_ratio"] for r in results[1:])
    worst_10 = max((r["peak_ratio"] for r in results[1:] if r["mb"] >= 10), default=None)
    print(json.dumps({"bench": "upload_memory", "sizes_mb": sizes, "goal_ratio": 3.0, "fixed_peak_mb": fixed,
                      "worst_ratio": worst, "worst_ratio_from_10mb": worst_10, "results": results}))


if __name__ == "__main__":
    main()
