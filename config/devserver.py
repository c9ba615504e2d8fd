"""Run the web server and a Celery worker together; Ctrl-C stops both.

``python -m config.devserver [--host 127.0.0.1] [--port 8000]`` is what ``make run`` starts.
If either process dies the other is stopped too, so a broken half never runs alone.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

STOP_GRACE_SECONDS = 10


def _commands(host: str, port: int) -> dict[str, list[str]]:
    queues = os.environ.get("ANCHOR_WORKER_QUEUES", "default,llm")
    concurrency = os.environ.get("ANCHOR_WORKER_CONCURRENCY", "1")
    return {
        "web": [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"{host}:{port}"],
        "worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
                   f"--concurrency={concurrency}", "-Q", queues, "-n", "anchor@%h"],
    }


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ANCHOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANCHOR_PORT", "8000")))
    args = parser.parse_args(argv)
    # SIGTERM (from a supervisor or a test) stops both children like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    processes = {name: subprocess.Popen(cmd) for name, cmd in _commands(args.host, args.port).items()}
    print(f"Anchor is serving http://{args.host}:{args.port}/ with a Celery worker; Ctrl-C stops both.",
          flush=True)
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"the {name} process exited with {process.returncode}; stopping", flush=True)
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
