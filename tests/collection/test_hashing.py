"""HMAC-SHA256 in bulk: equal to the standard library."""

from __future__ import annotations

import hashlib
import hmac

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
    assert hashing.hex_digests(key, pa.array(MESSAGES)).to_pylist() == expected(key)
