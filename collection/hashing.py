"""HMAC-SHA256 of many messages, as hex digests in an Arrow string array.

The hot loop of pseudonymisation: a million-row return has a few million
distinct keys.  The key's padded states (RFC 2104) are hashed once and copied
per message, several times faster than :func:`hmac.new` per message; the raw
digests are collected as bytes and written out as hex by ``bytes.hex`` a batch
at a time, so no Python string is made per digest.  Messages become Python
objects a batch at a time, so few are alive at once.  About 1 microsecond per
message with SHA extensions, nearly all of it the Python loop.

That loop holds the GIL, so a second core is used by a second process: when
there are many messages, this process runs no other thread, and the load
average says a core is free, a forked child hashes the second half while the
parent hashes the first, and sends back its raw digests through a pipe (on a
busy machine two processes only contend for one core, and are slower).  If
the child fails, the parent hashes that half itself; the result is the same
either way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from hashlib import sha256

import numpy as np
import pyarrow as pa

#: Messages turned into Python objects at a time.
BATCH = 1 << 16
#: Fewest messages for which a second process is worth its start (about 20 ms).
PARALLEL_MIN = 200_000
_DIGEST = 32

Digests = Callable[[list[bytes]], bytes]


def hmac_sha256(key: bytes) -> Digests:
    """A function from messages to their HMAC-SHA256 digests under ``key``, concatenated."""
    block = sha256().block_size
    padded = (sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner_copy = sha256(bytes(b ^ 0x36 for b in padded)).copy
    outer_copy = sha256(bytes(b ^ 0x5C for b in padded)).copy

    def digests(messages: list[bytes]) -> bytes:
        # A plain loop over bound methods: faster than any map() chain (sha256() is slow
        # to construct; copies of the padded states are not).
        out: list[bytes] = []
        append = out.append
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest())
        return b"".join(out)

    return digests


def _hex_into(text: bytearray, at: int, digests: Digests, binary: pa.Array) -> None:
    """Hex digests of ``binary``'s messages into ``text``, from message number ``at``."""
    width = 2 * _DIGEST
    for start in range(0, len(binary), BATCH):
        batch = digests(binary.slice(start, BATCH).to_pylist()).hex().encode("ascii")
        text[width * (at + start):width * (at + start) + len(batch)] = batch


def _raw(digests: Digests, binary: pa.Array) -> bytes:
    return b"".join(digests(binary.slice(start, BATCH).to_pylist())
                    for start in range(0, len(binary), BATCH))


def _can_fork(n: int) -> bool:
    cores = os.cpu_count() or 1
    return (n >= PARALLEL_MIN and hasattr(os, "fork") and cores > 1
            and threading.active_count() == 1  # never fork a process running other threads
            and os.getloadavg()[0] < cores - 0.5)  # a core to spare (ours counts about 1)


def _child(digests: Digests, binary: pa.Array) -> tuple[int, int] | None:
    """Fork a child that writes the raw digests of ``binary`` to a pipe: (pid, read end)."""
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: hash, write, and leave at once (no cleanup of the parent's state)
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(_raw(digests, binary))
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _collect(child: tuple[int, int], expected: int) -> bytes | None:
    """The child's digests, or None if it failed."""
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        raw = pipe.read()
    _, status = os.waitpid(pid, 0)
    return raw if status == 0 and len(raw) == expected else None


def hex_digests(key: bytes, messages: pa.Array) -> pa.Array:
    """HMAC-SHA256 of each message (UTF-8 text) under ``key``, as 64 lower-case hex digits.

    Parameters
    ----------
    key
        The secret key.
    messages
        Arrow strings, none null.

    Returns
    -------
    pyarrow.Array
        ``large_string``, one digest per message, in order.
    """
    digests = hmac_sha256(key)
    binary = messages.cast(pa.large_binary())
    n = len(binary)
    width = 2 * _DIGEST
    text = bytearray(width * n)  # the hex digits, written batch by batch
    half = n // 2 if _can_fork(n) else n
    child = _child(digests, binary.slice(half)) if half < n else None
    _hex_into(text, 0, digests, binary.slice(0, half if child else n))
    if child:
        raw = _collect(child, _DIGEST * (n - half))
        if raw is None:  # the child failed: hash its half here
            raw = _raw(digests, binary.slice(half))
        text[width * half:] = raw.hex().encode("ascii")
    offsets = np.arange(0, len(text) + 1, width, dtype="int64")
    return pa.Array.from_buffers(pa.large_string(), n,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(text)])
