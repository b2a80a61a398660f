"""Which returns a batch holds: file names that carry org and quarter, folders, manifests."""

from __future__ import annotations

import os

import pytest

from darkfigure.errors import UserError
from darkfigure.pipeline.intake import ReturnEntry
from darkfigure.pipeline.intake_batch import (
    entries_from_manifest,
    entries_from_paths,
    entry_from_name,
)
from darkfigure.pipeline.outcome import Refusal


@pytest.mark.parametrize(("name", "org", "quarter"), [
    ("return_METROPOLITAN_2025Q3.xlsx", "METROPOLITAN", "2025Q3"),  # as the template is named
    ("AVON-AND-SOMERSET_2025q1.csv", "AVON-AND-SOMERSET", "2025Q1"),
    ("kent-county-council_2024Q4_attempt1.CSV", "KENT-COUNTY-COUNCIL", "2024Q4"),
])
def test_names_that_say_org_and_quarter(tmp_path, name, org, quarter):
    entry = entry_from_name(tmp_path / name)
    assert isinstance(entry, ReturnEntry) and (entry.org_code, entry.quarter) == (org, quarter)


@pytest.mark.parametrize("name", ["return.csv", "METROPOLITAN.csv", "METROPOLITAN_2025Q5.csv",
                                  "METROPOLITAN_2025Q3.pdf", "2025Q3.csv"])
def test_names_that_do_not_are_refused_with_how_to_name_them(tmp_path, name):
    refused = entry_from_name(tmp_path / name)
    assert isinstance(refused, Refusal) and "ORGCODE_2025Q3.csv" in refused.reason
    assert refused.exit_code == 2 and name in refused.message()


def test_a_folder_goes_oldest_first(tmp_path):
    """A correction saved after the first attempt is submitted after it (and supersedes
    it), whatever the names' alphabetical order."""
    first = tmp_path / "NCA_2025Q3_attempt1.csv"
    fixed = tmp_path / "NCA_2025Q3.csv"
    for age, path in ((200, first), (100, fixed)):
        path.write_text("x\n", encoding="utf-8")
        os.utime(path, (1_700_000_000 - age, 1_700_000_000 - age))
    (tmp_path / "notes.txt").write_text("ignored\n", encoding="utf-8")
    entries = entries_from_paths([tmp_path])
    assert [e.path.name for e in entries if isinstance(e, ReturnEntry)] == [first.name,
                                                                           fixed.name]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no .csv or .xlsx"):
        entries_from_paths([empty])


def test_manifest_rows_and_errors(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("\ufeffFile,Org,Quarter\na.csv,nca,2025Q3\nsub/b.xlsx,NCA,2025Q4\n",
                        encoding="utf-8")
    entries = entries_from_manifest(manifest)
    assert [(e.path, e.org_code, e.quarter) for e in entries] == [
        (tmp_path / "a.csv", "nca", "2025Q3"), (tmp_path / "sub" / "b.xlsx", "NCA", "2025Q4")]
    manifest.write_text("path,org_code,quarter\na.csv,,2025Q3\n", encoding="utf-8")
    with pytest.raises(UserError, match="row 2, column 'org_code' is empty"):
        entries_from_manifest(manifest)
    with pytest.raises(UserError, match="does not exist"):
        entries_from_manifest(tmp_path / "none.csv")
    manifest.write_text("path,org_code,quarter\n", encoding="utf-8")
    with pytest.raises(UserError, match="lists no returns"):
        entries_from_manifest(manifest)
