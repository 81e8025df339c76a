"""Deterministic Personalize resource names within the service's pattern and length."""

from __future__ import annotations

import re

from udp.settings.names import NAME_MAX, name_problem, resource_name

PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")


def test_names_join_parts_and_replace_characters_personalize_rejects() -> None:
    assert resource_name("udp-retail", "interactions", "2026-04-01T00:00:00.5Z") == (
        "udp-retail-interactions-2026-04-01T00-00-00-5Z"
    )


def test_long_names_are_cut_to_63_with_a_stable_hash_suffix() -> None:
    a = resource_name("udp-retail", "user-personalization", "snapshot-" + "x" * 60)
    b = resource_name("udp-retail", "user-personalization", "snapshot-" + "x" * 60)
    c = resource_name("udp-retail", "user-personalization", "snapshot-" + "x" * 59 + "y")
    assert a == b != c
    assert len(a) == NAME_MAX
    assert PATTERN.fullmatch(a)
    assert name_problem(a) is None


def test_name_problem_explains_what_is_wrong() -> None:
    assert name_problem("") == "is empty"
    assert "at most 63" in str(name_problem("a" * 64))
    assert "must match" in str(name_problem("_x"))
    assert name_problem("ok_name-1") is None
