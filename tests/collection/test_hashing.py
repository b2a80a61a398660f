"""HMAC-SHA256 in bulk: equal to the standard library, in one process or two."""

from __future__ import annotations

import hashlib
import hmac
import os

import pyarrow as pa
import pytest

from collection import hashing

KEY = bytes(range(32))
MESSAGES = ["name_dob\x1fana|pop|1990-04-03", "", "Олена", *(f"m{i}" for i in range(2000))]


def expected(key: bytes) -> list[str]:
    return [hmac.new(key, m.encode(), hashlib.sha256).hexdigest() for m in MESSAGES]


@pytest.mark.parametrize("key", [KEY, b"k" * 100])  # a key longer than a block is hashed first
def test_equal_to_hmac_new(key, monkeypatch) -> None:
    monkeypatch.setattr(hashing, "BATCH", 7)  # batches that do not divide the messages
    monkeypatch.setattr(hashing, "PARALLEL_MIN", 10**9)  # one process
    assert hashing.hex_digests(key, pa.array(MESSAGES)).to_pylist() == expected(key)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_two_processes_give_the_same_digests(monkeypatch) -> None:
    monkeypatch.setattr(hashing, "PARALLEL_MIN", 10)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # an idle machine
    assert hashing._can_fork(len(MESSAGES))
    assert hashing.hex_digests(KEY, pa.array(MESSAGES)).to_pylist() == expected(KEY)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_failed_child_is_made_good(monkeypatch) -> None:
    """If the child dies, the parent hashes its half: same result, no exception."""
    parent = os.getpid()
    real = hashing._raw

    def fails_in_child(digests, binary):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise RuntimeError("child fails")
        return real(digests, binary)

    monkeypatch.setattr(hashing, "PARALLEL_MIN", 10)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(hashing, "_raw", fails_in_child)
    assert hashing._can_fork(len(MESSAGES))
    assert hashing.hex_digests(KEY, pa.array(MESSAGES)).to_pylist() == expected(KEY)


def test_one_process_on_a_busy_machine_or_with_threads(monkeypatch) -> None:
    monkeypatch.setattr(hashing, "PARALLEL_MIN", 10)
    monkeypatch.setattr(os, "getloadavg", lambda: (float(os.cpu_count() or 1), 0.0, 0.0))
    assert not hashing._can_fork(len(MESSAGES))
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(hashing.threading, "active_count", lambda: 2)
    assert not hashing._can_fork(len(MESSAGES))
