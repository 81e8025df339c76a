"""The local runtime's filter expressions (the common subset of Personalize's language)."""

from __future__ import annotations

import numpy as np
import pytest

from udp.personalize.backends.local.filters import (
    FilterContext,
    FilterValueError,
    UnsupportedFilterError,
    allowed_items,
)

CTX = FilterContext(
    item_ids=["i1", "i2", "i3", "i4"],
    attributes={
        "CATEGORY": {"i1": "shoes", "i2": "shoes|sale", "i3": "hats", "i4": None},
        "PRICE": {"i1": 10.0, "i2": 50.0, "i3": 5.0, "i4": None},
    },
    user_events={"Purchase": {"i1"}, "View": {"i2", "i3"}},
)


def allowed(expression: str, values: dict[str, str] | None = None) -> list[str]:
    mask = allowed_items(expression, values or {}, CTX)
    return [i for i, ok in zip(CTX.item_ids, mask.tolist(), strict=True) if ok]


def test_exclude_the_users_purchases() -> None:
    assert allowed('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")') == ["i2", "i3", "i4"]
    assert allowed('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")') == ["i4"]


def test_include_by_item_attribute_with_multi_values_and_parameters() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.CATEGORY IN ("sale")') == ["i2"]
    assert allowed("INCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)", {"CAT": '"hats","shoes"'}) == ["i1", "i2", "i3"]
    assert allowed('INCLUDE ItemID WHERE Items.CATEGORY NOT IN ("shoes")') == ["i3", "i4"]


def test_numeric_conditions_and_chained_clauses() -> None:
    assert allowed("INCLUDE ItemID WHERE Items.PRICE < 20") == ["i1", "i3"]
    expression = 'INCLUDE ItemID WHERE Items.PRICE >= $MIN | EXCLUDE ItemID WHERE Items.CATEGORY IN ("sale")'
    assert allowed(expression, {"MIN": "6"}) == ["i1"]
    assert allowed('INCLUDE ItemID WHERE Items.PRICE > 1 AND Items.CATEGORY IN ("shoes")') == ["i1", "i2"]


def test_missing_parameters_skip_exclude_and_fail_include() -> None:
    assert allowed("EXCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)") == ["i1", "i2", "i3", "i4"]
    with pytest.raises(FilterValueError, match=r"\$CAT is required"):
        allowed("INCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)")


def test_expressions_outside_the_local_subset_say_so() -> None:
    with pytest.raises(UnsupportedFilterError, match="cannot evaluate"):
        allowed("INCLUDE ItemID WHERE Items.PRICE > 1 IF CurrentUser.AGE > 30")
    with pytest.raises(UnsupportedFilterError):
        allowed('EXCLUDE UserID WHERE Users.AGE IN ("1")')


def test_mask_is_boolean_per_item() -> None:
    assert allowed_items("INCLUDE ItemID WHERE Items.PRICE > 1", {}, CTX).dtype == np.bool_
