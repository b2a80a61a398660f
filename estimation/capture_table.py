"""Capture tables: counts of people per non-empty capture pattern.

A table over lists ``l_1 .. l_t`` is held *complete*: one count for each of the
``2**t - 1`` non-empty patterns, unobserved patterns carrying zero.  Cell ``k``
(0-based) is the pattern whose bits are ``k + 1``; bit ``j`` is list ``j``.  So
for lists (A, B, C) the cells are A, B, AB, C, AC, BC, ABC.

The file format (DESIGN.md section 2) is read and written by
:mod:`estimation.table_io`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

MAX_LISTS = 20


class CaptureTableError(ValueError):
    """A capture table that cannot be used, with where and how to fix it.

    Parameters
    ----------
    message
        What is wrong.
    source
        The file (or other origin) of the table, if known.
    row
        1-based data row in the file (the header is row 0), if the fault is in a row.
    column
        The offending column, if any.
    fix
        How to fix it, in one sentence.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


def pattern_matrix(t: int) -> np.ndarray:
    """All non-empty capture patterns on ``t`` lists, in cell order.

    Parameters
    ----------
    t
        Number of lists.

    Returns
    -------
    numpy.ndarray
        ``(2**t - 1, t)`` array of 0/1 (int8); row ``k`` is the pattern of cell ``k``.
    """
    codes = np.arange(1, 2**t, dtype=np.int64)
    return ((codes[:, None] >> np.arange(t)) & 1).astype(np.int8)


