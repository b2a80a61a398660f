"""Match keys made in worker processes (a batch) equal those made in-process."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from collection.pseudonymise import match_keys
from darkfigure.pipeline.intake_keys import KeyMaker

KEY = bytes(range(32))


def clean_frame() -> pd.DataFrame:
    """A few clean records: names in two scripts, a missing date of birth, an estimated age."""
    frame = pd.DataFrame({
        "row": [2, 3, 4, 5],
        "record_ref": ["R1", "R2", "R3", "R4"],
        "first_encountered": pd.to_datetime(["2025-08-14"] * 4),
        "given_name": ["Osman", "Мария", "Muhammad", None],
        "family_name": ["Ali", "Иванова", "Khan", "Smith"],
        "date_of_birth": pd.to_datetime(["1990-03-04", None, "2001-12-31", None]),
        "estimated_age": pd.array([pd.NA, 30, pd.NA, 44], dtype="Int64"),
        "sex": ["male", "female", "male", "unknown"],
    })
    return frame


def test_workers_make_the_same_keys_as_this_process() -> None:
    """Two worker processes (spawned) return, in order, exactly match_keys' frames."""
    frames = [clean_frame(), clean_frame().iloc[::-1].reset_index(drop=True)]
    with KeyMaker(2) as maker:
        jobs = [maker.submit(f, KEY) for f in frames]
        got = [job.result(timeout=120) for job in jobs]
        assert maker.pool is not None  # the work really went to processes
    for frame, keys in zip(frames, got, strict=True):
        pdt.assert_frame_equal(keys, match_keys(frame, KEY))


def test_no_workers_hashes_in_process() -> None:
    """workers=0 (one return) starts no pool and gives match_keys' frame at once."""
    maker = KeyMaker(0)
    job = maker.submit(clean_frame(), KEY)
    assert job.done() and maker.pool is None
    pdt.assert_frame_equal(job.result(), match_keys(clean_frame(), KEY))
    maker.close()
