"""Customer records the systems hold: CRM members, ecom accounts and support tickets, each tied to a person.

Per record: how its name is spelt, which of its person's identifiers it shows degraded (only ever the person's weak
piece), when it was created and whether a later delta changes it. Renderers turn these codes into text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V
from udp.generate.contacts import WEAK_ADDRESS, WEAK_EMAIL, WEAK_NONE, WEAK_PHONE
from udp.generate.ids import CARD_SPACE, CRM_ID_BASE, CRM_ID_SPACE, affine, mix40
from udp.generate.sampling import cdf

# Record-level field modes.
EMAIL_OK, EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER = 0, 1, 2, 3
PHONE_OK, PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE = 0, 1, 2, 3
ADDR_OK, ADDR_MOVED, ADDR_MISSING = 0, 1, 2
UPDATE_MOVED, UPDATE_EMAIL, UPDATE_PHONE = 0, 1, 2
# Name variants: how a system spells a person's name.
NAME_CANON, NAME_TYPO, NAME_NICK, NAME_SWAP, NAME_MERGE, NAME_UPPER, NAME_LOWER, NAME_SPACES = range(8)

TITLES: tuple[str, ...] = ("Mr", "Mrs", "Ms", "Miss", "Dr")

SamplesItems = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class CrmMembers:
    """Per CRM record (a member, or a duplicate of one): ids, card, dates (epoch seconds), codes and update."""

    person: np.ndarray
    dup: np.ndarray
    id: np.ndarray
    card: np.ndarray
    join_day: np.ndarray
    created: np.ndarray
    updated: np.ndarray
    title: np.ndarray  # index into TITLES, -1: none
    tier: np.ndarray
    gender: np.ndarray  # 0 F, 1 M, 2 U
    name_var: np.ndarray
    salt: np.ndarray
    email_mode: np.ndarray
    phone_mode: np.ndarray
    addr_mode: np.ndarray
    upd_day: np.ndarray  # -1: never updated
    upd_kind: np.ndarray
    upd_ts: np.ndarray
    till_cdf: np.ndarray  # which member shows a loyalty card at a till, by the person's in-store activity


@dataclass(frozen=True)
class EcomAccounts:
    """Per ecom account (a person's first, or a second one): ids, dates (epoch seconds), codes and update."""

    person: np.ndarray
    second: np.ndarray
    id: np.ndarray
    signup_day: np.ndarray
    signup: np.ndarray
    updated: np.ndarray
    closed: np.ndarray
    consent_email: np.ndarray
    consent_sms: np.ndarray
    name_var: np.ndarray
    salt: np.ndarray
    line2: np.ndarray  # none, "Flat n", "Apartment n", junk
    email_mode: np.ndarray
    phone_mode: np.ndarray
    addr_mode: np.ndarray
    upd_day: np.ndarray  # -1: never updated
    upd_kind: np.ndarray
    upd_ts: np.ndarray
    person_acc1: np.ndarray  # per person: their first account, -1: none
    person_acc2: np.ndarray  # per person: their second account, -1: none


@dataclass(frozen=True)
class SupportTickets:
    """Per ticket, sorted by (day, second, person): who raised it, when, about what, and how it spells them."""

    person: np.ndarray
    day: np.ndarray
    sec: np.ndarray
    id: np.ndarray
    channel: np.ndarray
    subject: np.ndarray
    has_sku: np.ndarray
    sku: np.ndarray
    name_var: np.ndarray
    title: np.ndarray
    salt: np.ndarray
    email_mode: np.ndarray
    phone_mode: np.ndarray
    day_start: np.ndarray  # per day: first ticket of the day (days + 1 entries)


# --------------------------------------------------------------------------------------------------------------------
# Per-record draws shared by the three systems
# --------------------------------------------------------------------------------------------------------------------


def _name_variants(rng: np.random.Generator, size: int, probs: dict[int, float]) -> np.ndarray:
    codes = np.array([NAME_CANON, *probs], dtype=np.int64)
    p = np.array([1.0 - sum(probs.values()), *probs.values()])
    return rng.choice(codes, p=p, size=size)


def _degrade(
    rng: np.random.Generator, weak_of: np.ndarray, weak: int, prob: float, *, modes: list[int], p: list[float]
) -> np.ndarray:
    """Per record: 0 (keep) or one of `modes` when its person's weak piece (`weak_of`) is `weak`, with probability
    `prob`."""
    hit = (weak_of == weak) & (rng.random(weak_of.shape[0]) < prob)
    chosen = rng.choice(np.array(modes), p=np.array(p) / sum(p), size=weak_of.shape[0])
    return np.where(hit, chosen, 0)


def _join_days(rng: np.random.Generator, size: int, in_period_share: float, days: int) -> np.ndarray:
    if days < 2:
        return np.zeros(size, dtype=np.int64)
    in_period = rng.random(size) < in_period_share
    return np.where(in_period, rng.integers(1, days, size), 0)


def _created(
    rng: np.random.Generator, join_day: np.ndarray, years: int, day_epoch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(created, updated) epoch seconds: before the period for day-0 records, on the join day otherwise."""
    size = join_day.shape[0]
    day0_s = int(day_epoch[0]) * 86400
    before = day0_s - rng.integers(86_400, years * 365 * 86_400, size)
    on_day = day_epoch[join_day] * 86_400 + rng.integers(7 * 3600, 23 * 3600, size)
    created = np.where(join_day == 0, before, on_day)
    updated = np.where(join_day == 0, created + (rng.random(size) * (day0_s - 1 - created)), created)
    return created.astype(np.int64), updated.astype(np.int64)


def _updates(
    rng: np.random.Generator, eligible: np.ndarray, join_day: np.ndarray, share: float, day_epoch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(update day or -1, kind, epoch seconds): changes land in a later delta; only for clean records."""
    size, days = eligible.shape[0], day_epoch.shape[0]
    day = np.full(size, -1, dtype=np.int64)
    lo = join_day + 1
    pick = eligible & (rng.random(size) < share) & (lo < days)
    day[pick] = lo[pick] + (rng.random(int(pick.sum())) * (days - lo[pick])).astype(np.int64)
    kind = rng.choice(np.array([UPDATE_MOVED, UPDATE_EMAIL, UPDATE_PHONE]), p=[0.4, 0.3, 0.3], size=size)
    ts = day_epoch[np.maximum(day, 0)] * 86_400 + rng.integers(7 * 3600, 23 * 3600, size)
    return day, kind, ts


# --------------------------------------------------------------------------------------------------------------------
# The three systems
# --------------------------------------------------------------------------------------------------------------------


def draw_crm(
    rng: np.random.Generator, male: np.ndarray, weak: np.ndarray, pos_w: np.ndarray, day_epoch: np.ndarray
) -> CrmMembers:
    """60% of persons are loyalty members; 3% of members are on file twice (a duplicate joining no earlier)."""
    n, days = male.shape[0], day_epoch.shape[0]
    members = np.flatnonzero(rng.random(n) < 0.60)
    dup_of = np.flatnonzero(rng.random(members.shape[0]) < 0.03)
    person = np.concatenate([members, members[dup_of]])
    r = person.shape[0]
    dup = np.arange(r) >= members.shape[0]
    crm_id = CRM_ID_BASE + affine(rng.permutation(r), 7_919_993, 31_337, CRM_ID_SPACE)
    card = affine(rng.permutation(r), 982_451_653, 77_777, CARD_SPACE)
    join = _join_days(rng, r, 0.04, days)
    dup_join = np.maximum(join[dup_of], join[members.shape[0] :])
    join[members.shape[0] :] = dup_join
    created, updated = _created(rng, join, 12, day_epoch)
    is_male = male[person]
    female_title = rng.choice(np.array([1, 2, 3]), p=[0.45, 0.3, 0.25], size=r)
    title = np.where(is_male, 0, female_title)
    title = np.where(rng.random(r) < 0.03, 4, title)
    title = np.where(rng.random(r) < 0.22, -1, title)
    tier = np.asarray(rng.choice(3, p=[0.6, 0.3, 0.1], size=r))
    gender = np.where(rng.random(r) < 0.05, 2, is_male.astype(np.int64))
    probs = {NAME_TYPO: 0.04, NAME_NICK: 0.08, NAME_SWAP: 0.01, NAME_UPPER: 0.015, NAME_LOWER: 0.01}
    probs[NAME_SPACES] = 0.02
    name_var = _name_variants(rng, r, probs)
    dup_probs = {NAME_TYPO: 0.15, NAME_NICK: 0.35, NAME_UPPER: 0.1, NAME_LOWER: 0.1, NAME_SPACES: 0.05}
    name_var[dup] = _name_variants(rng, int(dup.sum()), dup_probs)
    salt = np.asarray(rng.integers(0, 2**32, r, dtype=np.int64))
    weak_of = weak[person]
    email_mode = _degrade(
        rng, weak_of, WEAK_EMAIL, 0.75, modes=[EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER], p=[0.55, 0.12, 0.33]
    )
    phone_mode = _degrade(
        rng, weak_of, WEAK_PHONE, 0.8, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.55, 0.1, 0.35]
    )
    addr_mode = _degrade(rng, weak_of, WEAK_ADDRESS, 0.5, modes=[ADDR_MOVED], p=[1.0])
    eligible = ~dup & (weak_of == WEAK_NONE)
    upd_day, upd_kind, upd_ts = _updates(rng, eligible, join, 0.001 * max(days - 1, 1), day_epoch)
    return CrmMembers(
        person=person,
        dup=dup,
        id=crm_id,
        card=card,
        join_day=join,
        created=created,
        updated=updated,
        title=title,
        tier=tier,
        gender=gender,
        name_var=name_var,
        salt=salt,
        email_mode=email_mode,
        phone_mode=phone_mode,
        addr_mode=addr_mode,
        upd_day=upd_day,
        upd_kind=upd_kind,
        upd_ts=upd_ts,
        till_cdf=cdf(pos_w[person]),
    )


def draw_ecom(rng: np.random.Generator, weak: np.ndarray, day_epoch: np.ndarray) -> EcomAccounts:
    """70% of persons hold an account; 2% of holders open a second one (often closed, with another email)."""
    n, days = weak.shape[0], day_epoch.shape[0]
    holders = np.flatnonzero(rng.random(n) < 0.70)
    second_of = np.flatnonzero(rng.random(holders.shape[0]) < 0.02)
    person = np.concatenate([holders, holders[second_of]])
    a = person.shape[0]
    second = np.arange(a) >= holders.shape[0]
    account_id = mix40(rng.permutation(a))
    join = _join_days(rng, a, 0.03, days)
    join[holders.shape[0] :] = np.maximum(join[second_of], _join_days(rng, second_of.shape[0], 0.2, days))
    signup, updated = _created(rng, join, 8, day_epoch)
    closed: np.ndarray = np.where(second, rng.random(a) < 0.2, rng.random(a) < 0.005)
    consent_email = np.asarray(rng.random(a) < 0.6)
    consent_sms = np.asarray(rng.random(a) < 0.3)
    probs = {NAME_TYPO: 0.04, NAME_NICK: 0.08, NAME_SWAP: 0.01, NAME_MERGE: 0.01, NAME_UPPER: 0.01}
    probs.update({NAME_LOWER: 0.03, NAME_SPACES: 0.02})
    name_var = _name_variants(rng, a, probs)
    salt = np.asarray(rng.integers(0, 2**32, a, dtype=np.int64))
    line2 = np.asarray(rng.choice(4, p=[0.82, 0.1, 0.07, 0.01], size=a))
    weak_of = weak[person]
    email_mode = _degrade(
        rng, weak_of, WEAK_EMAIL, 0.6, modes=[EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER], p=[0.3, 0.15, 0.55]
    )
    email_mode[second & (email_mode == EMAIL_OK) & (weak_of == WEAK_EMAIL)] = EMAIL_OTHER
    phone_mode = _degrade(
        rng, weak_of, WEAK_PHONE, 0.7, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.6, 0.15, 0.25]
    )
    addr_mode = _degrade(rng, weak_of, WEAK_ADDRESS, 0.7, modes=[ADDR_MOVED, ADDR_MISSING], p=[0.5, 0.5])
    eligible = ~second & (weak_of == WEAK_NONE)
    upd_day, upd_kind, upd_ts = _updates(rng, eligible, join, 0.001 * max(days - 1, 1), day_epoch)
    person_acc1 = np.full(n, -1, dtype=np.int64)
    person_acc1[holders] = np.arange(holders.shape[0])
    person_acc2 = np.full(n, -1, dtype=np.int64)
    person_acc2[holders[second_of]] = holders.shape[0] + np.arange(second_of.shape[0])
    return EcomAccounts(
        person=person,
        second=second,
        id=account_id,
        signup_day=join,
        signup=signup,
        updated=updated,
        closed=closed,
        consent_email=consent_email,
        consent_sms=consent_sms,
        name_var=name_var,
        salt=salt,
        line2=line2,
        email_mode=email_mode,
        phone_mode=phone_mode,
        addr_mode=addr_mode,
        upd_day=upd_day,
        upd_kind=upd_kind,
        upd_ts=upd_ts,
        person_acc1=person_acc1,
        person_acc2=person_acc2,
    )