def cell_index(patterns: np.ndarray) -> np.ndarray:
    """Cell index of each row of a 0/1 pattern array (inverse of :func:`pattern_matrix`)."""
    patterns = np.asarray(patterns, dtype=np.int64)
    return (patterns << np.arange(patterns.shape[1])).sum(axis=1) - 1


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of observed people by capture pattern.

    Parameters
    ----------
    lists
        List names, in column order.
    counts
        Complete count vector of length ``2**t - 1`` in cell order.
    stratum
        Stratum labels (column name to value) when the table is one stratum of a
        stratified table; empty otherwise.
    source
        Where the table came from, for messages.
    """

    lists: tuple[str, ...]
    counts: np.ndarray
    stratum: tuple[tuple[str, str], ...] = ()
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        lists = tuple(str(x) for x in self.lists)
        object.__setattr__(self, "lists", lists)
        t = len(lists)
        if t < 2:
            raise CaptureTableError(
                f"a capture table needs at least 2 lists, got {t}",
                source=self.source,
                fix="add a 0/1 column for each list that recorded people",
            )
        if t > MAX_LISTS:
            raise CaptureTableError(
                f"{t} lists is more than the {MAX_LISTS} supported",
                source=self.source,
                fix="merge related lists into source categories",
            )
        if len(set(lists)) != t:
            raise CaptureTableError("list names are not unique", source=self.source)
        counts = np.asarray(self.counts)
        if counts.shape != (2**t - 1,):
            raise CaptureTableError(
                f"expected {2**t - 1} cell counts for {t} lists, got {counts.shape}",
                source=self.source,
            )
        if not np.all(np.isfinite(counts)) or np.any(counts < 0):
            raise CaptureTableError("counts must be non-negative", source=self.source)
        if np.any(counts != np.round(counts)):
            raise CaptureTableError("counts must be whole numbers", source=self.source)
        counts = counts.astype(np.int64)
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    # ----------------------------------------------------------------- builders
    @classmethod
    def from_patterns(
        cls,
        lists: Sequence[str],
        patterns: np.ndarray | Sequence[Sequence[int]],
        counts: np.ndarray | Sequence[float],
        *,
        stratum: tuple[tuple[str, str], ...] = (),
        source: str | None = None,
    ) -> CaptureTable:
        """Build a table from observed patterns (rows of 0/1) and their counts.

        Patterns may repeat (their counts add up) and need not cover every cell.
        """
        pats = np.asarray(patterns, dtype=np.int64).reshape(-1, len(lists))
        cnt = np.asarray(counts, dtype=float).reshape(-1)
        if pats.shape[0] != cnt.shape[0]:
            raise CaptureTableError("patterns and counts differ in length", source=source)
        if np.any((pats != 0) & (pats != 1)):
            raise CaptureTableError("capture indicators must be 0 or 1", source=source)
        if np.any(pats.sum(axis=1) == 0):
            raise CaptureTableError(
                "the all-absent pattern is the unknown and cannot have a count", source=source
            )
        full = np.zeros(2 ** len(lists) - 1)
        np.add.at(full, cell_index(pats), cnt)
        return cls(tuple(lists), full, stratum=stratum, source=source)

    @classmethod
    def from_dict(cls, lists: Sequence[str], cells: dict[str, int]) -> CaptureTable:
        """Build from ``{"110": 12, "001": 4}``: one character per list, in list order."""
        pats = [[int(c) for c in key] for key in cells]
        return cls.from_patterns(lists, pats, list(cells.values()))

    # ---------------------------------------------------------------- accessors
    @property
    def t(self) -> int:
        """Number of lists."""
        return len(self.lists)

    @property
    def n(self) -> int:
        """Number of people observed (on at least one list)."""
        return int(self.counts.sum())

    @cached_property
    def patterns(self) -> np.ndarray:
        """``(2**t - 1, t)`` 0/1 matrix of the cells' patterns."""
        return pattern_matrix(self.t)

    @property
    def list_sizes(self) -> dict[str, int]:
        """People recorded by each list."""
        sizes = self.counts @ self.patterns
        return {name: int(s) for name, s in zip(self.lists, sizes, strict=True)}

    @property
    def label(self) -> str:
        """Stratum label such as ``year=2025, age_group=child`` (empty if unstratified)."""
        return ", ".join(f"{k}={v}" for k, v in self.stratum)

    def pattern_label(self, cell: int) -> str:
        """Human label of a cell, e.g. ``LA+PF``."""
        return "+".join(x for x, h in zip(self.lists, self.patterns[cell], strict=True) if h)

    # ---------------------------------------------------------------- transforms
    def reorder(self, order: Sequence[int] | Sequence[str]) -> CaptureTable:
        """The same table with its lists in another order (indices or names)."""
        idx = [self.lists.index(o) if isinstance(o, str) else int(o) for o in order]
        if sorted(idx) != list(range(self.t)):
            raise ValueError("order must be a permutation of the lists")
        return CaptureTable.from_patterns(
            [self.lists[i] for i in idx],
            self.patterns[:, idx],
            self.counts,
            stratum=self.stratum,
            source=self.source,
        )

    def merge_lists(self, groups: dict[str, Sequence[str]]) -> CaptureTable:
        """Merge lists: ``{"PFNCA": ["PF", "NCA"]}``; lists not named stay as they are.

        A person is on a merged list if on any of its members.
        """
        used = {m for members in groups.values() for m in members}
        unknown = used - set(self.lists)
        if unknown:
            raise ValueError(f"unknown lists {sorted(unknown)}")
        new_lists: list[str] = []
        cols: list[np.ndarray] = []
        placed: set[str] = set()
        for name in self.lists:
            if name in placed:
                continue
            group = next((g for g, m in groups.items() if name in m), None)
            if group is None:
                new_lists.append(name)
                cols.append(self.patterns[:, self.lists.index(name)])
                placed.add(name)
            else:
                members = list(groups[group])
                idx = [self.lists.index(m) for m in members]
                new_lists.append(group)
                cols.append(self.patterns[:, idx].max(axis=1))
                placed.update(members)
        pats = np.column_stack(cols)
        return CaptureTable.from_patterns(
            new_lists, pats, self.counts, stratum=self.stratum, source=self.source
        )

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        """The same lists and stratum with other counts (e.g. a bootstrap replicate)."""
        return CaptureTable(self.lists, counts, stratum=self.stratum, source=self.source)

    # ------------------------------------------------------------------- output
    def to_frame(self, *, observed_only: bool = True) -> pd.DataFrame:
        """One row per pattern with a 0/1 column per list, stratum columns, and ``count``."""
        keep = self.counts > 0 if observed_only else np.ones(len(self.counts), bool)
        frame = pd.DataFrame(self.patterns[keep].astype(int), columns=list(self.lists))
        for key, value in self.stratum:
            frame.insert(0, key, value)
        frame["count"] = self.counts[keep]
        return frame

    def snapshot_hash(self) -> str:
        """SHA-256 of the canonical form of the table, for provenance."""
        text = ",".join(self.lists) + "|" + ",".join(map(str, self.counts.tolist()))
        text += "|" + ";".join(f"{k}={v}" for k, v in self.stratum)
        return hashlib.sha256(text.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureTable):
            return NotImplemented
        return (
            self.lists == other.lists
            and self.stratum == other.stratum
            and np.array_equal(self.counts, other.counts)
        )

    def __hash__(self) -> int:
        return hash(self.snapshot_hash())

    def __repr__(self) -> str:
        label = f" [{self.label}]" if self.stratum else ""
        return f"CaptureTable(lists={list(self.lists)}, n={self.n}{label})"
