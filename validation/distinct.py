"""Work once per distinct value of a column, then map the results onto the rows.

A million-row return has a million record references but only thousands of
distinct dates and a handful of distinct codes.  Arrow's dictionary encoding
finds the distinct values without a Python object per row; Python sees only
the distinct values, and numpy ``take`` puts the results back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """The strings of ``values`` as Arrow (no copy for pandas ``str`` columns)."""
    if values.dtype != "str":
        values = values.astype("str")
    arr = pa.array(values)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def encode(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Distinct non-null values, and for each row the index of its value (-1 where missing).

    Returns
    -------
    codes : numpy.ndarray
        ``int64``, one per row.
    uniques : list of str
        The distinct values, in order of first appearance.
    """
    arr = arrow_strings(values)
    if len(arr) == 0:
        return np.zeros(0, dtype="int64"), []
    encoded = pc.dictionary_encode(arr).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype("int64")
    return codes, encoded.dictionary.to_pylist()


def spread(codes: np.ndarray, per_value: np.ndarray, missing: object) -> np.ndarray:
    """``per_value[codes]``, with ``missing`` where ``codes`` is -1."""
    extended = np.append(per_value, np.array([missing], dtype=per_value.dtype))
    return extended[np.where(codes < 0, len(per_value), codes)]


def map_distinct(values: pd.Series, func: Callable[[str], str | None]) -> pd.Series:
    """``func`` of each distinct non-null value, as a ``str`` column aligned with ``values``."""
    codes, uniques = encode(values)
    results = pa.array([func(v) for v in uniques] + [None], type=pa.large_string())
    mapped = results.take(pa.array(np.where(codes < 0, len(uniques), codes)))
    return pd.Series(mapped, dtype="str", index=values.index)


def categorical(values: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """``func`` of each distinct non-null value, as a categorical column (null stays null).

    Categories are the distinct results in order of first appearance; values
    that ``func`` maps to the same result share a category.
    """
    codes, uniques = encode(values)
    results = [func(v) for v in uniques]
    categories = list(dict.fromkeys(results))
    position = {c: i for i, c in enumerate(categories)}
    per_value = np.array([position[r] for r in results], dtype="int64")
    return pd.Series(pd.Categorical.from_codes(spread(codes, per_value, -1),
                                               categories=pd.Index(categories, dtype="str")),
                     index=values.index)


def distinct_mask(values: pd.Series, predicate: Callable[[str], bool]) -> pd.Series:
    """``predicate`` of each distinct non-null value, mapped onto the rows (False where null)."""
    codes, uniques = encode(values)
    per_value = np.array([bool(predicate(v)) for v in uniques], dtype=bool)
    return pd.Series(spread(codes, per_value, False), index=values.index)


def category_mask(values: pd.Series, predicate: Callable[[str], bool]) -> pd.Series:
    """``predicate`` of each category of a categorical column (False where null)."""
    cat = values.array
    assert isinstance(cat, pd.Categorical)
    per_value = np.array([bool(predicate(c)) for c in cat.categories], dtype=bool)
    return pd.Series(spread(cat.codes.astype("int64"), per_value, False), index=values.index)


def group_codes(*keys: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of the integer arrays ``keys`` (same length)."""
    combined = np.zeros(len(keys[0]), dtype="int64")
    for key in keys:
        inverse, uniques = pd.factorize(key)
        # Both factors are below the row count, so the product fits in 64 bits.
        combined = pd.factorize(combined * len(uniques) + inverse)[0]
    return combined


def rows_text(groups: np.ndarray, rows: np.ndarray, limit: int = 5) -> np.ndarray:
    """For each element, its group's rows in file order: ``"2, 5, 9 and 3 more"``.

    Parameters
    ----------
    groups
        Group of each element (any hashable integers).
    rows
        File row of each element.
    limit
        Rows named before the rest are counted.
    """
    if len(groups) == 0:
        return np.empty(0, dtype=object)
    order = np.lexsort((rows, groups))
    sorted_groups, sorted_rows = groups[order], rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    texts = []
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        shown = ", ".join(str(r) for r in sorted_rows[start:start + min(size, limit)].tolist())
        texts.append(shown + (f" and {size - limit} more" if size > limit else ""))
    out = np.empty(len(groups), dtype=object)
    out[order] = np.array(texts, dtype=object)[np.repeat(np.arange(len(starts)), sizes)]
    return out


def first_seen(items: Sequence[Hashable]) -> tuple[list[Hashable], np.ndarray]:
    """Distinct ``items`` in order of first appearance, and the index of each item among them."""
    position: dict[Hashable, int] = {}
    index = np.array([position.setdefault(item, len(position)) for item in items], dtype="int64")
    return list(position), index