def one_update_per_person(crm: CrmMembers, ecom: EcomAccounts) -> EcomAccounts:
    """A person changes in at most one record, so their other records keep agreeing on the other pieces: an ecom
    update is dropped when the person's CRM record changes."""
    crm_changed = np.zeros(ecom.person_acc1.shape[0], dtype=bool)
    crm_changed[crm.person[crm.upd_day >= 0]] = True
    clash = (ecom.upd_day >= 0) & crm_changed[ecom.person]
    upd_day = ecom.upd_day.copy()
    upd_day[clash] = -1
    return dataclasses.replace(ecom, upd_day=upd_day)


def draw_support(
    rng: np.random.Generator, weak: np.ndarray, day_epoch: np.ndarray, sample_items: SamplesItems
) -> SupportTickets:
    """10% of persons raise one to three tickets over the period, some about an item they were after."""
    n, days = weak.shape[0], day_epoch.shape[0]
    raisers = np.flatnonzero(rng.random(n) < 0.10)
    count = rng.choice(np.array([1, 2, 3]), p=[0.85, 0.12, 0.03], size=raisers.shape[0])
    person = np.repeat(raisers, count)
    t = person.shape[0]
    day = rng.integers(0, days, t)
    sec = rng.integers(8 * 3600, 20 * 3600, t)
    order = np.lexsort((person, sec, day))
    person, day, sec = person[order], day[order], sec[order]
    channel: np.ndarray = rng.integers(0, len(V.SUPPORT_CHANNELS), t)
    subject: np.ndarray = rng.integers(0, len(V.SUPPORT_SUBJECTS), t)
    has_sku: np.ndarray = rng.random(t) < 0.6
    sku = sample_items(person, 0, rng)
    probs = {NAME_TYPO: 0.06, NAME_NICK: 0.12, NAME_SWAP: 0.01, NAME_MERGE: 0.01, NAME_UPPER: 0.05}
    probs.update({NAME_LOWER: 0.07, NAME_SPACES: 0.04})
    name_var = _name_variants(rng, t, probs)
    title: np.ndarray = rng.random(t) < 0.15
    salt = np.asarray(rng.integers(0, 2**32, t, dtype=np.int64))
    weak_of = weak[person]
    email_mode = _degrade(rng, weak_of, WEAK_EMAIL, 0.5, modes=[EMAIL_MISSING, EMAIL_JUNK], p=[0.8, 0.2])
    phone_mode = _degrade(
        rng, weak_of, WEAK_PHONE, 0.6, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.6, 0.1, 0.3]
    )
    return SupportTickets(
        person=person,
        day=day,
        sec=sec,
        id=10_000_001 + np.arange(t),
        channel=channel,
        subject=subject,
        has_sku=has_sku,
        sku=sku,
        name_var=name_var,
        title=title,
        salt=salt,
        email_mode=email_mode,
        phone_mode=phone_mode,
        day_start=np.searchsorted(day, np.arange(days + 1), side="left"),
    )
