"""Comparison levels: how two records agree on each attribute, as an ordered list of levels (strongest first).

A pair frame has every match key twice, `l_<key>` and `r_<key>`. Each comparison adds `c_<name>`: -1 when either side
is null (no evidence either way), otherwise the index of the first level whose condition holds; the last level is
`else` (clear disagreement). Correlated attributes are one comparison (house number, street and postcode are one
`address`), because Fellegi-Sunter adds evidence as if comparisons were independent.

Spark built-ins (levenshtein, soundex, arrays_overlap) run at codegen speed; Jaro-Winkler, which Spark only has from
4.3, is a vectorised pandas UDF over rapidfuzz: a pair's four name similarities (straight and crosswise) in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from rapidfuzz.distance import JaroWinkler

Transform = Callable[[DataFrame], DataFrame]
NULL = -1
FUZZY = 0.8  # Jaro-Winkler of a `fuzzy` name; both crosswise names at least this similar to read a swap


# Every comparison's levels, strongest first (`else`, a clear disagreement, is implied): the names and labels that
# configuration refers to (matching.guards, corroboration, compound_guards, training.fixed_m / fixed_u), known before
# Spark starts. `comparisons()` builds exactly these; a Comparison whose levels differ is refused when it is built.
LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "typo", "fuzzy", "initial"),
    "last_name": ("exact", "typo", "fuzzy"),
    "email": ("exact",),
    "phone": ("exact_mobile", "exact_landline", "typo"),
    "date_of_birth": ("exact", "day_month_swapped", "typo", "partial"),
    "address": ("exact", "postcode", "street", "outward"),
    "national_id": ("exact",),
}


def labels_of(name: str) -> tuple[str, ...]:
    """The level labels of comparison `name`, `else` last (no Spark needed)."""
    return (*LEVELS[name], "else")


def level_problem(known: Mapping[str, Sequence[str]], name: str, labels: Sequence[str], key: str) -> str | None:
    """What is wrong with naming levels `labels` of comparison `name` (`known`: comparison -> its labels) under
    `key`, or None."""
    if name not in known:
        return f"{key}: unknown comparison {name!r}; comparisons: {', '.join(known)}"
    unknown = [label for label in labels if label not in known[name]]
    if unknown:
        return f"{key}.{name}: unknown level(s) {', '.join(unknown)}; levels: {', '.join(known[name])}"
    return None


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

    def __post_init__(self) -> None:
        built = tuple(lv.label for lv in self.levels)
        if LEVELS.get(self.name) != built:
            raise ValueError(f"comparison {self.name} has levels {built}; LEVELS says {LEVELS.get(self.name)}")

    @property
    def labels(self) -> tuple[str, ...]:
        return labels_of(self.name)

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


def _jaro_winkler(a: pd.Series, b: pd.Series) -> list[float | None]:
    similarity = JaroWinkler.similarity
    return [similarity(x, y) if isinstance(x, str) and isinstance(y, str) else None for x, y in zip(a, b, strict=True)]


NAME_SIMILARITIES = T.StructType([T.StructField(n, T.DoubleType()) for n in ("ff", "ll", "fl", "lf")])


@F.pandas_udf(NAME_SIMILARITIES)  # type: ignore[call-overload]
def name_similarities(first: pd.Series, last: pd.Series, other_first: pd.Series, other_last: pd.Series) -> pd.DataFrame:
    """Jaro-Winkler similarity (0..1; null when either side is null) of two records' names, straight (first/first
    `ff`, last/last `ll`) and crosswise (first/last `fl`, last/first `lf`), for a batch of pairs in one Python call.

    Spark's own `jaro_winkler` only exists from 4.3; the same measure written as Spark higher-order functions was
    50-100x slower than this UDF on 300k name pairs (docs/decisions.md).
    """
    return pd.DataFrame(
        {
            "ff": _jaro_winkler(first, other_first),
            "ll": _jaro_winkler(last, other_last),
            "fl": _jaro_winkler(first, other_last),
            "lf": _jaro_winkler(last, other_first),
        },
        dtype="float64",
    )


def name_helpers() -> tuple[tuple[str, Column], ...]:
    """Swap-aware name similarities, computed once per pair.

    Jaro-Winkler of the first and last names straight (first/first, last/last) and crosswise (first/last,
    last/first); the right record's names are read the other way round where the crosswise similarities sum higher
    and both are at least fuzzy agreement. Sources swap first and last name, and the swapped record may carry a typo
    too (Joshua Campbell / Campblel Josha), so an exact crosswise test alone misses it. Both crosswise names must be
    similar: one shared name alone (Paige Roberts / Gethin Roberts entered as "Roberts Paige") is not a swap.
    """
    lf, ll, rf, rl = l("m_first_key"), l("m_last_key"), r("m_first_key"), r("m_last_key")
    ff, fl, lf_, ll_ = (F.col(f"_jw.{c}") for c in ("ff", "fl", "lf", "ll"))
    swap = F.coalesce(((fl + lf_) > (ff + ll_)) & (F.least(fl, lf_) >= FUZZY), F.lit(False))
    return (
        ("_jw", name_similarities(lf, ll, rf, rl)),
        ("_swapped", swap),
        ("_right_first", F.when(F.col("_swapped"), rl).otherwise(rf)),
        ("_right_last", F.when(F.col("_swapped"), rf).otherwise(rl)),
        ("_jw_first", F.when(F.col("_swapped"), fl).otherwise(ff)),
        ("_jw_last", F.when(F.col("_swapped"), lf_).otherwise(ll_)),
    )


def comparisons() -> tuple[Comparison, ...]:
    """The comparisons udp scores, strongest level first."""
    # The right side's names (swap-aware) and the similarities are computed once per pair, as plain columns: inlined,
    # the swap test would be copied into every reference the Jaro-Winkler expression makes.
    rf, rl = F.col("_right_first"), F.col("_right_last")
    lf, ll = l("m_first_key"), l("m_last_key")
    names = name_helpers()
    jw_first, jw_last = F.col("_jw_first"), F.col("_jw_last")
    dob_digits_differ = F.levenshtein(F.date_format(l("m_dob"), "yyyyMMdd"), F.date_format(r("m_dob"), "yyyyMMdd"))
    return (
        Comparison(
            "first_name",
            lf.isNotNull() & rf.isNotNull(),
            (
                Level("exact", lf == rf),
                Level(
                    "nickname",
                    ~F.col("_swapped")
                    & F.arrays_overlap(l("m_first_forms"), F.coalesce(r("m_first_forms"), F.array())),
                ),
                Level("typo", jw_first >= 0.92),
                Level("fuzzy", (jw_first >= FUZZY) | (F.soundex(lf) == F.soundex(rf))),
                Level(
                    "initial",
                    ((F.length(lf) == 1) | (F.length(rf) == 1)) & (F.substring(lf, 1, 1) == F.substring(rf, 1, 1)),
                ),
            ),
            names,
        ),
        Comparison(
            "last_name",
            ll.isNotNull() & rl.isNotNull(),
            (
                Level("exact", ll == rl),
                Level("typo", jw_last >= 0.92),
                Level("fuzzy", (jw_last >= FUZZY) | (F.soundex(ll) == F.soundex(rl))),
            ),
            names,
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
                # The same house on the same street under another postcode: a typo in the postcode, or a
                # street name that recurs across towns (EM weighs which).
                Level("street", (l("m_house") == r("m_house")) & (F.levenshtein(l("m_address"), r("m_address")) <= 3)),
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
