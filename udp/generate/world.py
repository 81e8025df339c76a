"""The generated world: persons, items, accounts, devices and every per-record decision, as numpy arrays.

Everything here is drawn once from the seed, before any file is written, so that each (source, day) task can
render its file from the same facts in any process and in any order. Arrays are bounded by the number of
persons and items, never by the number of events. Random streams are `default_rng([seed, source, day, chunk])`;
the world itself uses source 0 with one "day" number per component.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from udp.generate import vocab as V
from udp.generate.text import EPOCH

SOURCES: tuple[str, ...] = ("crm", "ecom", "oms", "pos", "clickstream", "support", "erp", "thirdparty")
SOURCE_INDEX: dict[str, int] = {"world": 0, **{name: i + 1 for i, name in enumerate(SOURCES)}}

DEFECTS: dict[str, tuple[str, ...]] = {
    "crm": ("malformed_row", "bad_date"),
    "ecom": ("malformed_json",),
    "oms": ("negative_quantity", "unknown_sku"),
    "pos": ("negative_quantity", "unknown_sku", "bad_timestamp", "malformed_row"),
    "clickstream": ("malformed_json", "unknown_sku", "bad_timestamp"),
    "support": ("invalid_utf8",),
    "erp": ("negative_price",),
}
BAD_SHARE = 0.0015  # planted bad records per valid record, per source (split over its defect kinds)
FORCED_PER_KIND = 3  # at least this many of each defect kind, whatever the scale

# Behaviour rates per person per day (scaled by a day-of-week factor).
WEB_SESSIONS_PER_PERSON = 0.085
VISITOR_SESSIONS_PER_PERSON = 0.02
MEAN_BROWSE_EVENTS = 7.0
POS_TX_PER_PERSON = 0.012
CHUNK_ROWS = 180_000
DOW_WEB = (0.95, 0.92, 0.93, 0.97, 1.02, 1.10, 1.12)  # Monday..Sunday
DOW_POS = (0.85, 0.85, 0.88, 0.95, 1.08, 1.35, 1.04)

# Person-level "weak piece": the one identifier that may disagree between a person's records.
WEAK_NONE, WEAK_EMAIL, WEAK_PHONE, WEAK_ADDRESS = 0, 1, 2, 3
# Record-level field modes.
EMAIL_OK, EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER = 0, 1, 2, 3
PHONE_OK, PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE = 0, 1, 2, 3
ADDR_OK, ADDR_MOVED, ADDR_MISSING = 0, 1, 2
UPDATE_MOVED, UPDATE_EMAIL, UPDATE_PHONE = 0, 1, 2
# Name variants: how a system spells a person's name.
NAME_CANON, NAME_TYPO, NAME_NICK, NAME_SWAP, NAME_MERGE, NAME_UPPER, NAME_LOWER, NAME_SPACES = range(8)

TITLES: tuple[str, ...] = ("Mr", "Mrs", "Ms", "Miss", "Dr")
DEVICE_TYPES: tuple[str, ...] = ("web", "ios", "android")

# Bijections that turn a record index into an id that looks random but can never collide.
CRM_ID_BASE, CRM_ID_SPACE, CRM_BAD_ID_BASE = 10_000_000, 80_000_000, 90_000_000
CARD_PREFIX, CARD_SPACE = "6339", 10**12
ACCOUNT_SPACE = 1 << 39  # valid account ids < 2**39; planted bad rows use ids above
MOBILE_SPACE = 600_000_000  # 07 + [4-9] + 8 digits
UNKNOWN_SKU_LIMIT = 9_000_000  # unknown SKUs are drawn from (skus, 9_000_000); bad ERP rows use 9_000_000+
MAX_SKUS = 5_000_000
MAX_CUSTOMERS = 5_000_000


@dataclass(frozen=True)
class Params:
    """The arguments every output byte depends on."""

    customers: int
    skus: int
    days: int
    seed: int
    end_date: dt.date

    @property
    def day0(self) -> dt.date:
        return self.end_date - dt.timedelta(days=self.days - 1)

    def date(self, day: int) -> dt.date:
        return self.day0 + dt.timedelta(days=day)


def rng_for(params: Params, source: str, day: int, chunk: int) -> np.random.Generator:
    """The random stream of one (source, day, chunk): independent of every other, so work can be split freely."""
    return np.random.default_rng([params.seed, SOURCE_INDEX[source], day, chunk])


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijection on uint64 that scatters consecutive integers (used for ids that look random, never collide)."""
    z = np.asarray(x, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def affine(index: np.ndarray, mult: int, add: int, space: int) -> np.ndarray:
    """index -> (index * mult + add) mod space: a bijection on [0, space) when gcd(mult, space) == 1."""
    return (np.asarray(index, dtype=np.int64) * mult + add) % space


def _mix40(index: np.ndarray) -> np.ndarray:
    """A bijection on [0, 2**39) for account ids."""
    mask = ACCOUNT_SPACE - 1
    x = (np.asarray(index, dtype=np.int64) * 0x5DEECE66D + 0xB) & mask
    x ^= x >> 19
    return (x * 0x2545F491) & mask


def zipf_weights(n: int, exponent: float, offset: float) -> np.ndarray:
    return 1.0 / np.power(np.arange(1, n + 1, dtype=np.float64) + offset, exponent)


def cdf(weights: np.ndarray) -> np.ndarray:
    c = np.cumsum(np.asarray(weights, dtype=np.float64))
    return c / c[-1]


def draw(cum: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Indices drawn with probabilities given by a normalised cumulative array."""
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(cum) - 1)


def fold_accents(text: str) -> str:
    """Zoë -> Zoe, Łukasz -> Lukasz: plain ASCII letters where a decomposition or a known mapping exists."""
    special = {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "ß": "ss",
        "\u0131": "i",
        "Đ": "D",
        "đ": "d",
        "Æ": "AE",
        "æ": "ae",
    }
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in special:
            out.append(special[ch])
        else:
            out.append("".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)))
    return "".join(out)


def to_latin1(text: str) -> str:
    """Keep what latin-1 can encode (Zoë, Müller), transliterate the rest (Łukasz -> Lukasz, Dvořák -> Dvorák)."""
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return "".join(ch if ord(ch) < 256 else fold_accents(ch) for ch in text)


def email_token(text: str) -> str:
    return "".join(ch for ch in fold_accents(text).lower() if ch.isalnum())


class World:
    """All facts of one generated world. Build once per process; tasks only read it."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.n = params.customers
        self.m = params.skus
        self.days = params.days
        self.day_epoch = np.array([(params.date(d) - EPOCH).days for d in range(params.days)], dtype=np.int64)
        self.day0_s = int(self.day_epoch[0]) * 86400
        self._vocab()
        self._items()
        self._sampler()
        self._persons()
        self._households()
        self._contacts()
        self._preferences()
        self._crm()
        self._ecom()
        self._one_update_per_person()
        self._support()
        self._devices()
        self._stores()
        self._bad_plan()

    def rng(self, component: int) -> np.random.Generator:
        return rng_for(self.params, "world", component, 0)

    def day_s(self, day: int) -> int:
        """Epoch seconds of midnight UTC of a day of the period."""
        return int(self.day_epoch[day]) * 86400

    def weekday(self, day: int) -> int:
        return self.params.date(day).weekday()

    # ----------------------------------------------------------------------------------------------------------------
    # Vocabulary tables
    # ----------------------------------------------------------------------------------------------------------------

    def _vocab(self) -> None:
        self.first_names: list[str] = [*V.FEMALE_NAMES, *V.MALE_NAMES]
        self.n_female = len(V.FEMALE_NAMES)
        self.first_latin1 = [to_latin1(s) for s in self.first_names]
        self.first_ascii = [fold_accents(s) for s in self.first_names]
        self.nicknames: list[tuple[str, ...]] = [V.NICKNAMES.get(s, ()) for s in self.first_names]
        self.surnames: list[str] = list(V.SURNAMES)
        self.surname_latin1 = [to_latin1(s) for s in self.surnames]
        self.surname_ascii = [fold_accents(s) for s in self.surnames]
        self.female_cdf = cdf(zipf_weights(len(V.FEMALE_NAMES), 0.8, 6))
        self.male_cdf = cdf(zipf_weights(len(V.MALE_NAMES), 0.8, 6))
        self.surname_cdf = cdf(zipf_weights(len(V.SURNAMES), 0.9, 4))
        self.city_cdf = cdf(np.array([c[4] for c in V.CITIES], dtype=np.float64))
        self.city_districts = np.array([c[2] for c in V.CITIES], dtype=np.int64)
        self.provider_cdf = cdf(np.array([p[1] for p in V.EMAIL_PROVIDERS], dtype=np.float64))
        # Category tree flattened: leaves with their L2 and L1.
        self.l1_names: list[str] = list(V.CATEGORY_TREE)
        self.l2_names: list[str] = []
        self.l2_l1: list[int] = []
        self.leaf_label: list[str] = []
        self.leaf_noun: list[str] = []
        self.leaf_l2: list[int] = []
        self.leaf_path: list[str] = []
        for i1, (l1, l2s) in enumerate(V.CATEGORY_TREE.items()):
            for l2, leaves in l2s.items():
                self.l2_names.append(l2)
                self.l2_l1.append(i1)
                for label, noun in leaves:
                    self.leaf_label.append(label)
                    self.leaf_noun.append(noun)
                    self.leaf_l2.append(len(self.l2_names) - 1)
                    self.leaf_path.append(f"{l1} > {l2} > {label}")
        self.n_l1, self.n_l2, self.n_leaf = len(self.l1_names), len(self.l2_names), len(self.leaf_noun)
        self.leaf_l2_arr = np.array(self.leaf_l2, dtype=np.int64)
        self.l2_l1_arr = np.array(self.l2_l1, dtype=np.int64)
        self.brand_names: list[str] = [b[0] for b in V.BRANDS]
        self.brand_tier = np.array([b[2] for b in V.BRANDS], dtype=np.int64)
        self.n_brand = len(self.brand_names)
        # Brands selling in each L1, as a flat table with start offsets.
        per_l1 = [[i for i, b in enumerate(V.BRANDS) if l1 in b[1]] for l1 in self.l1_names]
        self.l1_brand_start = np.cumsum([0, *[len(x) for x in per_l1]]).astype(np.int64)
        self.l1_brands = np.array([b for x in per_l1 for b in x], dtype=np.int64)
        self.l2_start = np.zeros(self.n_l1 + 1, dtype=np.int64)
        for i1 in range(self.n_l1):
            self.l2_start[i1 + 1] = self.l2_start[i1] + self.l2_l1.count(i1)

    # ----------------------------------------------------------------------------------------------------------------
    # Items
    # ----------------------------------------------------------------------------------------------------------------

    def _items(self) -> None:
        rng, m, days = self.rng(1), self.m, self.days
        leaf_w = np.array(
            [V.L1_WEIGHT[self.l1_names[self.l2_l1[self.leaf_l2[j]]]] for j in range(self.n_leaf)], dtype=np.float64
        )
        leaf_w /= np.bincount(self.l2_l1_arr[self.leaf_l2_arr], minlength=self.n_l1)[self.l2_l1_arr[self.leaf_l2_arr]]
        leaf_w *= rng.lognormal(0.0, 0.4, self.n_leaf)
        self.item_leaf = draw(cdf(leaf_w), rng, m)
        self.item_l2 = self.leaf_l2_arr[self.item_leaf]
        self.item_l1 = self.l2_l1_arr[self.item_l2]
        start, count = self.l1_brand_start[self.item_l1], np.diff(self.l1_brand_start)[self.item_l1]
        self.item_brand = self.l1_brands[start + (rng.random(m) * count).astype(np.int64)]
        own_tier = rng.random(m) < 0.65
        self.item_band = np.where(own_tier, self.brand_tier[self.item_brand], rng.integers(0, 3, m)).astype(np.int64)
        lo = np.empty(m)
        hi = np.empty(m)
        for i1, name in enumerate(self.l1_names):
            for band in range(3):
                sel = (self.item_l1 == i1) & (self.item_band == band)
                lo[sel], hi[sel] = V.L1_PRICES[name][band]
        price = np.exp(np.log(lo) + rng.random(m) * (np.log(hi) - np.log(lo)))
        self.item_price = self._price_pence(price, rng)
        cold = (rng.random(m) < 0.03) if days >= 2 else np.zeros(m, dtype=bool)
        self.item_launch_day = np.where(cold, rng.integers(1, max(days, 2), m), -rng.integers(1, 3 * 365, m))
        self.item_active = (rng.random(m) < 0.95) | cold
        rank = rng.permutation(m)
        self.item_pop = zipf_weights(m, 1.0, 10.0)[rank]
        self.item_adj = rng.integers(0, len(V.ADJECTIVES), m)
        self.item_colour = rng.integers(0, len(V.COLOURS), m)
        mat_count = np.array([len(V.L1_MATERIALS[x]) for x in self.l1_names], dtype=np.int64)
        mat_start = np.concatenate([[0], np.cumsum(mat_count)])
        self.materials: list[str] = [s for x in self.l1_names for s in V.L1_MATERIALS[x]]
        self.item_material = mat_start[self.item_l1] + (rng.random(m) * mat_count[self.item_l1]).astype(np.int64)
        self.item_opener = rng.integers(0, len(V.DESCRIPTION_OPENERS), m)
        self.item_closer = rng.integers(0, len(V.DESCRIPTION_CLOSERS), m)
        self.item_collection = rng.integers(0, len(V.COLLECTIONS), m)
        # Price changes: each item at most once, on a day after its launch.
        n_changes = int(m * 0.0005 * max(days - 1, 0))
        cand = rng.choice(m, size=min(n_changes, m), replace=False) if n_changes else np.zeros(0, dtype=np.int64)
        cday = np.asarray(rng.integers(1, max(days, 2), cand.shape[0]))
        ok = (self.item_launch_day[cand] < cday) & self.item_active[cand]
        cand, cday = cand[ok], cday[ok]
        factor = rng.choice(np.array([0.7, 0.8, 0.85, 0.9, 1.1, 1.15, 1.2]), size=cand.shape[0])
        order = np.lexsort((cand, cday))
        self.chg_item = cand[order]
        self.chg_day = cday[order]
        self.chg_price = self._price_pence(self.item_price[self.chg_item] / 100.0 * factor[order], rng)

    @staticmethod
    def _price_pence(price: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pounds = np.maximum(np.floor(price).astype(np.int64), 1)
        ending = np.array([99, 99, 99, 49, 0, 50, 95])[rng.integers(0, 7, price.shape[0])]
        return pounds * 100 + ending

    def price_on(self, day: int) -> np.ndarray:
        """Each item's price in pence on a day (price changes take effect on their day)."""
        price = self.item_price.copy()
        upto = np.searchsorted(self.chg_day, day, side="right")
        price[self.chg_item[:upto]] = self.chg_price[:upto]
        return price

    # ----------------------------------------------------------------------------------------------------------------
    # Item sampler: one flat table of (group, cumulative popularity) so any mix of groups samples in one call.
    # ----------------------------------------------------------------------------------------------------------------

    def _sampler(self) -> None:
        active = np.flatnonzero(self.item_active)
        self.g_l2band = 1
        self.g_l1band = self.g_l2band + self.n_l2 * 3
        self.g_brandband = self.g_l1band + self.n_l1 * 3
        self.g_brand = self.g_brandband + self.n_brand * 3
        self.n_groups = self.g_brand + self.n_brand
        band = self.item_band[active]
        keys = np.concatenate(
            [
                np.zeros(active.shape[0], dtype=np.int64),
                self.g_l2band + self.item_l2[active] * 3 + band,
                self.g_l1band + self.item_l1[active] * 3 + band,
                self.g_brandband + self.item_brand[active] * 3 + band,
                self.g_brand + self.item_brand[active],
            ]
        )
        items = np.tile(active, 5)
        order = np.argsort(keys, kind="stable")
        keys, items = keys[order], items[order]
        weight = self.item_pop[items]
        csum = np.cumsum(weight)
        self.group_size = np.bincount(keys, minlength=self.n_groups)
        starts = np.concatenate([[0], np.cumsum(self.group_size)])
        before = np.concatenate([[0.0], csum])[starts[:-1]]
        total = csum[np.maximum(starts[1:] - 1, 0)] - before
        within = (csum - before[keys]) / np.where(total[keys] > 0, total[keys], 1.0)
        last = starts[1:][self.group_size > 0] - 1
        within[last] = 1.0
        self.s_ckey = keys + within
        self.s_item = items.astype(np.int64)
        launched = active[self.item_launch_day[active] < 0]
        self.safe_item = int(launched[np.argmax(self.item_pop[launched])]) if launched.size else int(active[0])

    def _draw_group(self, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pos = np.searchsorted(self.s_ckey, groups + rng.random(groups.shape[0]), side="right")
        return self.s_item[np.minimum(pos, self.s_item.shape[0] - 1)]

    def sample_items(self, persons: np.ndarray, day: int, rng: np.random.Generator) -> np.ndarray:
        """Items for interactions of `persons` (-1: an unknown visitor) on `day`: ~70% from the person's preferences
        (favourite categories or brands within their price band), the rest by overall popularity; never an item
        launched on or after `day`."""
        n = persons.shape[0]
        known = persons >= 0
        pref = known & (rng.random(n) < 0.7)
        slot = np.asarray(np.searchsorted(np.array([0.3, 0.45, 0.6, 0.85, 1.0]), rng.random(n), side="right"))
        groups = np.zeros(n, dtype=np.int64)
        groups[pref] = self.p_groups[persons[pref], np.minimum(slot[pref], 4)]
        items = self._draw_group(groups, rng)
        for _ in range(3):
            late = self.item_launch_day[items] >= day
            if not late.any():
                break
            items[late] = self._draw_group(groups[late], rng)
        late = self.item_launch_day[items] >= day
        if late.any():
            items[late] = self._draw_group(np.zeros(int(late.sum()), dtype=np.int64), rng)
            items[self.item_launch_day[items] >= day] = self.safe_item
        return items

    # ----------------------------------------------------------------------------------------------------------------
    # Persons
    # ----------------------------------------------------------------------------------------------------------------

    def _persons(self) -> None:
        rng, n = self.rng(2), self.n
        self.p_male: np.ndarray = rng.random(n) < 0.49
        female_first = draw(self.female_cdf, rng, n)
        male_first = self.n_female + draw(self.male_cdf, rng, n)
        self.p_first = np.where(self.p_male, male_first, female_first)
        self.p_last = draw(self.surname_cdf, rng, n)
        end_epoch = (self.params.end_date - EPOCH).days
        age_days = ((18.0 + 67.0 * rng.beta(1.6, 2.0, n)) * 365.25).astype(np.int64)
        self.p_dob = end_epoch - np.clip(age_days, 18 * 366, 85 * 365)
        self.p_addr = self._addresses(rng, n)
        self.p_alt_addr = self._addresses(rng, n)

    def _addresses(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, 6) int64: house number, street, street type, city entry, district, inward code."""
        city = draw(self.city_cdf, rng, n)
        return np.stack(
            [
                np.minimum(1 + rng.geometric(1 / 40, n), 250),
                rng.integers(0, len(V.STREET_NAMES), n),
                rng.integers(0, len(V.STREET_TYPES), n),
                city,
                1 + (rng.random(n) * self.city_districts[city]).astype(np.int64),
                rng.integers(0, 10 * 20 * 20, n),
            ],
            axis=1,
        )

    def _households(self) -> None:
        rng, n = self.rng(3), self.n
        perm = rng.permutation(n)
        sizes = rng.choice(np.array([2, 3, 4]), p=[0.5, 0.3, 0.2], size=max(int(0.30 * n) // 2, 1))
        ends = np.cumsum(sizes)
        h = int(np.searchsorted(ends, int(0.30 * n), side="right"))
        sizes, ends = sizes[:h], ends[:h]
        members = perm[: int(ends[-1])] if h else np.zeros(0, dtype=np.int64)
        hh = np.repeat(np.arange(h), sizes)
        head = members[(ends - sizes)[hh]] if h else members
        self.n_households = h
        self.p_household = np.full(n, -1, dtype=np.int64)
        self.p_household[members] = hh
        self.p_addr[members] = self.p_addr[head]
        self.p_alt_addr[members] = self.p_alt_addr[head]
        not_head = members != head
        same_surname = not_head & (rng.random(members.shape[0]) < 0.8)
        self.p_last[members[same_surname]] = self.p_last[head[same_surname]]
        # Different first names inside a household (twins too, and with different initials).
        rank = np.arange(members.shape[0]) - (ends - sizes)[hh]
        prev = np.where(rank > 0, np.roll(members, 1), members)
        twins_hh = rng.random(h) < 0.005
        twin = (rank == 1) & twins_hh[hh]
        self.p_dob[members[twin]] = self.p_dob[prev[twin]]
        self.p_last[members[twin]] = self.p_last[prev[twin]]
        self.p_addr[members[twin]] = self.p_addr[prev[twin]]
        initial = np.array([s[0] for s in self.first_ascii])
        for _ in range(8):
            clash = not_head & (
                (self.p_first[members] == self.p_first[head]) | (self.p_first[members] == self.p_first[prev])
            )
            clash |= twin & (initial[self.p_first[members]] == initial[self.p_first[prev]])
            if not clash.any():
                break
            who = members[clash]
            male = self.p_male[who]
            self.p_first[who] = np.where(
                male,
                self.n_female + draw(self.male_cdf, rng, who.shape[0]),
                draw(self.female_cdf, rng, who.shape[0]),
            )
        self.twin_households = int(twins_hh.sum())
        self.hh_landline = np.where(rng.random(h) < 0.6, affine(np.arange(h), 7_654_321, 123_457, 10**9), -1)
        self.hh_family: np.ndarray = rng.random(h) < 0.01
        hh_of = self.p_household
        self.p_landline = np.where(hh_of >= 0, self.hh_landline[np.maximum(hh_of, 0)], -1)
        self.p_family = (hh_of >= 0) & self.hh_family[np.maximum(hh_of, 0)]

    def _contacts(self) -> None:
        rng, n = self.rng(4), self.n
        pidx = rng.permutation(n)
        self.p_mobile = 400_000_000 + affine(pidx, 48_271, 9_176_541, MOBILE_SPACE)
        self.p_alt_mobile = 400_000_000 + affine(pidx + n, 48_271, 9_176_541, MOBILE_SPACE)
        provider = draw(self.provider_cdf, rng, n)
        alt_provider = (provider + 1 + rng.integers(0, len(V.EMAIL_PROVIDERS) - 1, n)) % len(V.EMAIL_PROVIDERS)
        pattern = rng.integers(0, 8, n)
        num = rng.integers(1, 1000, n)
        extra = rng.integers(10, 99, n)
        yy = (((self.p_dob + (EPOCH - dt.date(1900, 1, 1)).days) / 365.25).astype(np.int64)) % 100
        domains = [p[0] for p in V.EMAIL_PROVIDERS]
        used: set[str] = set()
        emails: list[str] = []
        alts: list[str] = []

        def mailbox(local: str, domain: str) -> str:
            # Gmail ignores dots, so emily.smith@ and emilysmith@ are one mailbox: never two people's.
            if domain in ("gmail.com", "googlemail.com"):
                return f"{local.replace('.', '')}@gmail.com"
            return f"{local}@{domain}"

        def unique(local: str, domain: str, bump: int) -> str:
            candidate = local
            while mailbox(candidate, domain) in used:
                candidate = f"{local}{bump}"
                bump += 7
            used.add(mailbox(candidate, domain))
            return f"{candidate}@{domain}"

        firsts = [email_token(s) for s in self.first_names]
        lasts = [email_token(s) for s in self.surnames]
        fam_email: dict[int, str] = {}
        for i, (f, la, pat, nu, ex, y, prov, alt, hh, fam) in enumerate(
            zip(
                self.p_first.tolist(),
                self.p_last.tolist(),
                pattern.tolist(),
                num.tolist(),
                extra.tolist(),
                yy.tolist(),
                provider.tolist(),
                alt_provider.tolist(),
                self.p_household.tolist(),
                self.p_family.tolist(),
                strict=True,
            )
        ):
            first, last = firsts[f], lasts[la]
            if fam:
                if hh not in fam_email:
                    fam_email[hh] = unique(f"the{last}s", domains[prov], ex)
                emails.append(fam_email[hh])
            else:
                local = (
                    f"{first}.{last}",
                    f"{first}{last}",
                    f"{first}.{last}{y:02d}",
                    f"{first[0]}{last}{nu}",
                    f"{first}_{last}",
                    f"{first}{nu}",
                    f"{last}.{first}",
                    f"{first}.{last[0]}{nu}",
                )[pat]
                emails.append(unique(local, domains[prov], ex))
            alts.append(unique(f"{first}{last[:1]}{ex}{i % 97}", domains[alt], nu))
        self.p_email = pa.array(emails, type=pa.string())
        self.p_alt_email = pa.array(alts, type=pa.string())
        # The identifier that may disagree between this person's records (see module docstring of render.py).
        weak = rng.choice(4, p=[0.62, 0.10, 0.16, 0.12], size=n)
        landline_weak = rng.choice(4, p=[0.35, 0.07, 0.50, 0.08], size=n)
        weak = np.where(self.p_landline >= 0, landline_weak, weak)
        self.p_weak = np.where(self.p_family, WEAK_EMAIL, weak).astype(np.int64)

    def _preferences(self) -> None:
        rng, n = self.rng(5), self.n
        base = np.array([V.L1_WEIGHT[x] for x in self.l1_names], dtype=np.float64)
        women, men = self.l1_names.index("Women"), self.l1_names.index("Men")
        wf, wm = base.copy(), base.copy()
        wf[women] *= 3.0
        wf[men] *= 0.2
        wm[men] *= 3.0
        wm[women] *= 0.2
        fav1 = np.where(self.p_male, draw(cdf(wm), rng, n), draw(cdf(wf), rng, n))
        fav2 = np.where(self.p_male, draw(cdf(wm), rng, n), draw(cdf(wf), rng, n))
        fav2 = np.where((rng.random(n) < 0.45) & (fav2 != fav1), fav2, -1)
        nl2 = np.diff(self.l2_start)
        fav_l2 = self.l2_start[fav1] + (rng.random(n) * nl2[fav1]).astype(np.int64)
        cnt = np.diff(self.l1_brand_start)
        br1 = self.l1_brands[self.l1_brand_start[fav1] + (rng.random(n) * cnt[fav1]).astype(np.int64)]
        l1b = np.where(fav2 >= 0, fav2, fav1)
        br2 = self.l1_brands[self.l1_brand_start[l1b] + (rng.random(n) * cnt[l1b]).astype(np.int64)]
        br2 = np.where((rng.random(n) < 0.5) & (br2 != br1), br2, -1)
        band = rng.choice(3, p=[0.35, 0.45, 0.20], size=n)
        self.p_fav_l1, self.p_fav_l1b, self.p_fav_l2 = fav1, fav2, fav_l2
        self.p_fav_brand, self.p_fav_brand2, self.p_band = br1, br2, band

        def resolve(*candidates: np.ndarray) -> np.ndarray:
            out = np.zeros(n, dtype=np.int64)
            done = np.zeros(n, dtype=bool)
            for cand in candidates:
                ok = ~done & (self.group_size[cand] > 0)
                out[ok] = cand[ok]
                done |= ok
            return out

        l1band_a = self.g_l1band + fav1 * 3 + band
        l1band_b = self.g_l1band + l1b * 3 + band
        brand2 = np.where(br2 >= 0, br2, br1)
        self.p_groups = np.stack(
            [
                resolve(self.g_l2band + fav_l2 * 3 + band, l1band_a),
                resolve(l1band_a, self.g_l1band + fav1 * 3 + 1),
                resolve(l1band_b, l1band_a),
                resolve(self.g_brandband + br1 * 3 + band, self.g_brand + br1, l1band_a),
                resolve(self.g_brandband + brand2 * 3 + band, self.g_brand + brand2, l1band_a),
            ],
            axis=1,
        )
        act = rng.lognormal(0.0, 0.9, n)
        online = rng.beta(2.0, 2.0, n)
        self.web_cdf = cdf(act * (0.3 + online))
        self.pos_w = act * (1.3 - online)
        self.pos_cdf = cdf(self.pos_w)

    # ----------------------------------------------------------------------------------------------------------------
    # Customer-like records: CRM members, ecom accounts, support tickets
    # ----------------------------------------------------------------------------------------------------------------

    def _name_variants(self, rng: np.random.Generator, size: int, probs: dict[int, float]) -> np.ndarray:
        codes = np.array([NAME_CANON, *probs], dtype=np.int64)
        p = np.array([1.0 - sum(probs.values()), *probs.values()])
        return rng.choice(codes, p=p, size=size)

    def _degrade(
        self, rng: np.random.Generator, persons: np.ndarray, weak: int, prob: float, *, modes: list[int], p: list[float]
    ) -> np.ndarray:
        """Per record: 0 (keep) or one of `modes` when the person's weak piece is `weak` (with probability prob)."""
        hit = (self.p_weak[persons] == weak) & (rng.random(persons.shape[0]) < prob)
        chosen = rng.choice(np.array(modes), p=np.array(p) / sum(p), size=persons.shape[0])
        return np.where(hit, chosen, 0)

    def _join_days(self, rng: np.random.Generator, size: int, in_period_share: float) -> np.ndarray:
        if self.days < 2:
            return np.zeros(size, dtype=np.int64)
        in_period = rng.random(size) < in_period_share
        return np.where(in_period, rng.integers(1, self.days, size), 0)

    def _created(self, rng: np.random.Generator, join_day: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray]:
        """(created, updated) epoch seconds: before the period for day-0 records, on the join day otherwise."""
        size = join_day.shape[0]
        before = self.day0_s - rng.integers(86_400, years * 365 * 86_400, size)
        on_day = self.day_epoch[join_day] * 86_400 + rng.integers(7 * 3600, 23 * 3600, size)
        created = np.where(join_day == 0, before, on_day)
        updated = np.where(join_day == 0, created + (rng.random(size) * (self.day0_s - 1 - created)), created)
        return created.astype(np.int64), updated.astype(np.int64)

    def _updates(
        self, rng: np.random.Generator, persons: np.ndarray, eligible: np.ndarray, join_day: np.ndarray, share: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(update day or -1, kind, epoch seconds): changes land in a later delta; only for clean records."""
        size = persons.shape[0]
        day = np.full(size, -1, dtype=np.int64)
        lo = join_day + 1
        pick = eligible & (rng.random(size) < share) & (lo < self.days)
        day[pick] = lo[pick] + (rng.random(int(pick.sum())) * (self.days - lo[pick])).astype(np.int64)
        kind = rng.choice(np.array([UPDATE_MOVED, UPDATE_EMAIL, UPDATE_PHONE]), p=[0.4, 0.3, 0.3], size=size)
        ts = self.day_epoch[np.maximum(day, 0)] * 86_400 + rng.integers(7 * 3600, 23 * 3600, size)
        return day, kind, ts

    def _crm(self) -> None:
        rng, n = self.rng(6), self.n
        members = np.flatnonzero(rng.random(n) < 0.60)
        dup_of = np.flatnonzero(rng.random(members.shape[0]) < 0.03)
        self.c_person = np.concatenate([members, members[dup_of]])
        r = self.c_person.shape[0]
        self.c_dup = np.arange(r) >= members.shape[0]
        self.c_id = CRM_ID_BASE + affine(rng.permutation(r), 7_919_993, 31_337, CRM_ID_SPACE)
        self.c_card = affine(rng.permutation(r), 982_451_653, 77_777, CARD_SPACE)
        join = self._join_days(rng, r, 0.04)
        dup_join = np.maximum(join[dup_of], join[members.shape[0] :])
        join[members.shape[0] :] = dup_join
        self.c_join_day = join
        self.c_created, self.c_updated = self._created(rng, join, 12)
        male = self.p_male[self.c_person]
        female_title = rng.choice(np.array([1, 2, 3]), p=[0.45, 0.3, 0.25], size=r)
        title = np.where(male, 0, female_title)
        title = np.where(rng.random(r) < 0.03, 4, title)
        self.c_title = np.where(rng.random(r) < 0.22, -1, title)
        self.c_tier = np.asarray(rng.choice(3, p=[0.6, 0.3, 0.1], size=r))
        self.c_gender = np.where(rng.random(r) < 0.05, 2, male.astype(np.int64))
        probs = {NAME_TYPO: 0.04, NAME_NICK: 0.08, NAME_SWAP: 0.01, NAME_UPPER: 0.015, NAME_LOWER: 0.01}
        probs[NAME_SPACES] = 0.02
        self.c_name_var = self._name_variants(rng, r, probs)
        dup_probs = {NAME_TYPO: 0.15, NAME_NICK: 0.35, NAME_UPPER: 0.1, NAME_LOWER: 0.1, NAME_SPACES: 0.05}
        self.c_name_var[self.c_dup] = self._name_variants(rng, int(self.c_dup.sum()), dup_probs)
        self.c_salt = np.asarray(rng.integers(0, 2**32, r, dtype=np.int64))
        self.c_email_mode = self._degrade(
            rng, self.c_person, WEAK_EMAIL, 0.75, modes=[EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER], p=[0.55, 0.12, 0.33]
        )
        self.c_phone_mode = self._degrade(
            rng, self.c_person, WEAK_PHONE, 0.8, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.55, 0.1, 0.35]
        )
        self.c_addr_mode = self._degrade(rng, self.c_person, WEAK_ADDRESS, 0.5, modes=[ADDR_MOVED], p=[1.0])
        eligible = ~self.c_dup & (self.p_weak[self.c_person] == WEAK_NONE)
        share = 0.001 * max(self.days - 1, 1)
        self.c_upd_day, self.c_upd_kind, self.c_upd_ts = self._updates(rng, self.c_person, eligible, join, share)
        self.crm_cdf = cdf(self.pos_w[self.c_person])

    def _ecom(self) -> None:
        rng, n = self.rng(7), self.n
        holders = np.flatnonzero(rng.random(n) < 0.70)
        second_of = np.flatnonzero(rng.random(holders.shape[0]) < 0.02)
        self.a_person = np.concatenate([holders, holders[second_of]])
        a = self.a_person.shape[0]
        self.a_second = np.arange(a) >= holders.shape[0]
        self.a_id = _mix40(rng.permutation(a))
        join = self._join_days(rng, a, 0.03)
        join[holders.shape[0] :] = np.maximum(join[second_of], self._join_days(rng, second_of.shape[0], 0.2))
        self.a_signup_day = join
        self.a_signup, self.a_updated = self._created(rng, join, 8)
        self.a_closed: np.ndarray = np.where(self.a_second, rng.random(a) < 0.2, rng.random(a) < 0.005)
        self.a_consent_email = np.asarray(rng.random(a) < 0.6)
        self.a_consent_sms = np.asarray(rng.random(a) < 0.3)
        probs = {NAME_TYPO: 0.04, NAME_NICK: 0.08, NAME_SWAP: 0.01, NAME_MERGE: 0.01, NAME_UPPER: 0.01}
        probs.update({NAME_LOWER: 0.03, NAME_SPACES: 0.02})
        self.a_name_var = self._name_variants(rng, a, probs)
        self.a_salt = np.asarray(rng.integers(0, 2**32, a, dtype=np.int64))
        self.a_line2 = np.asarray(
            rng.choice(4, p=[0.82, 0.1, 0.07, 0.01], size=a)
        )  # none, "Flat n", "Apartment n", junk
        self.a_email_mode = self._degrade(
            rng, self.a_person, WEAK_EMAIL, 0.6, modes=[EMAIL_MISSING, EMAIL_JUNK, EMAIL_OTHER], p=[0.3, 0.15, 0.55]
        )
        self.a_email_mode[self.a_second & (self.a_email_mode == EMAIL_OK) & (self.p_weak[self.a_person] == 1)] = (
            EMAIL_OTHER
        )
        self.a_phone_mode = self._degrade(
            rng, self.a_person, WEAK_PHONE, 0.7, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.6, 0.15, 0.25]
        )
        self.a_addr_mode = self._degrade(
            rng, self.a_person, WEAK_ADDRESS, 0.7, modes=[ADDR_MOVED, ADDR_MISSING], p=[0.5, 0.5]
        )
        eligible = ~self.a_second & (self.p_weak[self.a_person] == WEAK_NONE)
        share = 0.001 * max(self.days - 1, 1)
        self.a_upd_day, self.a_upd_kind, self.a_upd_ts = self._updates(rng, self.a_person, eligible, join, share)
        self.p_acc1 = np.full(n, -1, dtype=np.int64)
        self.p_acc1[holders] = np.arange(holders.shape[0])
        self.p_acc2 = np.full(n, -1, dtype=np.int64)
        self.p_acc2[holders[second_of]] = holders.shape[0] + np.arange(second_of.shape[0])

    def _one_update_per_person(self) -> None:
        """A person changes in at most one record, so their other records keep agreeing on the other pieces."""
        crm_changed = np.zeros(self.n, dtype=bool)
        crm_changed[self.c_person[self.c_upd_day >= 0]] = True
        clash = (self.a_upd_day >= 0) & crm_changed[self.a_person]
        self.a_upd_day[clash] = -1

    def _support(self) -> None:
        rng, n = self.rng(8), self.n
        raisers = np.flatnonzero(rng.random(n) < 0.10)
        count = rng.choice(np.array([1, 2, 3]), p=[0.85, 0.12, 0.03], size=raisers.shape[0])
        person = np.repeat(raisers, count)
        t = person.shape[0]
        day = rng.integers(0, self.days, t)
        sec = rng.integers(8 * 3600, 20 * 3600, t)
        order = np.lexsort((person, sec, day))
        self.t_person, self.t_day, self.t_sec = person[order], day[order], sec[order]
        self.t_id = 10_000_001 + np.arange(t)
        self.t_channel: np.ndarray = rng.integers(0, len(V.SUPPORT_CHANNELS), t)
        self.t_subject: np.ndarray = rng.integers(0, len(V.SUPPORT_SUBJECTS), t)
        self.t_has_sku: np.ndarray = rng.random(t) < 0.6
        self.t_sku = self.sample_items(self.t_person, 0, rng)
        probs = {NAME_TYPO: 0.06, NAME_NICK: 0.12, NAME_SWAP: 0.01, NAME_MERGE: 0.01, NAME_UPPER: 0.05}
        probs.update({NAME_LOWER: 0.07, NAME_SPACES: 0.04})
        self.t_name_var = self._name_variants(rng, t, probs)
        self.t_title: np.ndarray = rng.random(t) < 0.15
        self.t_salt = np.asarray(rng.integers(0, 2**32, t, dtype=np.int64))
        self.t_email_mode = self._degrade(
            rng, self.t_person, WEAK_EMAIL, 0.5, modes=[EMAIL_MISSING, EMAIL_JUNK], p=[0.8, 0.2]
        )
        self.t_phone_mode = self._degrade(
            rng, self.t_person, WEAK_PHONE, 0.6, modes=[PHONE_MISSING, PHONE_JUNK, PHONE_LANDLINE], p=[0.6, 0.1, 0.3]
        )
        self.t_day_start = np.searchsorted(self.t_day, np.arange(self.days + 1), side="left")

    # ----------------------------------------------------------------------------------------------------------------
    # Devices, visitors and stores
    # ----------------------------------------------------------------------------------------------------------------

    def _devices(self) -> None:
        rng, n = self.rng(9), self.n
        self.p_ndev = 1 + (rng.random(n) < 0.35).astype(np.int64)
        self.dev_start = np.concatenate([[0], np.cumsum(self.p_ndev)]).astype(np.int64)
        d = int(self.dev_start[-1])
        self.dev_person = np.repeat(np.arange(n), self.p_ndev)
        self.dev_type: np.ndarray = rng.choice(3, p=[0.5, 0.25, 0.25], size=d)
        salt = int(rng.integers(0, 2**40))
        self.dev_id = splitmix64(np.arange(d, dtype=np.uint64) + np.uint64(salt))
        self.n_visitors = max(100, n // 4)
        self.vis_type: np.ndarray = rng.choice(3, p=[0.6, 0.2, 0.2], size=self.n_visitors)
        self.vis_id = splitmix64(np.arange(d, d + self.n_visitors, dtype=np.uint64) + np.uint64(salt))

    def _stores(self) -> None:
        rng = self.rng(10)
        k = int(np.clip(self.n // 5000, 6, 400))
        city = np.sort(draw(self.city_cdf, rng, k))
        self.store_city = city
        self.store_num = 1001 + np.arange(k)
        self.store_tills: np.ndarray = rng.integers(2, 9, k)
        self.store_file = (np.arange(k) >= k // 2).astype(np.int64)  # two files a day: first and second half
        self.city_store_start = np.searchsorted(city, np.arange(len(V.CITIES) + 1), side="left")

    # ----------------------------------------------------------------------------------------------------------------
    # Bad records: at least FORCED_PER_KIND of each kind, placed on days drawn from the seed.
    # ----------------------------------------------------------------------------------------------------------------

    def _bad_plan(self) -> None:
        rng = self.rng(11)
        self.forced: dict[tuple[str, str], np.ndarray] = {}
        for source, kinds in DEFECTS.items():
            for kind in kinds:
                days = rng.integers(0, self.days, FORCED_PER_KIND)
                self.forced[(source, kind)] = np.bincount(days, minlength=self.days)
        self.empty_pos_day = int(rng.integers(1, self.days)) if self.days > 1 else 0
        self.empty_pos_file = int(rng.integers(0, 2))
        self.truncated_click_day = int(rng.integers(0, self.days))

    def bad_counts(
        self, rng: np.random.Generator, source: str, day: int, valid_rows: int, *, forced: bool = True
    ) -> dict[str, int]:
        """How many bad records of each kind a file gets: a share of its rows, plus the day's forced minimum when
        `forced` (a day with several files adds the minimum to one of them)."""
        kinds = DEFECTS[source]
        rate = BAD_SHARE / len(kinds)
        extra = {kind: int(self.forced[(source, kind)][day]) if forced else 0 for kind in kinds}
        return {kind: int(rng.binomial(valid_rows, rate)) + extra[kind] for kind in kinds}

    def unknown_skus(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(self.m + 1, UNKNOWN_SKU_LIMIT, size)

    # ----------------------------------------------------------------------------------------------------------------
    # Small derived tables
    # ----------------------------------------------------------------------------------------------------------------

    @cached_property
    def districts(self) -> list[str]:
        """Postcode districts (outward codes) used by any address, sorted."""
        addr = np.concatenate([self.p_addr[:, 3:5], self.p_alt_addr[:, 3:5]])
        pairs = np.unique(addr[:, 0] * 1000 + addr[:, 1])
        return sorted({f"{V.CITIES[int(p // 1000)][1]}{int(p % 1000)}" for p in pairs})
