"""Splink 5.0.0 (DuckDB backend) on udp's standardised customer records: the baseline of bench_matching.py.

Benchmark-only: `splink` is imported here and nowhere in `udp/`. The settings follow Splink's own documented person
examples (deduplicate_50k_synthetic, the tutorials): `NameComparison` (Jaro-Winkler 0.92/0.88/0.7, term-frequency
adjusted exact level) on first name and surname, `EmailComparison`, `LevenshteinAtThresholds` on the phone,
`DateOfBirthComparison` on a DATE column, `PostcodeComparison`; λ from deterministic rules with an assumed recall,
u by random sampling, m by EM on two blocking rules (without term frequencies, as the docs do), predict and cluster
at 0.99.

The prediction blocking rules are the same eight udp uses (conf/matching.yaml `matching.blocking.rules`), written
in Splink's terms, so both tools score the same candidate-pair space (udp additionally skips keys shared by more
than `max_block_size` records; Splink has no such cap).
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
from dataclasses import dataclass, field
from typing import Any

# Splink-friendly input column -> column of silver.customer_records. Helper keys (email local part, last six phone
# digits, surname Soundex) are exported precomputed by udp's standardisation, because the DuckDB dialect has no
# soundex and the same keys keep the blocking identical.
EXPORT_COLUMNS = {
    "unique_id": "record_id",
    "first_name": "m_first_key",
    "surname": "m_last_key",
    "email": "m_email",
    "email_local": "m_email_local",
    "phone": "m_phone",
    "phone_last6": "m_phone_last6",
    "postcode": "m_postcode",
    "address": "m_address",
    "dob": "m_dob",  # DateType in Spark -> parquet DATE -> DuckDB DATE
    "surname_soundex": "m_last_soundex",
}


def versions(with_splink: bool) -> str:
    """ "Splink X (DuckDB Y)" for a report's machine line; "not run" without Splink, "not installed" when missing."""

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return f"Splink {version('splink')} (DuckDB {version('duckdb')})" if with_splink else "Splink not run"


@dataclass
class SplinkRun:
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    records: int = 0
    predicted_pairs: int = 0
    clusters: int = 0
    largest_cluster: int = 0
    prior: float = 0.0
    extra_clusters: dict[float, str] = field(default_factory=dict)  # untimed re-clusterings: threshold -> parquet


def blocking_rules() -> list[Any]:
    """udp's eight rules (email, phone, name, dob_surname, postcode_first, email_local, swapped_names,
    phone_surname_initial) as Splink blocking rules; Splink removes the pairs an earlier rule found."""
    from splink import block_on

    return [
        block_on("email"),
        block_on("phone"),
        block_on("first_name", "surname"),
        block_on("dob", "surname_soundex"),
        block_on("postcode", "substr(first_name, 1, 1)"),
        block_on("email_local"),
        "l.first_name = r.surname and l.surname = r.first_name",
        block_on("phone_last6", "substr(surname, 1, 1)"),
    ]


def settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=blocking_rules(),
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.EmailComparison("email"),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def run_splink(
    parquet_glob: str,
    clusters_out: str,
    *,
    u_pairs: float = 1e7,
    recall: float = 0.7,
    threshold: float = 0.99,
    seed: int | None = 42,
    extra_thresholds: tuple[float, ...] = (),
    log_level: int = logging.WARNING,
) -> SplinkRun:
    """Load the exported records into DuckDB, train, predict, cluster and write (unique_id, cluster_id) to parquet.

    Everything from opening the DuckDB connection to the written clusters is timed (`seconds`), per step too.
    `extra_thresholds` (each above `threshold`) re-cluster the same predictions afterwards, untimed, written next to
    `clusters_out` as `<stem>_<threshold>.parquet`, for a threshold sweep of Splink's cluster F1.
    """
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
    con.execute(f"CREATE TABLE customer_records AS SELECT * FROM read_parquet('{parquet_glob}')")
    records = db_api.register("customer_records")
    linker = Linker(records, settings(), log_level=log_level)
    lap("load")

    linker.training.estimate_probability_two_random_records_match([block_on("email"), block_on("phone")], recall=recall)
    run.prior = float(linker._settings_obj._probability_two_random_records_match)
    lap("prior (deterministic rules)")
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    lap("u (random sampling)")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    lap("m (EM, 2 rules)")
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    lap("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    lap("cluster")
    con.execute(
        f"COPY (SELECT unique_id, cluster_id FROM {clusters.physical_name}) TO '{clusters_out}' (FORMAT PARQUET)"
    )
    lap("write clusters")
    run.seconds = time.monotonic() - started

    # Not timed: counts for the report.
    run.records = int(_one_row(con, "SELECT count(*) FROM customer_records")[0])
    run.predicted_pairs = int(_one_row(con, f"SELECT count(*) FROM {predictions.physical_name}")[0])
    sizes = _one_row(
        con, f"SELECT count(*), max(n) FROM (SELECT cluster_id, count(*) n FROM {clusters.physical_name} GROUP BY 1)"
    )
    run.clusters, run.largest_cluster = int(sizes[0]), int(sizes[1])
    for extra in extra_thresholds:
        again = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=extra
        )
        path = clusters_out.removesuffix(".parquet") + f"_{extra}.parquet"
        con.execute(f"COPY (SELECT unique_id, cluster_id FROM {again.physical_name}) TO '{path}' (FORMAT PARQUET)")
        run.extra_clusters[extra] = path
    con.close()
    return run


def _one_row(con: Any, sql: str) -> tuple[Any, ...]:
    """The single row an aggregate query returns."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from: {sql}")
    return tuple(row)
