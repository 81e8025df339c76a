"""silver.customer_records: every customer-like record of every source in one canonical, standardised shape.

Each bronze source whose contract says `entity: customer` is deduplicated on its business key (the latest version
wins: event time, then landing date, then file and line), mapped onto the canonical customer record by the
contract's `mapping`, and standardised. Display values (trimmed, junk removed, phones in E.164) keep the source's
spelling; the `m_*` columns are the normalised keys the matcher compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from udp.contracts import SourceContract
from udp.models import CUSTOMER_FIELDS
from udp.settings.matching import StandardiseSettings
from udp.silver import standardise as S

Transform = Callable[[DataFrame], DataFrame]

# Match keys: name in conf/matching.yaml -> column of silver.customer_records.
MATCH_KEYS = {
    "first_name": "m_first",
    "first_key": "m_first_key",
    "first_initial": "m_first_initial",
    "last_name": "m_last",
    "last_key": "m_last_key",
    "last_initial": "m_last_initial",
    "last_soundex": "m_last_soundex",
    "email": "m_email",
    "email_local": "m_email_local",
    "phone": "m_phone",
    "phone_mobile": "m_phone_mobile",
    "phone_last6": "m_phone_last6",
    "postcode": "m_postcode",
    "postcode_outward": "m_outward",
    "address": "m_address",
    "house_number": "m_house",
    "date_of_birth": "m_dob",
    "loyalty_id": "m_loyalty",
    "national_id": "m_national_id",
    "first_soundex": "m_first_soundex",
    "first_prefix": "m_first_prefix",
    "last_prefix": "m_last_prefix",
    "birth_year": "m_birth_year",
    "birth_month_day": "m_birth_month_day",
}


def latest_versions(df: DataFrame, key: Sequence[str], event_time: str | None) -> DataFrame:
    """One row per business key: the latest by event time, then landing date, file and line (all descending)."""
    order = [F.col(event_time).desc_nulls_last()] if event_time else []
    order += [F.col(c).desc_nulls_last() for c in ("_landing_date", "_ingested_at", "_file", "_row")]
    w = Window.partitionBy(*[F.col(k) for k in key]).orderBy(*order)
    return df.withColumn("_version", F.row_number().over(w)).where(F.col("_version") == 1).drop("_version")


def to_canonical(source: str, contract: SourceContract) -> Transform:
    """Map a bronze source onto the canonical customer record with the contract's SQL expressions."""

    def transform(df: DataFrame) -> DataFrame:
        mapping = contract.mapping
        columns = [
            (F.expr(mapping[name]) if name in mapping else F.lit(None)).cast(dtype).alias(name)
            for name, dtype in CUSTOMER_FIELDS.items()
        ]
        lineage = [F.col("_file").alias("source_file"), F.col("_row").alias("source_row")]
        out = df.select(F.lit(source).alias("source"), *columns, *lineage)
        return out.withColumn("record_id", F.concat(F.col("source"), F.lit(":"), F.col("source_key")))

    return transform


