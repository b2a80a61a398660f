"""Benchmark: quality of linkage against a synthetic nation's truth, key sets compared.

Simulates a nation (:func:`darkfigure.synthetic.simulate_nation`), reads every
return intake would load and types it as validation does
(:func:`validation.normalise.normalise`; the expectation suite is skipped: the
files loaded are the ones with no errors), makes the match keys under the demo
key, and links each year's records into persons with several key sets and
rules:

``before``
    the six key types of session 1 and their rules (exact names, Soundex,
    initials; year of birth exact);
``+ phonetic``
    plus ``phonetic_name_dob`` and ``phonetic_name_yob_sex``;
``+ year window``
    plus ``name_sex_yob_window`` (a solo key, with the rule-6 guard);
``after``
    all of them (the default :class:`collection.linkage.LinkageRules`).

The truth says which person each file row is, so linkage is scored exactly:
pairwise precision and recall (pairs of records put in one person, against
pairs that are one person), persons split (a true person's records in several
persons found) and wrongly merged (a person found holding several true ones),
and the effect on the estimate: each year's capture table from the persons
found, fitted by ``--method``, against the same method on the true linkage of
the same records.  Prints a table and writes ``benchmarks/results/linkage.md``.

``--splink`` also fits a Fellegi-Sunter model with Splink 5 on its DuckDB
backend over the same hashed keys (Splink sees only hashes), trained without
labels (u by random sampling, m by expectation maximisation), and scores its
clusters at several match-probability thresholds against the deterministic
linkage.  Splink is not a dependency of darkfigure (it did not beat the
deterministic rules, see the results): install it first
(``pip install splink==5.0.0``).

Run: ``PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/bench_linkage.py``
(``--size 3000 --years 2025`` for a quick run).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Key types of session 1 (before this benchmark's changes).
BEFORE_KEYS = ("name_dob", "sorted_name_dob", "soundex_dob", "name_dob_daymonth", "name_yob",
               "initials_yob_sex")
PHONETIC_KEYS = ("phonetic_name_dob", "phonetic_name_yob_sex")
WINDOW_KEYS = ("name_sex_yob_window",)


def key_sets() -> dict[str, tuple[tuple[str, ...], object]]:
    """``label -> (key types, LinkageRules)`` compared."""
    from collection.linkage import DEFAULT_CONFLICTS, LinkageRules

    before_rules = LinkageRules(conflicts=DEFAULT_CONFLICTS[:1], solo_keys=frozenset())
    return {
        "before": (BEFORE_KEYS, before_rules),
        "+ phonetic": (BEFORE_KEYS + PHONETIC_KEYS, LinkageRules(solo_keys=frozenset())),
        "+ year window": (BEFORE_KEYS + WINDOW_KEYS, LinkageRules()),
        "after": (BEFORE_KEYS + PHONETIC_KEYS + WINDOW_KEYS, LinkageRules()),
    }


def load_nation(out: Path, seed: int, years: tuple[int, ...], size: int) -> pd.DataFrame:
    """Typed rows of every loaded return of a new nation, with ``person_id`` from the truth."""
    from darkfigure.synthetic import NationConfig, simulate_nation
    from darkfigure.synthetic.truth import labelled_records

    simulate_nation(out, NationConfig(seed=seed, years=years, size=size, broken_files=False))
    return labelled_records(out)


def score(found: np.ndarray, true: np.ndarray) -> dict[str, int]:
    """Pair and person counts of a clustering ``found`` against the truth ``true``."""
    frame = pd.DataFrame({"found": found, "true": true})

    def pairs(sizes: pd.Series) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    return {
        "pairs_both": pairs(frame.groupby(["found", "true"]).size()),
        "pairs_found": pairs(frame.groupby("found").size()),
        "pairs_true": pairs(frame.groupby("true").size()),
        "persons": int(frame["found"].nunique()),
        "true_persons": int(frame["true"].nunique()),
        "split": int((frame.groupby("true")["found"].nunique() > 1).sum()),
        "merged": int((frame.groupby("found")["true"].nunique() > 1).sum()),
    }


def n_hat(persons: np.ndarray, lists: pd.Series, method: str) -> float:
    """``method``'s estimate of N from the capture table of these persons."""
    from collection.capture_histories import LIST_ORDER
    from estimation.capture_table import CaptureTable
    from estimation.registry import estimate

    seen = pd.crosstab(persons, lists.to_numpy()).reindex(columns=list(LIST_ORDER),
                                                           fill_value=0)
    table = CaptureTable.from_patterns(LIST_ORDER, (seen.to_numpy() > 0).astype(int),
                                       np.ones(len(seen)))
    return float(estimate(table, method).estimate)


