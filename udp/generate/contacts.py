"""Contacts: each person's mobile numbers and email addresses, and the "weak piece" their records may disagree on.

Every person has a second mobile and a second email (what a record shows after a change, or in a system the person
gave other details to). Email addresses are unique mailboxes; a family household shares one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from udp.generate import vocab as V
from udp.generate.accents import fold_accents
from udp.generate.households import Households
from udp.generate.ids import MOBILE_SPACE, affine
from udp.generate.people import FIRST_NAMES, SURNAMES, People
from udp.generate.sampling import cdf, draw
from udp.generate.text import EPOCH

# Person-level "weak piece": the one identifier that may disagree between a person's records.
WEAK_NONE, WEAK_EMAIL, WEAK_PHONE, WEAK_ADDRESS = 0, 1, 2, 3

PROVIDER_CDF = cdf(np.array([p[1] for p in V.EMAIL_PROVIDERS], dtype=np.float64))
_DOMAINS = [p[0] for p in V.EMAIL_PROVIDERS]


def email_token(text: str) -> str:
    return "".join(ch for ch in fold_accents(text).lower() if ch.isalnum())


@dataclass(frozen=True)
class Contacts:
    """Per person: mobiles as the 9 digits after 07, emails as Arrow strings, and the weak piece (WEAK_*)."""

    mobile: np.ndarray
    alt_mobile: np.ndarray
    email: pa.Array
    alt_email: pa.Array
    weak: np.ndarray


def draw_contacts(rng: np.random.Generator, people: People, households: Households) -> Contacts:
    """Mobiles and emails of every person (emails are built from their names and the household's family email)."""
    n = people.male.shape[0]
    pidx = rng.permutation(n)
    provider = draw(PROVIDER_CDF, rng, n)
    alt_provider = (provider + 1 + rng.integers(0, len(V.EMAIL_PROVIDERS) - 1, n)) % len(V.EMAIL_PROVIDERS)
    pattern = np.asarray(rng.integers(0, 8, n))
    num = np.asarray(rng.integers(1, 1000, n))
    extra = np.asarray(rng.integers(10, 99, n))
    yy = (((people.dob + (EPOCH - dt.date(1900, 1, 1)).days) / 365.25).astype(np.int64)) % 100
    emails, alts = _emails(
        people, households, pattern=pattern, num=num, extra=extra, yy=yy, provider=provider, alt_provider=alt_provider
    )
    return Contacts(
        mobile=400_000_000 + affine(pidx, 48_271, 9_176_541, MOBILE_SPACE),
        alt_mobile=400_000_000 + affine(pidx + n, 48_271, 9_176_541, MOBILE_SPACE),
        email=emails,
        alt_email=alts,
        weak=_weak_pieces(rng, households),
    )


class _Mailboxes:
    """Addresses handed out so far; a taken one gets a number appended (bumped by 7 until free)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    @staticmethod
    def mailbox(local: str, domain: str) -> str:
        # Gmail ignores dots, so emily.smith@ and emilysmith@ are one mailbox: never two people's.
        if domain in ("gmail.com", "googlemail.com"):
            return f"{local.replace('.', '')}@gmail.com"
        return f"{local}@{domain}"

    def claim(self, local: str, domain: str, bump: int) -> str:
        candidate = local
        while self.mailbox(candidate, domain) in self.used:
            candidate = f"{local}{bump}"
            bump += 7
        self.used.add(self.mailbox(candidate, domain))
        return f"{candidate}@{domain}"


def _local_part(pattern: int, first: str, last: str, yy: int, num: int) -> str:
    return (
        f"{first}.{last}",
        f"{first}{last}",
        f"{first}.{last}{yy:02d}",
        f"{first[0]}{last}{num}",
        f"{first}_{last}",
        f"{first}{num}",
        f"{last}.{first}",
        f"{first}.{last[0]}{num}",
    )[pattern]


def _emails(
    people: People,
    households: Households,
    *,
    pattern: np.ndarray,
    num: np.ndarray,
    extra: np.ndarray,
    yy: np.ndarray,
    provider: np.ndarray,
    alt_provider: np.ndarray,
) -> tuple[pa.Array, pa.Array]:
    """(email, alternative email) of every person, in person order (which decides who gets a bumped address)."""
    # Converted to Arrow here, while the mailbox set is alive too, so all these small strings are freed together.
    boxes = _Mailboxes()
    emails: list[str] = []
    alts: list[str] = []
    firsts = [email_token(s) for s in FIRST_NAMES]
    lasts = [email_token(s) for s in SURNAMES]
    fam_email: dict[int, str] = {}
    for i, (f, la, pat, nu, ex, y, prov, alt, hh, fam) in enumerate(
        zip(
            people.first.tolist(),
            people.last.tolist(),
            pattern.tolist(),
            num.tolist(),
            extra.tolist(),
            yy.tolist(),
            provider.tolist(),
            alt_provider.tolist(),
            households.person_household.tolist(),
            households.person_family.tolist(),
            strict=True,
        )
    ):
        first, last = firsts[f], lasts[la]
        if fam:
            if hh not in fam_email:
                fam_email[hh] = boxes.claim(f"the{last}s", _DOMAINS[prov], ex)
            emails.append(fam_email[hh])
        else:
            emails.append(boxes.claim(_local_part(pat, first, last, y, nu), _DOMAINS[prov], ex))
        alts.append(boxes.claim(f"{first}{last[:1]}{ex}{i % 97}", _DOMAINS[alt], nu))
    return pa.array(emails, type=pa.string()), pa.array(alts, type=pa.string())


def _weak_pieces(rng: np.random.Generator, households: Households) -> np.ndarray:
    """The identifier that may disagree between this person's records (see the module docstring of render.py)."""
    n = households.person_household.shape[0]
    weak = np.asarray(rng.choice(4, p=[0.62, 0.10, 0.16, 0.12], size=n))
    landline_weak = rng.choice(4, p=[0.35, 0.07, 0.50, 0.08], size=n)
    weak = np.where(households.person_landline >= 0, landline_weak, weak)
    return np.where(households.person_family, WEAK_EMAIL, weak).astype(np.int64)
