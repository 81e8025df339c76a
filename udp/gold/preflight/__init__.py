"""Preflight: every documented Amazon Personalize data rule, checked before an import (catalogue.py lists them).

Input is one `DatasetInput` per dataset — a gold table, or a folder of CSV files (udp/gold/csvinput.py) — with its
Avro schema. Output is one `Check` per rule per dataset: severity (error | warning), passed, the measured value, the
limit, a message in words and up to 5 offending rows. Errors fail `udp validate` and block `udp export`.

- catalogue.py: every rule written once (name, datasets, severity, documented limit), docs/gold.md's table;
- outcome.py: the limits, `Check`, `DatasetInput`, and what is done with the results;
- schema_rules.py: the schema against Personalize's form (no Spark);
- measure.py: a dataset prepared for checking and the one aggregation pass that measures every data rule;
- value_rules.py: rules broken by single values, one table entry per rule;
- dataset_rules.py: rules on a dataset as a whole and across datasets;
- run.py: all of it, in dataset order, with samples of what failed.
"""

from udp.gold.preflight.outcome import (
    LIMITS,
    Check,
    DatasetInput,
    Limits,
    checks_frame,
    errors,
    failure_line,
    warnings,
)
from udp.gold.preflight.run import run_preflight
from udp.gold.preflight.schema_rules import check_schema

__all__ = [
    "LIMITS",
    "Check",
    "DatasetInput",
    "Limits",
    "check_schema",
    "checks_frame",
    "errors",
    "failure_line",
    "run_preflight",
    "warnings",
]
