"""Run a command with throwaway PostgreSQL and Redis servers of its own: ``make test`` uses it.

    python scripts/test_services.py -- make test-here

Each server lives in a new temporary folder, listens on a free loopback port, and is removed
when the command ends; the machine's own servers (5432, 6379) are never touched. The command
sees ``POSTGRES_TEST_URL`` (a superuser URL) and ``ANCHOR_TEST_REDIS_URL``. PostgreSQL refuses to
run as root, so as root the cluster belongs to the ``postgres`` user (Debian's package makes it)
and is started through ``runuser``. A server already given in the environment
(``POSTGRES_TEST_URL``, ``ANCHOR_TEST_REDIS_URL``) is used instead of starting one. When a binary
is missing the script says in one line what to install and exits with 2.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSTALL_HINT = ("make test needs PostgreSQL and Redis: install them (Debian/Ubuntu: "
                "apt-get install postgresql redis-server), or point POSTGRES_TEST_URL and "
                "ANCHOR_TEST_REDIS_URL at running servers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name: str) -> str | None:
    """``initdb``/``pg_ctl`` on PATH, else in Debian's versioned folder (the newest)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start on port {port}")
        time.sleep(0.2)


class Postgres:
    def __init__(self, root: Path) -> None:
        self.initdb, self.pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        self.folder = root / "postgres"
        self.port = free_port()
        self.owner = None
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                raise SystemExit("running as root, PostgreSQL needs a non-root user to own its cluster: "
                                 "create one named postgres (useradd -r postgres)") from None
            self.owner = "postgres"

    def start(self) -> str:
        self.folder.mkdir()
        if self.owner:
            shutil.chown(self.folder.parent, self.owner)
            shutil.chown(self.folder, self.owner)
        subprocess.run(_as_owner([self.initdb, "-D", str(self.folder), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--no-sync"], self.owner),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.restart()
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        """Start the (initialised) cluster, on the same port every time."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_owner([self.pg_ctl, "-D", str(self.folder), "-o", options, "-l",
                                  str(self.folder / "server.log"), "-w", "-t", "120", "start"], self.owner),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run(_as_owner([self.pg_ctl, "-D", str(self.folder), "-m", mode, "-w", "stop"], self.owner),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


class Redis:
    def __init__(self, root: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.folder = root / "redis"
        self.port = free_port()
        self.process = None

    def start(self) -> str:
        self.folder.mkdir()
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, 30, "redis-server")
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    if not command:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    env = dict(os.environ)
    want_pg, want_redis = not env.get("POSTGRES_TEST_URL"), not env.get("ANCHOR_TEST_REDIS_URL")
    missing = (want_pg and not (postgres_bin("initdb") and postgres_bin("pg_ctl"))) or \
        (want_redis and not shutil.which("redis-server"))
    if missing:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="anchor-test-services-"))
    root.chmod(0o755)
    started = []
    try:
        if want_pg:
            postgres = Postgres(root)
            env["POSTGRES_TEST_URL"] = postgres.start()
            started.append(postgres)
        if want_redis:
            redis = Redis(root)
            env["ANCHOR_TEST_REDIS_URL"] = redis.start()
            started.append(redis)
        print(f"test services: PostgreSQL {env['POSTGRES_TEST_URL']}, Redis {env['ANCHOR_TEST_REDIS_URL']}",
              flush=True)
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        for service in reversed(started):
            service.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
