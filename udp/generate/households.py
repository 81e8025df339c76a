"""Households: persons living together, who share an address, often a surname, sometimes a landline or one email.

Settling persons into households is the one step that edits persons after they are drawn: members take their head's
addresses, most take the head's surname, twins share a birthday, and no member shares a first name with the head
or the member drawn before them (so a household of four can hold two people of one name, as namesakes do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from udp.generate.ids import affine
from udp.generate.people import FEMALE_CDF, FIRST_ASCII, MALE_CDF, N_FEMALE, People
from udp.generate.sampling import draw

HOUSEHOLD_SHARE = 0.30  # of persons living in a household of two to four


@dataclass(frozen=True)
class Households:
    """Per household: landline (-1: none) and whether members share a family email; the same seen per person."""

    count: int
    twins: int  # households with twins
    landline: np.ndarray
    family: np.ndarray
    person_household: np.ndarray  # -1: the person lives alone
    person_landline: np.ndarray
    person_family: np.ndarray


def settle_households(rng: np.random.Generator, people: People) -> Households:
    """Draw households and move their members in together (edits `people` in place, see the module docstring)."""
    n = people.male.shape[0]
    members, hh, first_member, h = _group(rng, n)
    head = members[first_member[hh]] if h else members
    _share_home(rng, people, members, head)
    # A first name different from the head's and the previous member's (twins: a different initial too).
    rank = np.arange(members.shape[0]) - first_member[hh]
    prev = np.where(rank > 0, np.roll(members, 1), members)
    twins_hh = rng.random(h) < 0.005
    twin = (rank == 1) & twins_hh[hh]
    people.dob[members[twin]] = people.dob[prev[twin]]
    people.last[members[twin]] = people.last[prev[twin]]
    people.addr[members[twin]] = people.addr[prev[twin]]
    _distinct_first_names(rng, people, members, head=head, prev=prev, twin=twin)
    landline = np.where(rng.random(h) < 0.6, affine(np.arange(h), 7_654_321, 123_457, 10**9), -1)
    family: np.ndarray = rng.random(h) < 0.01
    person_household = np.full(n, -1, dtype=np.int64)
    person_household[members] = hh
    return Households(
        count=h,
        twins=int(twins_hh.sum()),
        landline=landline,
        family=family,
        person_household=person_household,
        person_landline=np.where(person_household >= 0, landline[np.maximum(person_household, 0)], -1),
        person_family=(person_household >= 0) & family[np.maximum(person_household, 0)],
    )


def _group(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(members, their household, each household's first position in members, number of households)."""
    perm = rng.permutation(n)
    sizes = rng.choice(np.array([2, 3, 4]), p=[0.5, 0.3, 0.2], size=max(int(HOUSEHOLD_SHARE * n) // 2, 1))
    ends = np.cumsum(sizes)
    h = int(np.searchsorted(ends, int(HOUSEHOLD_SHARE * n), side="right"))
    sizes, ends = sizes[:h], ends[:h]
    members = perm[: int(ends[-1])] if h else np.zeros(0, dtype=np.int64)
    hh = np.repeat(np.arange(h), sizes)
    return members, hh, ends - sizes, h


def _share_home(rng: np.random.Generator, people: People, members: np.ndarray, head: np.ndarray) -> None:
    people.addr[members] = people.addr[head]
    people.alt_addr[members] = people.alt_addr[head]
    not_head = members != head
    same_surname = not_head & (rng.random(members.shape[0]) < 0.8)
    people.last[members[same_surname]] = people.last[head[same_surname]]


def _distinct_first_names(
    rng: np.random.Generator,
    people: People,
    members: np.ndarray,
    *,
    head: np.ndarray,
    prev: np.ndarray,
    twin: np.ndarray,
) -> None:
    """Redraw (up to 8 times) a member's first name while it equals the head's or the previous member's, or while a
    twin shares an initial with their twin."""
    first = people.first
    not_head = members != head
    initial = np.array([s[0] for s in FIRST_ASCII])
    for _ in range(8):
        clash = not_head & ((first[members] == first[head]) | (first[members] == first[prev]))
        clash |= twin & (initial[first[members]] == initial[first[prev]])
        if not clash.any():
            break
        who = members[clash]
        male = people.male[who]
        first[who] = np.where(
            male,
            N_FEMALE + draw(MALE_CDF, rng, who.shape[0]),
            draw(FEMALE_CDF, rng, who.shape[0]),
        )
