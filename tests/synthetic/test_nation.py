"""The synthetic nation: deterministic, in the return schema, noisy, and true to its truth."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collection import reference
from collection.schema import FIELD_NAMES, MULTI_SEPARATOR
from darkfigure.synthetic import NationConfig, read_truth, simulate_nation
from darkfigure.synthetic.organisations import build_organisations, default_areas
from darkfigure.synthetic.population import draw_population
from darkfigure.synthetic.recording import ORDER, RecordingModel, capture_histories

SMALL = NationConfig(seed=7, years=(2024, 2025), size=600, n_areas=3)


@pytest.fixture(scope="module")
def nation(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nation")
    simulate_nation(out, SMALL)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str).fillna("")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_same_seed_same_nation_other_seed_another(nation, tmp_path):
    again = tmp_path / "again"
    simulate_nation(again, SMALL)
    assert _digest(again) == _digest(nation)
    other = tmp_path / "other"
    simulate_nation(other, NationConfig(seed=8, years=(2024, 2025), size=600, n_areas=3))
    assert _digest(other)["truth/persons.csv"] != _digest(nation)["truth/persons.csv"]


def test_a_year_does_not_depend_on_the_range_simulated(nation, tmp_path):
    alone = tmp_path / "alone"
    simulate_nation(alone, NationConfig(seed=7, years=(2024,), size=600, n_areas=3))
    both = read_truth(nation).persons
    one = read_truth(alone).persons
    # Each year has its own generator seeded by (seed, year).
    pd.testing.assert_frame_equal(
        both[both["year"] == 2024].reset_index(drop=True), one.reset_index(drop=True)
    )


def test_returns_follow_the_schema_and_code_lists(nation):
    manifest = pd.read_csv(nation / "returns" / "manifest.csv", dtype=str)
    loaded = manifest[manifest["expected"] == "loaded"]
    assert {"csv", "xlsx"} <= set(manifest["format"])
    frames = [_read(nation / p) for p in loaded["path"]]
    for frame in frames:
        assert tuple(frame.columns) == FIELD_NAMES
    rows = pd.concat(frames, ignore_index=True)
    assert set(rows["sex"]) <= set(reference.code_list("sex"))
    assert set(rows["age_group"]) <= set(reference.code_list("age_group"))
    assert set(rows["nrm_referred"]) <= set(reference.code_list("nrm"))
    assert set(rows["nationality"]) <= set(reference.code_list("nationality")) | {"UNK"}
    areas = set(reference.code_list("force_area")) | {"UNKNOWN"}
    assert set(rows["force_area"]) <= areas
    types = {t for cell in rows["exploitation_types"] for t in cell.split(MULTI_SEPARATOR)}
    assert types <= set(reference.code_list("exploitation_type"))
    assert rows["record_ref"].is_unique
    assert set(loaded["org_code"]) <= set(reference.organisations())


def test_returns_carry_the_noise_of_real_ones(nation):
    manifest = pd.read_csv(nation / "returns" / "manifest.csv", dtype=str)
    rows = pd.concat([_read(nation / p) for p in manifest["path"]
                      if not str(p).endswith("attempt1.xlsx")], ignore_index=True)
    dob = rows["date_of_birth"]
    assert (dob == "").any(), "some dates of birth are missing"
    assert dob.str.contains("/").any() and dob.str.contains("-").any(), "two date formats"
    assert (rows["estimated_age"] != "").any()
    assert rows["family_name"].str.isupper().any()
    truth = read_truth(nation).records
    assert (truth["row_kind"] == "duplicate").any()
    # Invalid rows sit only in first attempts, which a corrected return follows.
    invalid = truth[truth["row_kind"] == "invalid"]
    assert invalid["path"].str.contains("attempt1").all()
    expected = manifest.set_index("path")["expected"]
    # Broken files (truncated workbook, old template) are quarantined like invalid rows.
    assert set(expected) == {"loaded", "quarantined"}
    for path in manifest.loc[manifest["expected"] != "loaded", "path"]:
        fixed = path.replace("_attempt1", "")
        assert expected[fixed] == "loaded"
        assert list(expected.index).index(fixed) > list(expected.index).index(path)


def test_truth_rows_point_at_the_right_file_rows(nation):
    truth = read_truth(nation)
    records = truth.records
    for path, group in records.groupby("path"):
        frame = _read(nation / path)
        rows = group["row"].astype(int).to_numpy() - 1
        assert frame["record_ref"].to_numpy()[rows].tolist() == group["record_ref"].tolist()


def test_capture_histories_match_the_loaded_returns(nation):
    """A person is on list L in a year iff a loaded return of an L organisation has them."""
    truth = read_truth(nation)
    orgs = pd.read_csv(nation / "truth" / "organisations.csv", dtype=str)
    loaded = pd.read_csv(nation / "returns" / "manifest.csv", dtype=str)
    loaded = loaded.loc[loaded["expected"] == "loaded", ["path", "org_code", "quarter"]]
    rows = truth.records.merge(loaded, on="path").merge(orgs[["org_code", "list"]], on="org_code")
    rows["year"] = rows["quarter"].str[:4].astype(int)
    seen = rows.assign(flag=1).pivot_table(index=["person_id", "year"], columns="list",
                                           values="flag", aggfunc="max", fill_value=0)
    seen = seen.reindex(columns=list(ORDER), fill_value=0).reset_index()
    hist = truth.captures
    recorded = hist[hist[list(ORDER)].sum(axis=1) > 0]
    merged = recorded.merge(seen, on=["person_id", "year"], suffixes=("", "_rows"), how="outer")
    for lst in ORDER:
        assert (merged[lst] == merged[f"{lst}_rows"]).all(), lst
    totals = truth.totals[truth.totals["stratum"] == "all"].set_index("year")
    for year in SMALL.years:
        assert totals.loc[year, "N"] == truth.true_n(year)
        assert totals.loc[year, "observed"] == truth.capture_table(year).n


def test_organisations_of_the_default_nation():
    orgs = build_organisations(default_areas())
    lists = pd.Series([o.list for o in orgs]).value_counts()
    assert set(lists.index) == {"LA", "NG", "PF", "GO", "GP", "NCA"}
    assert lists["PF"] == 46  # 43 territorial forces of England and Wales, BTP, Scotland, PSNI
    assert 55 <= len(orgs) <= 75
    codes = set(reference.organisations())
    assert all(o.code in codes for o in orgs)
    covered = {a for o in orgs if o.list == "LA" for a in o.areas}
    assert covered == set(default_areas())


def test_referrals_make_lists_dependent_and_visibility_makes_people_differ():
    """PF->GO boost 1.5 on the logit: within a visibility class the PF-GO odds ratio is
    exp(1.5) = 4.5; mild heterogeneity adds a little, so the pooled ratio is near 4.5."""
    rng = np.random.default_rng(3)
    people = draw_population(rng, 2025, 60_000, default_areas())
    hist = capture_histories(rng, people, RecordingModel())
    pf, go = hist["PF"].to_numpy(), hist["GO"].to_numpy()
    table = np.array([[np.sum((pf == a) & (go == b)) for b in (0, 1)] for a in (0, 1)])
    odds_ratio = table[1, 1] * table[0, 0] / (table[0, 1] * table[1, 0])
    assert 3.5 < odds_ratio < 6.0
    # Lists with no referral between them are (nearly) independent.
    la, nca = hist["LA"].to_numpy(), hist["NCA"].to_numpy()
    t2 = np.array([[np.sum((la == a) & (nca == b)) for b in (0, 1)] for a in (0, 1)])
    assert 0.7 < t2[1, 1] * t2[0, 0] / (t2[0, 1] * t2[1, 0]) < 1.5


def test_simulate_command(tmp_path, capsys):
    from darkfigure.cli import main

    out = tmp_path / "n"
    assert main(["simulate", "--out", str(out), "--years", "2024-2025", "--size", "300",
                 "--areas", "2", "--seed", "4"]) == 0
    text = capsys.readouterr().out
    truth = read_truth(out)
    for year in (2024, 2025):
        line = next(x for x in text.splitlines() if x.startswith(str(year)))
        assert line.split()[1].replace(",", "") == str(truth.true_n(year))
    assert (out / "returns" / "manifest.csv").exists()
    assert main(["simulate", "--out", str(out), "--years", "2025-2024"]) == 2
    assert "not a year range" in capsys.readouterr().err
    assert main(["simulate", "--out", str(out), "--areas", "50"]) == 2
