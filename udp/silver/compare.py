"""Comparison levels: how two records agree on each attribute, as an ordered list of levels (strongest first).

A pair frame has every match key twice, `l_<key>` and `r_<key>`. Each comparison adds `c_<name>`: -1 when either side
is null (no evidence either way), otherwise the index of the first level whose condition holds; the last level is
`else` (clear disagreement). Correlated attributes are one comparison (house number, street and postcode are one
`address`), because Fellegi-Sunter adds evidence as if comparisons were independent.

Only Spark built-ins are used (levenshtein, soundex, arrays_overlap), so comparisons run at codegen speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Transform = Callable[[DataFrame], DataFrame]
NULL = -1


@dataclass(frozen=True)
class Level:
    label: str
    condition: Column


@dataclass(frozen=True)
class Comparison:
    """One attribute: `present` says both sides have a value; `levels` are tried in order, `else` is implied."""

    name: str
    present: Column
    levels: tuple[Level, ...]

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


def _first(side: Callable[[str], Column]) -> Column:
    return side("m_first_key")


def right_first() -> Column:
    return F.when(F.coalesce(swapped(), F.lit(False)), r("m_last_key")).otherwise(r("m_first_key"))


def right_last() -> Column:
    return F.when(F.coalesce(swapped(), F.lit(False)), r("m_first_key")).otherwise(r("m_last_key"))


def comparisons() -> tuple[Comparison, ...]:
    """The comparisons udp scores, strongest level first."""
    rf, rl = right_first(), right_last()
    lf, ll = l("m_first_key"), l("m_last_key")
    longest_first = F.greatest(F.length(lf), F.length(rf))
    longest_last = F.greatest(F.length(ll), F.length(rl))
    return (
        Comparison(
            "first_name",
            lf.isNotNull() & rf.isNotNull(),
            (
                Level("exact", lf == rf),
                Level("nickname", F.arrays_overlap(l("m_first_forms"), F.coalesce(r("m_first_forms"), F.array()))),
                Level("typo", F.levenshtein(lf, rf) <= 1),
                Level(
                    "fuzzy",
                    ((F.levenshtein(lf, rf) <= 2) & (longest_first >= 6)) | (F.soundex(lf) == F.soundex(rf)),
                ),
                Level(
                    "initial",
                    ((F.length(lf) == 1) | (F.length(rf) == 1)) & (F.substring(lf, 1, 1) == F.substring(rf, 1, 1)),
                ),
            ),
        ),
        Comparison(
            "last_name",
            ll.isNotNull() & rl.isNotNull(),
            (
                Level("exact", ll == rl),
                Level("typo", F.levenshtein(ll, rl) <= 1),
                Level("fuzzy", ((F.levenshtein(ll, rl) <= 2) & (longest_last >= 6)) | (F.soundex(ll) == F.soundex(rl))),
            ),
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
                Level(
                    "typo",
                    F.levenshtein(F.date_format(l("m_dob"), "yyyyMMdd"), F.date_format(r("m_dob"), "yyyyMMdd")) <= 1,
                ),
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
    )


def with_comparison_levels(items: tuple[Comparison, ...]) -> Transform:
    """Add `c_<name>` level columns to a pair frame."""

    def transform(pairs: DataFrame) -> DataFrame:
        return pairs.withColumns({f"c_{c.name}": c.level() for c in items})

    return transform
