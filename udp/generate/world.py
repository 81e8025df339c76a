"""The generated world: persons, items, accounts, devices and every per-record decision, as numpy arrays.

Everything here is drawn once from the seed, before any file is written, so that each (source, day) task can
render its file from the same facts in any process and in any order. Arrays are bounded by the number of
persons and items, never by the number of events. Each component has its own random stream (source 0, one "day"
number per component, see params.py), so a component's draws never depend on another's.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from udp.generate import defects
from udp.generate import vocab as V
from udp.generate.contacts import draw_contacts
from udp.generate.devices import draw_devices
from udp.generate.habits import draw_activity, draw_preferences
from udp.generate.households import settle_households
from udp.generate.params import Params, rng_for
from udp.generate.people import draw_people
from udp.generate.products import draw_products
from udp.generate.records import draw_crm, draw_ecom, draw_support, one_update_per_person
from udp.generate.sampler import build_sampler
from udp.generate.stores import place_stores
from udp.generate.text import EPOCH


class World:
    """All facts of one generated world. Build once per process; tasks only read it."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.n = params.customers
        self.m = params.skus
        self.days = params.days
        self.day_epoch = np.array([(params.date(d) - EPOCH).days for d in range(params.days)], dtype=np.int64)
        self.day0_s = int(self.day_epoch[0]) * 86400
        self.products = draw_products(self.rng(1), self.m, self.days)
        self.sampler = build_sampler(self.products)
        self.people = draw_people(self.rng(2), self.n, params.end_date)
        self.households = settle_households(self.rng(3), self.people)  # moves members in together
        self.contacts = draw_contacts(self.rng(4), self.people, self.households)
        habits = self.rng(5)
        self.prefs = draw_preferences(habits, self.people.male, self.sampler)
        self.activity = draw_activity(habits, self.n)  # after the preferences: they share a stream
        weak = self.contacts.weak
        self.crm = draw_crm(self.rng(6), self.people.male, weak, self.activity.pos_w, self.day_epoch)
        self.ecom = one_update_per_person(self.crm, draw_ecom(self.rng(7), weak, self.day_epoch))
        self.support = draw_support(self.rng(8), weak, self.day_epoch, self.sample_items)
        self.devices = draw_devices(self.rng(9), self.n)
        self.stores = place_stores(self.rng(10), self.n)
        self.bad = defects.plan_bad_records(self.rng(11), self.days)

    def rng(self, component: int) -> np.random.Generator:
        return rng_for(self.params, "world", component, 0)

    def day_s(self, day: int) -> int:
        """Epoch seconds of midnight UTC of a day of the period."""
        return int(self.day_epoch[day]) * 86400

    def weekday(self, day: int) -> int:
        return self.params.date(day).weekday()

    def sample_items(self, persons: np.ndarray, day: int, rng: np.random.Generator) -> np.ndarray:
        """Items for interactions of `persons` (-1: an unknown visitor) on `day`: ~70% from the person's preferences
        (favourite categories or brands within their price band), the rest by overall popularity; never an item
        launched on or after `day`."""
        return self.sampler.sample(self.prefs.groups, persons, day, rng)

    def unknown_skus(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return defects.unknown_skus(rng, self.m, size)

    @cached_property
    def districts(self) -> list[str]:
        """Postcode districts (outward codes) used by any address, sorted."""
        addr = np.concatenate([self.people.addr[:, 3:5], self.people.alt_addr[:, 3:5]])
        pairs = np.unique(addr[:, 0] * 1000 + addr[:, 1])
        return sorted({f"{V.CITIES[int(p // 1000)][1]}{int(p % 1000)}" for p in pairs})
