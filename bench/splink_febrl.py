"""Splink 5.0.0 (DuckDB backend) on the FEBRL sets: the baseline of bench_febrl.py.

Benchmark-only. The settings are Splink's own documented examples for these sets (docs/demos/examples/duckdb/
febrl3 and febrl4 in Splink's repository), unchanged except where noted:

- febrl3 (dedupe_only): predictions blocked on soc_sec_id, given_name, surname, date_of_birth, postcode;
  `NameComparison` on given_name and surname, `DateOfBirthComparison` on the yyyyMMdd string,
  `DamerauLevenshteinAtThresholds(soc_sec_id, [2])`, exact street_number and postcode with term frequencies; λ from
  three deterministic rules at recall 0.9, u from 1e6 random pairs (seed 2), m by EM blocked on date_of_birth, then
  on postcode.
- febrl4 (link_only, files A and B): the "detailed model" — seven blocking rules (names, swapped names, date of
  birth, soc_sec_id, state + address_1, street_number + address_1, postcode), Damerau-Levenshtein [1, 2] on soc_sec_id
  and postcode (term frequencies on postcode), λ from two deterministic rules at recall 0.8, u from 1e6 random pairs,
  m by EM on date_of_birth then postcode without term frequencies.

Where the examples stop at predictions, both are predicted and clustered at p >= 0.99 (the febrl4 example's own
clustering threshold, and udp's `thresholds.match`), so the two tools are scored on clusters at the same probability.
The input is the laid-out dump bench/febrl.py writes for udp (the same rows and values); unique ids are udp's record
ids (`<source>:<rec_id>`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from bench.splink_settings import SplinkRun

THRESHOLD = 0.99


def febrl3_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


def febrl4_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    rules: list[Any] = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    return SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink_febrl(
    set_name: str, csvs: Mapping[str, str], clusters_out: str, *, log_level: int = logging.WARNING
) -> SplinkRun:
    """Load each source's CSV into DuckDB, train as Splink's example for `set_name` does, predict and cluster at 0.99,
    and write (unique_id, cluster_id) to parquet. Everything from the DuckDB connection to the written file is timed."""
    from splink import DuckDBAPI, Linker, block_on

    run = SplinkRun()
    steps = run.steps
    started = last = time.monotonic()

    def lap(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        steps[name] = now - last
        last = now

    db_api = DuckDBAPI()
    con = db_api.duckdb_con
    for source, path in csvs.items():
        con.execute(
            f"CREATE TABLE {source} AS SELECT '{source}:' || rec_id AS unique_id, * "
            f"FROM read_csv('{path}', header = true, all_varchar = true)"
        )
    tables = [db_api.register(source) for source in csvs]
    if set_name == "febrl3":
        linker = Linker(tables, febrl3_settings(), log_level=log_level)
        deterministic: list[Any] = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
        ]
        recall, u_seed, em_without_tf = 0.9, 2, False
    else:
        linker = Linker(tables, febrl4_settings(), log_level=log_level)
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        recall, u_seed, em_without_tf = 0.8, 2, True
    lap("load")
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    run.prior = float(linker._settings_obj._probability_two_random_records_match)
    lap("prior (deterministic rules)")
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=u_seed)
    lap("u (random sampling)")
    for rule in ("date_of_birth", "postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(rule), estimate_without_term_frequencies=em_without_tf
        )
    lap("m (EM, 2 rules)")
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    lap("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    lap("cluster")
    con.execute(
        f"COPY (SELECT unique_id, cluster_id FROM {clusters.physical_name}) TO '{clusters_out}' (FORMAT PARQUET)"
    )
    lap("write clusters")
    run.seconds = time.monotonic() - started

    # Not timed: counts for the report.
    run.predicted_pairs = int(_one(con, f"SELECT count(*) FROM {predictions.physical_name}"))
    run.records = int(_one(con, f"SELECT count(*) FROM {clusters.physical_name}"))
    sizes = con.execute(
        f"SELECT count(*), max(n) FROM (SELECT cluster_id, count(*) n FROM {clusters.physical_name} GROUP BY 1)"
    ).fetchone()
    run.clusters, run.largest_cluster = (int(sizes[0]), int(sizes[1])) if sizes else (0, 0)
    con.close()
    return run


def _one(con: Any, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from: {sql}")
    return row[0]