def run(rows: pd.DataFrame, method: str) -> tuple[pd.DataFrame, dict[str, float]]:
    """Scores of every key set (summed over years) and the N_hat per key set."""
    from collection.keys import DEMO_KEY
    from collection.linkage import link_records
    from collection.pseudonymise import match_keys

    start = time.perf_counter()
    keys = match_keys(rows, DEMO_KEY)
    key_seconds = time.perf_counter() - start
    # match_keys gives (row, record_ref): one record per (path, row) here, so map back by
    # position within the frame (rows keep their order).
    keys = keys.merge(rows[["row", "record_ref", "record_id"]], on=["row", "record_ref"],
                      validate="many_to_one")[["record_id", "key_type", "key_hash"]]
    table, estimates = [], {}
    truth_n = {year: n_hat(group["person_id"].to_numpy(), group["list"], method)
               for year, group in rows.groupby("year")}
    for label, (types, rules) in key_sets().items():
        chosen = keys[keys["key_type"].isin(types)]
        totals: dict[str, float] = {}
        seconds, n_found = 0.0, 0.0
        for _year, group in rows.groupby("year"):
            start = time.perf_counter()
            result = link_records(group[["record_id", "org_code", "quarter"]],
                                  chosen[chosen["record_id"].isin(group["record_id"])], rules)
            seconds += time.perf_counter() - start
            found = result.person_records.set_index("record_id").loc[group["record_id"],
                                                                      "person_id"].to_numpy()
            for k, v in score(found, group["person_id"].to_numpy()).items():
                totals[k] = totals.get(k, 0) + v
            n_found += n_hat(found, group["list"], method)
        estimates[label] = n_found
        table.append({
            "key set": label,
            "key types": len(types),
            "precision": totals["pairs_both"] / max(totals["pairs_found"], 1),
            "recall": totals["pairs_both"] / max(totals["pairs_true"], 1),
            "persons found": int(totals["persons"]),
            "true persons": int(totals["true_persons"]),
            "split": int(totals["split"]),
            "merged": int(totals["merged"]),
            "N_hat": n_found,
            "N_hat vs true linkage": n_found / sum(truth_n.values()) - 1,
            "link s": seconds,
        })
    estimates["true linkage"] = sum(truth_n.values())
    estimates["key seconds"] = key_seconds
    return pd.DataFrame(table), estimates


#: Match-probability thresholds at which Splink's pairwise predictions are clustered.
SPLINK_THRESHOLDS = (0.05, 0.2, 0.5, 0.9)


def splink_comparisons() -> list:
    """Two Fellegi-Sunter comparisons over the hashed keys, each with ordered levels.

    One comparison per key type would count the same evidence many times (the
    keys are functions of one name and one date): the keys are grouped into
    evidence from the date of birth and evidence from the year of birth, and
    within each the first level that holds is the pair's level.  The year
    comparison has levels for "same name and year, dates of birth differ", so
    the model can learn the veto the deterministic rules apply.
    """
    import splink.comparison_library as cl

    def eq(c: str) -> str:
        return f'"{c}_l" = "{c}_r"'

    def dated(c: str) -> str:
        return f'"{c}_l" IS NOT NULL AND "{c}_r" IS NOT NULL AND NOT {eq(c)}'

    window = "len(list_intersect(yob_window_l, yob_window_r)) > 0"
    null = {"sql_condition": '"phonetic_name_dob_l" IS NULL OR "phonetic_name_dob_r" IS NULL',
            "is_null_level": True}
    levels = [
        ("dob_evidence", [
            null,
            f"{eq('name_dob')} OR {eq('sorted_name_dob')} OR {eq('name_dob_daymonth')}",
            eq("phonetic_name_dob"), eq("soundex_dob"), "ELSE"]),
        ("yob_evidence", [
            f"{eq('name_yob')} AND {dated('name_dob_daymonth')}",
            f"{eq('phonetic_name_yob_sex')} AND {dated('phonetic_name_dob')}",
            f"{eq('name_yob')} AND {eq('initials_yob_sex')}", eq("name_yob"),
            f"{window} AND {dated('sorted_name_dob')}", window,
            eq("phonetic_name_yob_sex"), eq("initials_yob_sex"), "ELSE"]),
    ]
    return [cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[lv if isinstance(lv, dict) else {"sql_condition": lv}
                           for lv in conditions])
            for name, conditions in levels]


