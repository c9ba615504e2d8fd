"""Run the web server, a Celery worker and the job reconciler together; Ctrl-C stops them.

``python -m config.devserver [--host 127.0.0.1] [--port 8000]`` is what ``make run`` starts.
The worker and the reconciler are supervised: one that exits is started again (with a
growing pause if it keeps exiting) and the web server keeps serving; the database still has
every target the dead worker held, and the reconciler queues it again once its lease runs
out. Only the web server's exit stops everything.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

STOP_GRACE_SECONDS = 10
MAX_PAUSE_SECONDS = 30
SUPERVISED = ("worker", "reconciler")


def _commands(host: str, port: int) -> dict[str, list[str]]:
    queues = os.environ.get("ANCHOR_WORKER_QUEUES", "default,llm")
    concurrency = os.environ.get("ANCHOR_WORKER_CONCURRENCY", "1")
    every = os.environ.get("ANCHOR_RECONCILE_SECONDS", "15")
    return {
        "web": [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"{host}:{port}"],
        "worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
                   f"--concurrency={concurrency}", "-Q", queues, "-n", "anchor@%h"],
        # The same pass production runs from Celery beat (ratings/services/reconciler.py).
        "reconciler": [sys.executable, "manage.py", "reconcile_jobs", "--loop", every],
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


class Supervisor:
    """Starts the processes and restarts a supervised one that exits."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.restarts = dict.fromkeys(commands, 0)
        self.due: dict[str, float] = {}  # name -> when to start it again

    def step(self, now: float) -> int | None:
        """Look at every process once; the web server's exit code when it has exited."""
        for name, process in list(self.processes.items()):
            if name in self.due:
                if now >= self.due[name]:
                    del self.due[name]
                    self.restarts[name] += 1
                    print(f"[anchor] starting the {name} again (restart {self.restarts[name]})", flush=True)
                    self.processes[name] = subprocess.Popen(self.commands[name])
                continue
            code = process.poll()
            if code is None:
                continue
            if name not in SUPERVISED:
                print(f"[anchor] the {name} process exited with {code}; stopping", flush=True)
                return code or 1
            pause = min(MAX_PAUSE_SECONDS, 2 ** min(self.restarts[name], 5))
            print(f"[anchor] the {name} process exited with {code}; the web keeps serving and the {name} is "
                  f"started again in {pause} s (the targets it held are queued again by the reconciler)",
                  flush=True)
            self.due[name] = now + pause
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ANCHOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANCHOR_PORT", "8000")))
    args = parser.parse_args(argv)
    # SIGTERM (from a supervisor or a test) stops every child like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    supervisor = Supervisor(_commands(args.host, args.port))
    print(f"Anchor is serving http://{args.host}:{args.port}/ with a Celery worker and the job reconciler; "
          "Ctrl-C stops them.", flush=True)
    try:
        while True:
            code = supervisor.step(time.monotonic())
            if code is not None:
                return code
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(supervisor.processes)


if __name__ == "__main__":
    sys.exit(main())
