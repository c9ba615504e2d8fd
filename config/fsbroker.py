"""kombu's filesystem transport (the serverless development broker), made to fail loudly.

kombu's own writes a message straight into the queue folder, so a full disk leaves a zero-byte
or truncated file there, which crashes every worker that reads it; and it takes a message by
``shutil.move`` to the system's temporary folder, which on another filesystem is a copy that a
full or read-only disk breaks half-way, after which it skips the file in silence, forever.
Here a message is written to a temporary name and renamed into the queue only when complete
(so a reader never sees a partial one), taken by a rename inside the broker folder (atomic, no
copy), and a file that is empty or not a message is moved aside with an ERROR line instead of
stopping the worker. Every failure is logged at ERROR on the ``anchor.broker`` logger (the
worker's heartbeat reports it, so the job page can say why nothing moves) and a failed write
raises, so the sender knows the message was not queued.

``config/celery.py`` installs it as the ``filesystem://`` transport.
"""

import logging
import os
import time
import uuid
from pathlib import Path

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.json import dumps, loads

logger = logging.getLogger("anchor.broker")
THROTTLE_SECONDS = 30.0


class Channel(filesystem.Channel):
    _last_logged: dict[str, float] = {}

    def _loud(self, key: str, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(key, -THROTTLE_SECONDS) >= THROTTLE_SECONDS:
            self._last_logged[key] = now
            logger.error(message, *args)

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".partial"  # not a queue file name: no reader takes it
        try:
            with open(partial, "wb") as f:
                f.write(dumps(payload).encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, final)
        except OSError as exc:
            try:
                os.remove(partial)
            except OSError:
                pass
            logger.error("the filesystem broker cannot queue a message in %s: %s", self.data_folder_out, exc)
            raise ChannelError(f"the filesystem broker cannot write to {self.data_folder_out}: {exc}") from exc

    def _taken_folder(self) -> Path:
        folder = Path(self.processed_folder) / "taken"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _get(self, queue):
        wanted = f"{queue}.msg"
        try:
            names = sorted(os.listdir(self.data_folder_in))
        except OSError as exc:
            self._loud("list", "the filesystem broker cannot read its queue folder %s: %s", self.data_folder_in, exc)
            raise Empty() from exc
        for name in names:
            if name.partition(".")[2] != wanted:
                continue
            source = os.path.join(self.data_folder_in, name)
            try:
                taken = self._taken_folder() / name
                os.rename(source, taken)  # same filesystem: atomic, and another worker cannot take it too
            except FileNotFoundError:
                continue  # another worker took it first
            except OSError as exc:
                self._loud("take", "the filesystem broker cannot take message %s (%s): nothing is consumed "
                           "until the broker folder is writable again", source, exc)
                raise Empty() from exc
            payload = b""
            try:
                payload = taken.read_bytes()
                message = loads(payload.decode("utf-8"))
                if not isinstance(message, dict):
                    raise ValueError("not a message")
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                self._set_aside(taken, len(payload), exc)
                continue
            self._done_with(taken, name)
            return message
        raise Empty()

    def _set_aside(self, path: Path, size: int, exc: Exception) -> None:
        bad = Path(self.processed_folder) / "bad"
        try:
            bad.mkdir(parents=True, exist_ok=True)
            os.replace(path, bad / path.name)
        except OSError:
            pass
        logger.error("the filesystem broker set aside an unreadable message file %s (%d bytes: %s); "
                     "the database still has the work, the reconciler sends it again", path.name, size, exc)

    def _done_with(self, taken: Path, name: str) -> None:
        try:
            if self.store_processed:
                os.replace(taken, Path(self.processed_folder) / name)
            else:
                taken.unlink()
        except OSError as exc:
            self._loud("done", "the filesystem broker cannot remove a consumed message %s: %s", taken, exc)


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` URLs use this transport (idempotent)."""
    TRANSPORT_ALIASES["filesystem"] = "config.fsbroker:Transport"