def run_splink(rows: pd.DataFrame) -> pd.DataFrame:
    """Splink's clusters per threshold, scored like the key sets (years summed)."""
    import logging

    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from collection.keys import DEMO_KEY
    from collection.pseudonymise import KEY_TYPES, match_keys

    keys = match_keys(rows, DEMO_KEY).merge(rows[["row", "record_ref", "record_id"]],
                                            on=["row", "record_ref"], validate="many_to_one")
    keys["key_type"] = keys["key_type"].astype(str)
    scalar = [k for k in KEY_TYPES if k not in WINDOW_KEYS]
    wide = keys[keys["key_type"].isin(scalar)].pivot(index="record_id", columns="key_type",
                                                      values="key_hash")
    lists = keys.groupby("record_id")["key_hash"].agg(list)
    window = keys[keys["key_type"].isin(WINDOW_KEYS)].groupby("record_id")["key_hash"].agg(list)
    frame = (rows.set_index("record_id")[["year", "person_id"]].join(wide)
             .join(window.rename("yob_window")).join(lists.rename("all_keys")))
    frame = frame.reindex(columns=[*frame.columns, *[c for c in scalar if c not in frame]])
    frame["all_keys"] = [v if isinstance(v, list) else [] for v in frame["all_keys"]]
    frame = frame.reset_index().rename(columns={"record_id": "unique_id"})
    totals: dict[float, dict[str, int]] = {t: {} for t in SPLINK_THRESHOLDS}
    for year, group in frame.groupby("year"):
        db = DuckDBAPI()
        data = db.register(group.drop(columns=["person_id", "year"]), table_name=f"r{year}")
        linker = Linker(data, SettingsCreator(
            link_type="dedupe_only", comparisons=splink_comparisons(),
            # exactly the deterministic candidate pairs: records sharing any key value
            blocking_rules_to_generate_predictions=[
                block_on("all_keys", arrays_to_explode=["all_keys"])],
            retain_matching_columns=False), log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_dob")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        for rule in ("initials_yob_sex", "soundex_dob"):  # each trains the other comparison
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
        predictions = linker.inference.predict(threshold_match_probability=min(totals))
        for threshold, total in totals.items():
            clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, threshold_match_probability=threshold).as_pandas_dataframe()
            found = group.set_index("unique_id").join(clusters.set_index("unique_id")["cluster_id"])
            for k, v in score(found["cluster_id"].astype(str).to_numpy(),
                              found["person_id"].to_numpy()).items():
                total[k] = total.get(k, 0) + v
    return pd.DataFrame([{
        "linker": f"Splink, match probability >= {t}",
        "precision": s["pairs_both"] / max(s["pairs_found"], 1),
        "recall": s["pairs_both"] / max(s["pairs_true"], 1),
        "persons found": s["persons"], "split": s["split"], "merged": s["merged"],
    } for t, s in totals.items()])


