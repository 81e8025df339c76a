"""Comparison levels: how two records agree on each attribute, as an ordered list of levels (strongest first).

A pair frame has every match key twice, `l_<key>` and `r_<key>`. Each comparison adds `c_<name>`: -1 when either side
is null (no evidence either way), otherwise the index of the first level whose condition holds; the last level is
`else` (clear disagreement). Correlated attributes are one comparison (house number, street and postcode are one
`address`), because Fellegi-Sunter adds evidence as if comparisons were independent.

Spark built-ins (levenshtein, soundex, arrays_overlap) run at codegen speed; Jaro-Winkler, which Spark only has from
4.3, is a vectorised pandas UDF over rapidfuzz, computed once per pair and comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from rapidfuzz.distance import JaroWinkler

Transform = Callable[[DataFrame], DataFrame]
NULL = -1


@dataclass(frozen=True)
class Level:
    label: str
    condition: Column


@dataclass(frozen=True)
class Comparison:
    """One attribute: `present` says both sides have a value; `levels` are tried in order, `else` is implied.

    `helpers` are columns computed once per pair, in order, before the levels (a similarity two levels test), then
    dropped; comparisons may share a helper by name.
    """

    name: str
    present: Column
    levels: tuple[Level, ...]
    helpers: tuple[tuple[str, Column], ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (*(lv.label for lv in self.levels), "else")

    def level(self) -> Column:
        """The level index (or -1 for null)."""
        expr = F.when(~self.present, F.lit(NULL))
        for i, lv in enumerate(self.levels):
            expr = expr.when(lv.condition, F.lit(i))
        return expr.otherwise(F.lit(len(self.levels)))


def l(key: str) -> Column:  # noqa: E743 - l/r read as left/right in every condition below
    return F.col(f"l_{key}")


def r(key: str) -> Column:
    return F.col(f"r_{key}")


def both(key: str) -> Column:
    return l(key).isNotNull() & r(key).isNotNull()


def lev(key: str) -> Column:
    return F.levenshtein(l(key), r(key))


def swapped() -> Column:
    """The right record has first and last name the other way round."""
    return (
        (l("m_first_key") == r("m_last_key"))
        & (l("m_last_key") == r("m_first_key"))
        & ~(l("m_first_key") == r("m_first_key"))
    )


@F.pandas_udf(T.DoubleType())  # type: ignore[call-overload]
def jaro_winkler(a: pd.Series, b: pd.Series) -> pd.Series:
    """Jaro-Winkler similarity (0..1; null when either side is null), by rapidfuzz in vectorised batches.

    Spark's own `jaro_winkler` only exists from 4.3; the same measure written as Spark higher-order functions was
    50-100x slower than this UDF on 300k name pairs (docs/decisions.md).
    """
    similarity = JaroWinkler.similarity
    values = [
        similarity(x, y) if isinstance(x, str) and isinstance(y, str) else None for x, y in zip(a, b, strict=True)
    ]
    return pd.Series(values, dtype="float64")


def right_first() -> Column:
    return F.when(F.coalesce(swapped(), F.lit(False)), r("m_last_key")).otherwise(r("m_first_key"))


def right_last() -> Column:
    return F.when(F.coalesce(swapped(), F.lit(False)), r("m_first_key")).otherwise(r("m_last_key"))


def comparisons() -> tuple[Comparison, ...]:
    """The comparisons udp scores, strongest level first."""
    # The right side's names (swap-aware) and the similarities are computed once per pair, as plain columns: inlined,
    # the swap test would be copied into every reference the Jaro-Winkler expression makes.
    rf, rl = F.col("_right_first"), F.col("_right_last")
    lf, ll = l("m_first_key"), l("m_last_key")
    names = (("_right_first", right_first()), ("_right_last", right_last()))
    jw_first, jw_last = F.col("_jw_first"), F.col("_jw_last")
    dob_digits_differ = F.levenshtein(F.date_format(l("m_dob"), "yyyyMMdd"), F.date_format(r("m_dob"), "yyyyMMdd"))
    return (
        Comparison(
            "first_name",
            lf.isNotNull() & rf.isNotNull(),
            (
                Level("exact", lf == rf),
                Level("nickname", F.arrays_overlap(l("m_first_forms"), F.coalesce(r("m_first_forms"), F.array()))),
                Level("typo", jw_first >= 0.92),
                Level("fuzzy", (jw_first >= 0.8) | (F.soundex(lf) == F.soundex(rf))),
                Level(
                    "initial",
                    ((F.length(lf) == 1) | (F.length(rf) == 1)) & (F.substring(lf, 1, 1) == F.substring(rf, 1, 1)),
                ),
            ),
            (*names, ("_jw_first", jaro_winkler(lf, rf))),
        ),
        Comparison(
            "last_name",
            ll.isNotNull() & rl.isNotNull(),
            (
                Level("exact", ll == rl),
                Level("typo", jw_last >= 0.92),
                Level("fuzzy", (jw_last >= 0.8) | (F.soundex(ll) == F.soundex(rl))),
            ),
            (*names, ("_jw_last", jaro_winkler(ll, rl))),
        ),
        # Only exact agreement: local parts are mostly built from the name (anthony.carter@ at two providers is
        # often two Anthony Carters), so partial email agreement would count the name twice.
        Comparison("email", both("m_email"), (Level("exact", l("m_email") == r("m_email")),)),
        Comparison(
            "phone",
            both("m_phone"),
            (
                Level("exact_mobile", (l("m_phone") == r("m_phone")) & l("m_phone_mobile").isNotNull()),
                Level("exact_landline", l("m_phone") == r("m_phone")),
                Level("typo", lev("m_phone") <= 1),
            ),
        ),
        Comparison(
            "date_of_birth",
            both("m_dob"),
            (
                Level("exact", l("m_dob") == r("m_dob")),
                Level(
                    "day_month_swapped",
                    (F.year(l("m_dob")) == F.year(r("m_dob")))
                    & (F.month(l("m_dob")) == F.dayofmonth(r("m_dob")))
                    & (F.dayofmonth(l("m_dob")) == F.month(r("m_dob"))),
                ),
                # The same eight digits (yyyyMMdd) but one wrong, then two (a transposed year: 1985 / 1958).
                Level("typo", dob_digits_differ <= 1),
                Level("partial", dob_digits_differ <= 2),
            ),
        ),
        Comparison(
            "address",
            both("m_postcode"),
            (
                Level(
                    "exact",
                    (l("m_postcode") == r("m_postcode"))
                    & (l("m_house") == r("m_house"))
                    & (F.levenshtein(l("m_address"), r("m_address")) <= 3),
                ),
                Level("postcode", l("m_postcode") == r("m_postcode")),
                Level("outward", l("m_outward") == r("m_outward")),
            ),
        ),
        # Exact only: a government or account identifier with one digit wrong is another identifier.
        Comparison(
            "national_id",
            both("m_national_id"),
            (Level("exact", l("m_national_id") == r("m_national_id")),),
        ),
    )


def with_comparison_levels(items: tuple[Comparison, ...]) -> Transform:
    """Add `c_<name>` level columns to a pair frame."""

    def transform(pairs: DataFrame) -> DataFrame:
        helpers = {name: column for c in items for name, column in c.helpers}
        for name, column in helpers.items():  # one projection each: a helper may read the one before
            pairs = pairs.withColumn(name, column)
        return pairs.withColumns({f"c_{c.name}": c.level() for c in items}).drop(*helpers)

    return transform
