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
MISSING = "missing"  # the label of NULL: a side lacks the value (a compound guard may name it)
FUZZY = 0.8  # Jaro-Winkler of a `fuzzy` name; both crosswise names at least this similar to read a swap


# Every comparison's levels, strongest first (`else`, a clear disagreement, is implied): the names and labels that
# configuration refers to (matching.guards, corroboration, compound_guards, training.fixed_m / fixed_u), known before
# Spark starts. The one place labels are written: `comparisons()` gives each label here its condition, in this order,
# and a Comparison whose levels differ is refused when it is built.
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


def level_problem(
    known: Mapping[str, Sequence[str]], name: str, labels: Sequence[str], key: str, *, allow_missing: bool = False
) -> str | None:
    """What is wrong with naming levels `labels` of comparison `name` (`known`: comparison -> its labels) under
    `key`, or None; with `allow_missing`, `missing` (a side lacks the value) may be named too."""
    if name not in known:
        return f"{key}: unknown comparison {name!r}; comparisons: {', '.join(known)}"
    allowed = (*known[name], MISSING) if allow_missing else tuple(known[name])
    unknown = [label for label in labels if label not in allowed]
    if unknown:
        return f"{key}.{name}: unknown level(s) {', '.join(unknown)}; levels: {', '.join(allowed)}"
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
    """The comparisons udp scores, one per entry of `LEVELS` and in its order, strongest level first."""
    names = name_helpers()
    return (
        _first_name(names),
        _last_name(names),
        # Only exact agreement: local parts are mostly built from the name (anthony.carter@ at two providers is
        # often two Anthony Carters), so partial email agreement would count the name twice.
        _comparison("email", both("m_email"), l("m_email") == r("m_email")),
        _phone(),
        _date_of_birth(),
        _address(),
        # Exact only: a government or account identifier with one digit wrong is another identifier.
        _comparison("national_id", both("m_national_id"), l("m_national_id") == r("m_national_id")),
    )


def _comparison(
    name: str, present: Column, *conditions: Column, helpers: tuple[tuple[str, Column], ...] = ()
) -> Comparison:
    """Comparison `name` whose levels are `conditions`, labelled in order by `LEVELS[name]` (one condition each)."""
    levels = tuple(Level(label, c) for label, c in zip(LEVELS[name], conditions, strict=True))
    return Comparison(name, present, levels, helpers)


# Each builder below gives `_comparison` one condition per label of `LEVELS[name]`, in that order. The name builders
# read the right side's names (swap-aware) and the similarities from `name_helpers`' columns, computed once per pair:
# inlined, the swap test would be copied into every reference the Jaro-Winkler makes.


def _first_name(names: tuple[tuple[str, Column], ...]) -> Comparison:
    lf, rf, jw = l("m_first_key"), F.col("_right_first"), F.col("_jw_first")
    return _comparison(
        "first_name",
        lf.isNotNull() & rf.isNotNull(),
        lf == rf,
        ~F.col("_swapped") & F.arrays_overlap(l("m_first_forms"), F.coalesce(r("m_first_forms"), F.array())),
        jw >= 0.92,
        (jw >= FUZZY) | (F.soundex(lf) == F.soundex(rf)),
        ((F.length(lf) == 1) | (F.length(rf) == 1)) & (F.substring(lf, 1, 1) == F.substring(rf, 1, 1)),
        helpers=names,
    )


def _last_name(names: tuple[tuple[str, Column], ...]) -> Comparison:
    ll, rl, jw = l("m_last_key"), F.col("_right_last"), F.col("_jw_last")
    return _comparison(
        "last_name",
        ll.isNotNull() & rl.isNotNull(),
        ll == rl,
        jw >= 0.92,
        (jw >= FUZZY) | (F.soundex(ll) == F.soundex(rl)),
        helpers=names,
    )


def _phone() -> Comparison:
    same = l("m_phone") == r("m_phone")
    return _comparison("phone", both("m_phone"), same & l("m_phone_mobile").isNotNull(), same, lev("m_phone") <= 1)


def _date_of_birth() -> Comparison:
    left, right = l("m_dob"), r("m_dob")
    digits_differ = F.levenshtein(F.date_format(left, "yyyyMMdd"), F.date_format(right, "yyyyMMdd"))
    return _comparison(
        "date_of_birth",
        both("m_dob"),
        left == right,
        (F.year(left) == F.year(right))
        & (F.month(left) == F.dayofmonth(right))
        & (F.dayofmonth(left) == F.month(right)),
        # The same eight digits (yyyyMMdd) but one wrong, then two (a transposed year: 1985 / 1958).
        digits_differ <= 1,
        digits_differ <= 2,
    )


def _address() -> Comparison:
    same_postcode, same_house = l("m_postcode") == r("m_postcode"), l("m_house") == r("m_house")
    same_street = F.levenshtein(l("m_address"), r("m_address")) <= 3
    return _comparison(
        "address",
        both("m_postcode"),
        same_postcode & same_house & same_street,
        same_postcode,
        # The same house on the same street under another postcode: a typo in the postcode, or a street name that
        # recurs across towns (EM weighs which).
        same_house & same_street,
        l("m_outward") == r("m_outward"),
    )


def with_comparison_levels(items: tuple[Comparison, ...]) -> Transform:
    """Add `c_<name>` level columns to a pair frame."""

    def transform(pairs: DataFrame) -> DataFrame:
        helpers = {name: column for c in items for name, column in c.helpers}
        for name, column in helpers.items():  # one projection each: a helper may read the one before
            pairs = pairs.withColumn(name, column)
        return pairs.withColumns({f"c_{c.name}": c.level() for c in items}).drop(*helpers)

    return transform
