"""Rough cost notes for `plan`: the order of magnitude of what `apply` will be billed, never an invoice.

List prices (us-east-1, as published on aws.amazon.com/personalize/pricing; check them for your region and date):
data ingestion $0.05 per GB, training $0.24 per training hour, real-time campaigns $0.20 per TPS-hour of provisioned
(minimum) throughput, batch recommendations about $0.067 per 1,000. Training hours depend on the data and recipe;
udp's guess is one training hour plus one per 10 million interactions, per solution version.
"""

from __future__ import annotations

import math

INGEST_PER_GB = 0.05
TRAINING_PER_HOUR = 0.24
CAMPAIGN_PER_TPS_HOUR = 0.20
BATCH_PER_1000 = 0.067
HOURS_PER_MONTH = 730


def training_hours(interactions: int) -> float:
    """A rough training-hour guess for one solution version."""
    return 1.0 + math.ceil(interactions / 10_000_000)


def ingestion_note(gigabytes: float) -> str:
    return f"ingestion ~{gigabytes:.3f} GB x ${INGEST_PER_GB}/GB = ${gigabytes * INGEST_PER_GB:.2f}"


def training_note(versions: int, interactions: int) -> str:
    hours = training_hours(interactions) * versions
    return (
        f"training ~{hours:.0f} training hours for {versions} solution version(s) x ${TRAINING_PER_HOUR}/h "
        f"= ~${hours * TRAINING_PER_HOUR:.2f} (rough: depends on data and recipe)"
    )


def campaign_note(name: str, min_tps: int) -> str:
    monthly = min_tps * CAMPAIGN_PER_TPS_HOUR * HOURS_PER_MONTH
    return (
        f"campaign {name}: {min_tps} TPS minimum x ${CAMPAIGN_PER_TPS_HOUR}/TPS-hour = ~${monthly:,.0f}/month "
        "while it exists (billed even when idle; teardown deletes it)"
    )


ASSUMPTIONS = (
    f"assumptions: us-east-1 list prices (aws.amazon.com/personalize/pricing; check your region and date): ingestion "
    f"${INGEST_PER_GB}/GB, training ${TRAINING_PER_HOUR}/training hour, campaigns ${CAMPAIGN_PER_TPS_HOUR}/TPS-hour of "
    f"minimum throughput ({HOURS_PER_MONTH} h a month), batch ${BATCH_PER_1000} per 1,000 recommendations; training "
    "hours guessed as 1 + 1 per 10M interactions per version; batch queries as the input's lines (default: one per "
    "user, or item, of the snapshot); real-time traffic above the minimum TPS, PutEvents and storage not priced; udp "
    "creates no recommenders"
)


def batch_note(name: str, queries: int | None, num_results: int) -> str:
    if queries is None:
        return f"batch {name}: {num_results} recommendations per query of an input plan cannot read (not priced)"
    recs = queries * num_results
    price = recs / 1000 * BATCH_PER_1000
    return f"batch {name}: ~{queries:,} queries x {num_results} = {recs:,} recommendations ~${price:.2f}"