def splink_markdown(splink: pd.DataFrame, table: pd.DataFrame) -> str:
    """The Splink section of the results page."""
    after = table[table["key set"] == "after"].iloc[0]
    lines = [
        "", "## Splink (Fellegi-Sunter over the hashed keys) against the deterministic rules",
        "",
        "`--splink`: Splink 5.0.0, DuckDB backend, the same records and candidate pairs "
        "(records sharing any key value); two comparisons with ordered levels "
        "(`splink_comparisons`); u by random sampling, m by EM blocked on "
        "`initials_yob_sex` and on `soundex_dob`; persons are connected components of the "
        "pairs at or above the threshold.",
        "",
        "| linker | precision | recall | persons found | split | merged |",
        "|---|---|---|---|---|---|",
        f"| deterministic (after) | {after['precision']:.4f} | {after['recall']:.4f} | "
        f"{after['persons found']:,} | {after['split']:,} | {after['merged']:,} |",
    ]
    lines += [f"| {r[0]} | {r[1]:.4f} | {r[2]:.4f} | {r[3]:,} | {r[4]:,} | {r[5]:,} |"
              for r in splink.itertuples(index=False)]
    as_precise = splink[splink["precision"] >= after["precision"]]
    best = float(as_precise["recall"].max()) if len(as_precise) else float("nan")
    verdict = ("improves" if best > after["recall"] else "does not improve")
    lines += [
        "",
        f"At equal or better precision ({after['precision']:.4f}) Splink's best recall is "
        f"{best:.4f} against the deterministic {after['recall']:.4f}: it {verdict} recall.  "
        "A first model with one exact-match comparison per key type (the keys as if "
        "independent) did worse still (measured by hand on the same records: precision "
        "0.897, recall 0.946 at every threshold from 0.5 to 0.999): the keys are functions "
        "of one name and one date, so agreements are counted several times and "
        "disagreements on the date of birth never outweigh them.  Splink sees the same "
        "hashes as the rules and cannot compare names or dates more finely, so it can only "
        "reweigh the same agreements; the rules also encode what a model learns poorly "
        "without labels (no weak links within a return, no estimated age joining two dated "
        "people).",
    ]
    return "\n".join(lines) + "\n"


def markdown(table: pd.DataFrame, estimates: dict[str, float], args: argparse.Namespace,
             n_records: int, true_n: int) -> str:
    """The results page."""
    load = os.getloadavg()[0]
    lines = [
        "# Linkage quality on a synthetic nation",
        "",
        f"`benchmarks/bench_linkage.py --seed {args.seed} --years {args.years} --size "
        f"{args.size} --method {args.method}`; {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load:.2f} at the end.  {n_records:,} records of the returns intake "
        f"loads, linked year by year; {true_n:,} true victims in those years.  Pairs are "
        "record pairs within a year; precision and recall are pairwise.  N_hat is the sum "
        f"over years of `{args.method}` on each year's capture table (true linkage of the "
        f"same records: {estimates['true linkage']:,.0f}).  Match keys for all records "
        f"took {estimates['key seconds']:.1f} s.",
        "",
        "| key set | key types | precision | recall | persons found | true persons | "
        "split | merged | N_hat | N_hat vs true linkage | link (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r[0]} | {r[1]} | {r[2]:.4f} | {r[3]:.4f} | {r[4]:,} | {r[5]:,} | {r[6]:,} | "
            f"{r[7]:,} | {r[8]:,.0f} | {r[9]:+.1%} | {r[10]:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", default="2022-2025")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--method", default="stepwise")
    parser.add_argument("--splink", action="store_true",
                        help="also score a Splink model (needs splink installed)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results"
                        / "linkage.md")
    args = parser.parse_args(argv)
    first, _, last = args.years.partition("-")
    years = tuple(range(int(first), int(last or first) + 1))
    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as tmp:
        rows = load_nation(Path(tmp), args.seed, years, args.size)
        truth = pd.read_csv(Path(tmp) / "truth" / "totals.csv")
    true_n = int(truth.loc[truth["stratum"] == "all", "N"].sum())
    table, estimates = run(rows, args.method)
    text = markdown(table, estimates, args, len(rows), true_n)
    if args.splink:
        text += splink_markdown(run_splink(rows), table)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        existing = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        marker = "\n## "  # without --splink, the last Splink section is kept
        tail = existing[existing.find(marker):] if marker in existing and not args.splink else ""
        args.out.write_text(text + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
