"""`udp explain --customer-id ID`: why these records are one customer.

Prints the customer's golden record (with the source of each attribute), every record in its cluster (standardised
match keys), and every scored link touching the cluster with its decision, rule or probability and per-field
evidence (comparison level and the weight it added). `--record SOURCE:KEY` finds the customer of one source record.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from udp import progress
from udp.config import Config
from udp.errors import UdpError
from udp.lake import Lake
from udp.runner import add_config_args, run_job
from udp.silver.compare import MISSING
from udp.summary import Summary
from udp.tables import CUSTOMER_ID_HISTORY as HISTORY
from udp.tables import CUSTOMER_LINKS as LINKS
from udp.tables import CUSTOMER_RECORDS as RECORDS
from udp.tables import CUSTOMER_XREF as XREF
from udp.tables import CUSTOMERS

SHOWN_KEYS = ("m_first", "m_last", "m_email", "m_phone", "m_postcode", "m_address", "m_dob", "m_loyalty")
GOLDEN_SHOWN = ("first_name", "last_name", "email", "phone", "postcode", "date_of_birth", "loyalty_id")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="udp explain", description=__doc__.split("\n\n")[0])
    add_config_args(p)
    progress.add_quiet_arg(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer-id", help="a customer_id of silver.customers")
    who.add_argument("--record", metavar="SOURCE:KEY", help="a source record, e.g. crm:C000123")
    return p


def check(config: Config, args: argparse.Namespace) -> None:
    if args.record is not None and ":" not in args.record:
        raise UdpError(f"--record {args.record!r}: expected SOURCE:KEY, e.g. crm:C000123")


def resolve_customer(lake: Lake, args: argparse.Namespace) -> str:
    for table in (XREF, LINKS, RECORDS):
        if not lake.exists(table):
            raise UdpError(f"{table} does not exist under {lake.config.paths.lake}: run `udp run silver` first")
    if args.customer_id:
        return str(args.customer_id)
    source, key = args.record.split(":", 1)
    row = lake.read(XREF).where((F.col("source") == source) & (F.col("source_key") == key)).first()
    if row is None:
        raise UdpError(f"record {args.record} is not in {XREF}")
    return str(row["customer_id"])


def explain(spark: SparkSession, config: Config, args: argparse.Namespace) -> Summary:
    lake = Lake(spark, config)
    customer_id = resolve_customer(lake, args)
    members = lake.read(XREF).where(F.col("customer_id") == customer_id)
    ids = [r["record_id"] for r in members.select("record_id").collect()]
    if not ids:
        raise UdpError(f"customer_id {customer_id} is not in {XREF} (merged away? see {HISTORY})")
    summary = Summary(f"explain {customer_id}")
    summary.fact("records", len(ids))

    golden = lake.read(CUSTOMERS).where(F.col("customer_id") == customer_id).first() if lake.exists(CUSTOMERS) else None
    if golden is not None:
        values = golden.asDict()
        rows = [[a, values.get(a), values.get(f"{a}_source", "")] for a in GOLDEN_SHOWN]
        summary.table("golden record", ["attribute", "value", "from"], rows)

    keys = [c for c in SHOWN_KEYS if c in lake.read(RECORDS).columns]
    records = lake.read(RECORDS).where(F.col("record_id").isin(ids)).select("record_id", *keys).orderBy("record_id")
    summary.table("records in the cluster", ["record_id", *keys], [list(r) for r in records.collect()])

    links = (
        lake.read(LINKS)
        .where(F.col("left_id").isin(ids) | F.col("right_id").isin(ids))
        .orderBy(F.desc("match_weight"), "left_id", "right_id")
    )
    rows = []
    for link in links.collect():
        outside = "" if link["left_id"] in ids and link["right_id"] in ids else "  (other customer)"
        rows.append(
            [
                f"{link['left_id']} ~ {link['right_id']}{outside}",
                link["decision"],
                link["rule"] or f"p={link['probability']:.4f}",
                _evidence(link["evidence"]),
            ]
        )
    summary.table("links (evidence: field=level(weight))", ["pair", "decision", "rule / probability", "evidence"], rows)
    if lake.exists(HISTORY):
        history = lake.read(HISTORY).where(
            (F.col("customer_id") == customer_id) | (F.col("other_customer_id") == customer_id)
        )
        events = [[r["happened_at"], r["event"], r["other_customer_id"], r["records"]] for r in history.collect()]
        if events:
            summary.table("id history", ["at", "event", "other customer", "records"], events)
    return summary


def _evidence(evidence: Any) -> str:
    if evidence is None:
        return ""
    parts = []
    for name, value in evidence.asDict().items():
        if value is not None and value["level"] != MISSING:
            parts.append(f"{name}={value['level']}({value['weight']:+.1f})")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    return run_job(parser(), argv, explain, check, logged=False)