def with_standardised_fields(settings: StandardiseSettings) -> Transform:
    """Clean display values and add the normalised `m_*` match keys.

    Built in stages (one `withColumns` per stage), each stage reading the previous stage's columns, so no
    expression is copied into the next and Spark's generated code stays small.
    """

    def transform(df: DataFrame) -> DataFrame:
        junk = settings.junk_values
        text = {c: S.clean_text(F.col(c), junk) for c in TEXT_FIELDS}
        df = df.withColumns(text).withColumn("full_name", S.unmerge_name(F.col("full_name")))
        df = df.withColumns(
            {
                "_untitled": S.strip_display_titles(F.col("full_name"), settings.titles),
                "_has_parts": F.col("first_name").isNotNull() | F.col("last_name").isNotNull(),
                "_phone_digits": F.regexp_replace(F.col("phone"), r"[^0-9]", ""),
                "_phone_plus": F.trim(F.col("phone")).startswith("+"),
                "_postcode": F.upper(F.regexp_replace(F.col("postcode"), r"[^A-Za-z0-9]", "")),
                "email": F.lower(F.col("email")),
                "country": F.upper(F.col("country")),
            }
        )
        full_first, full_last = S.split_full_name(F.col("_untitled"))
        df = df.withColumns(
            {
                "first_name": F.when(F.col("_has_parts"), F.col("first_name")).otherwise(full_first),
                "last_name": F.when(F.col("_has_parts"), F.col("last_name")).otherwise(full_last),
                "phone": S.phone_e164(F.col("_phone_digits"), F.col("_phone_plus"), settings),
                "postcode": S.format_postcode(F.col("_postcode"), settings),
                "date_of_birth": S.standardise_date_of_birth(F.col("date_of_birth"), settings),
                "gender": S.standardise_gender(F.col("gender")),
            }
        ).drop("_untitled", "_has_parts", "_phone_digits", "_phone_plus", "_postcode")
        df = df.withColumns(
            {
                "m_first": S.standardise_name(F.col("first_name"), settings),
                "m_last": S.standardise_name(F.col("last_name"), settings),
                "m_email": S.standardise_email(F.col("email"), settings),
                "m_phone": F.col("phone"),
                "m_phone_mobile": S.mobile_phone(F.col("phone"), settings),
                "m_postcode": F.col("postcode"),
                "m_address": S.standardise_address(F.col("address_line1"), settings),
                "m_dob": F.col("date_of_birth"),
                "m_loyalty": F.col("loyalty_id"),
                "m_national_id": S.standardise_identifier(F.col("national_id"), settings),
                "m_birth_year": F.year(F.col("date_of_birth")),
                "m_birth_month_day": F.date_format(F.col("date_of_birth"), "MM-dd"),
            }
        )
        df = df.withColumns({"m_first_key": S.name_key(F.col("m_first")), "m_last_key": S.name_key(F.col("m_last"))})
        df = df.withColumns(
            {
                "m_first_forms": S.first_name_forms(F.col("m_first_key"), settings.nicknames),
                "m_first_initial": F.substring(F.col("m_first_key"), 1, 1),
                "m_last_initial": F.substring(F.col("m_last_key"), 1, 1),
                "m_last_soundex": F.when(F.col("m_last_key").isNotNull(), F.soundex(F.col("m_last_key"))),
                "m_first_soundex": F.when(F.col("m_first_key").isNotNull(), F.soundex(F.col("m_first_key"))),
                "m_first_prefix": F.when(F.length("m_first_key") >= 3, F.substring(F.col("m_first_key"), 1, 3)),
                "m_last_prefix": F.when(F.length("m_last_key") >= 3, F.substring(F.col("m_last_key"), 1, 3)),
                "m_email_local": S.email_local(F.col("m_email")),
                "m_phone_last6": F.when(F.length("m_phone") >= 10, F.substring(F.col("m_phone"), -6, 6)),
                "m_outward": S.postcode_outward(F.col("m_postcode")),
                "m_house": S.house_number(F.col("m_address")),
            }
        )
        hashed = [F.col(c) for c in df.columns if c not in ("source_file", "source_row")]
        return df.withColumn("record_hash", F.xxhash64(*hashed))

    return transform


# The customer model's free-text fields, cleaned of junk values: every STRING field but the record's key and gender
# (a code, standardised on its own).
TEXT_FIELDS = tuple(n for n, t in CUSTOMER_FIELDS.items() if t == "STRING" and n not in ("source_key", "gender"))


def build_customer_records(
    bronze: Mapping[str, DataFrame], contracts: Mapping[str, SourceContract], settings: StandardiseSettings
) -> DataFrame:
    """All customer sources, latest version per key, canonical and standardised, in one frame."""
    frames = []
    for source, df in bronze.items():
        contract = contracts[source]
        latest = latest_versions(df, contract.key, contract.event_time)
        frames.append(latest.transform(to_canonical(source, contract)))
    if not frames:
        raise ValueError("no customer sources")
    records = frames[0]
    for frame in frames[1:]:
        records = records.unionByName(frame)
    return records.where(F.col("source_key").isNotNull()).transform(with_standardised_fields(settings))
