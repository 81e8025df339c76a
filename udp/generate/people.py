"""Persons: sex, first name, surname, date of birth and two addresses each, drawn from the vocabulary's name tables.

The name tables are built once at import (they depend on the vocabulary only). Addresses are (house number,
street, street type, city entry, district, inward code) rows; a person's second address is where they move to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from udp.generate import vocab as V
from udp.generate.accents import fold_accents, to_latin1
from udp.generate.sampling import cdf, draw, zipf_weights
from udp.generate.text import EPOCH

FIRST_NAMES: tuple[str, ...] = (*V.FEMALE_NAMES, *V.MALE_NAMES)  # female names first, then male
N_FEMALE = len(V.FEMALE_NAMES)
FIRST_LATIN1 = tuple(to_latin1(s) for s in FIRST_NAMES)
FIRST_ASCII = tuple(fold_accents(s) for s in FIRST_NAMES)
NICKNAMES: tuple[tuple[str, ...], ...] = tuple(V.NICKNAMES.get(s, ()) for s in FIRST_NAMES)
SURNAMES: tuple[str, ...] = tuple(V.SURNAMES)
SURNAME_LATIN1 = tuple(to_latin1(s) for s in SURNAMES)
SURNAME_ASCII = tuple(fold_accents(s) for s in SURNAMES)
FEMALE_CDF = cdf(zipf_weights(len(V.FEMALE_NAMES), 0.8, 6))
MALE_CDF = cdf(zipf_weights(len(V.MALE_NAMES), 0.8, 6))
SURNAME_CDF = cdf(zipf_weights(len(V.SURNAMES), 0.9, 4))
CITY_CDF = cdf(np.array([c[4] for c in V.CITIES], dtype=np.float64))
CITY_DISTRICTS = np.array([c[2] for c in V.CITIES], dtype=np.int64)


@dataclass(frozen=True)
class People:
    """Per person: names index FIRST_NAMES and SURNAMES; dob is in days since 1970-01-01; addresses are (n, 6)."""

    male: np.ndarray
    first: np.ndarray
    last: np.ndarray
    dob: np.ndarray
    addr: np.ndarray
    alt_addr: np.ndarray


def draw_people(rng: np.random.Generator, n: int, end_date: dt.date) -> People:
    """`n` adults aged 18 to 85 on the last day of the period."""
    male: np.ndarray = rng.random(n) < 0.49
    female_first = draw(FEMALE_CDF, rng, n)
    male_first = N_FEMALE + draw(MALE_CDF, rng, n)
    first = np.where(male, male_first, female_first)
    last = draw(SURNAME_CDF, rng, n)
    end_epoch = (end_date - EPOCH).days
    age_days = ((18.0 + 67.0 * rng.beta(1.6, 2.0, n)) * 365.25).astype(np.int64)
    dob = end_epoch - np.clip(age_days, 18 * 366, 85 * 365)
    addr = _addresses(rng, n)
    alt_addr = _addresses(rng, n)
    return People(male=male, first=first, last=last, dob=dob, addr=addr, alt_addr=alt_addr)


def _addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 6) int64: house number, street, street type, city entry, district, inward code."""
    city = draw(CITY_CDF, rng, n)
    return np.stack(
        [
            np.minimum(1 + rng.geometric(1 / 40, n), 250),
            rng.integers(0, len(V.STREET_NAMES), n),
            rng.integers(0, len(V.STREET_TYPES), n),
            city,
            1 + (rng.random(n) * CITY_DISTRICTS[city]).astype(np.int64),
            rng.integers(0, 10 * 20 * 20, n),
        ],
        axis=1,
    )
