"""The development broker (config/fsbroker.py) fails loudly: a full or read-only disk raises
for the sender and logs for the worker, and a zero-byte or garbled message file is set aside
instead of stopping a worker. The full and read-only disks are real: a tiny tmpfs (needs root,
as CI runs; skipped otherwise)."""

import logging
import os
import subprocess
from contextlib import contextmanager

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport.virtual import Empty

from config import fsbroker


@contextmanager
def broker(folder):
    fsbroker.install()
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
               "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control")}
    with Connection("filesystem://", transport_options=options) as connection:
        yield connection.default_channel


@contextmanager
def tmpfs(path, size="64k"):
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_zero_byte_or_garbled_message_is_set_aside_and_the_next_one_taken(tmp_path, caplog):
    with broker(tmp_path) as channel:
        (tmp_path / "queue" / "0001_a.llm.msg").write_bytes(b"")
        (tmp_path / "queue" / "0002_b.llm.msg").write_bytes(b"{not json")
        channel._put("llm", {"body": "the real one"})
        with caplog.at_level(logging.ERROR, logger="anchor.broker"):
            assert channel._get("llm") == {"body": "the real one"}
    assert sorted(p.name for p in (tmp_path / "processed" / "bad").iterdir()) == ["0001_a.llm.msg", "0002_b.llm.msg"]
    assert "0 bytes" in caplog.text and "set aside" in caplog.text


def test_a_full_disk_raises_for_the_sender_and_leaves_no_partial_message(tmp_path, caplog):
    with tmpfs(tmp_path / "var") as var, broker(var) as channel:
        (var / "filler").write_bytes(b"x" * 60_000)
        with caplog.at_level(logging.ERROR, logger="anchor.broker"), pytest.raises(ChannelError, match="No space"):
            channel._put("llm", {"body": "y" * 20_000})
        assert list((var / "queue").iterdir()) == []  # no zero-byte file for a worker to choke on
        assert "cannot queue a message" in caplog.text


def test_a_read_only_disk_is_logged_by_the_worker_and_nothing_taken(tmp_path, caplog):
    with tmpfs(tmp_path / "var") as var, broker(var) as channel:
        channel._put("llm", {"body": "waiting"})
        subprocess.run(["mount", "-o", "remount,ro", str(var)], check=True)
        try:
            with caplog.at_level(logging.ERROR, logger="anchor.broker"), pytest.raises(Empty):
                channel._get("llm")  # nothing taken: the message stays queued
            assert "Read-only file system" in caplog.text
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(var)], check=True)
        assert channel._get("llm") == {"body": "waiting"}
