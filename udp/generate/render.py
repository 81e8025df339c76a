"""How one system spells a person: names, emails, phones and addresses with realistic, still-matchable variation.

Every variation is decided by numbers drawn in records.py (a variant code and a per-record salt), so the same record
renders the same way in the snapshot and in later deltas. What changes between a person's records is either
normalisable (case, spaces, gmail dots, +tags, phone formats, nicknames, one-letter typos, accents) or confined to
the person's single "weak piece" (email, phone or address), so every record keeps at least two identifying pieces
that agree with the person's other records.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from udp.generate import vocab as V
from udp.generate.accents import to_latin1
from udp.generate.people import FIRST_ASCII, FIRST_NAMES, NICKNAMES, SURNAME_ASCII, SURNAMES
from udp.generate.records import (
    EMAIL_JUNK,
    EMAIL_MISSING,
    EMAIL_OTHER,
    NAME_LOWER,
    NAME_MERGE,
    NAME_NICK,
    NAME_SPACES,
    NAME_SWAP,
    NAME_TYPO,
    NAME_UPPER,
    PHONE_JUNK,
    PHONE_LANDLINE,
    PHONE_MISSING,
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TAGS = ("shop", "retail", "news", "deals", "orders")

# Phone styles: 0 07700900123, 1 07700 900123, 2 +44 7700 900123, 3 (07700) 900123, 4 447700900123, 5 +447700900123
PHONE_STYLES_CRM = np.cumsum([0.35, 0.40, 0.10, 0.05, 0.05, 0.05])
PHONE_STYLES_ECOM = np.cumsum([0.15, 0.05, 0.15, 0.0, 0.05, 0.60])
PHONE_STYLES_SUPPORT = np.cumsum([0.30, 0.30, 0.15, 0.10, 0.05, 0.10])


def typo(text: str, r: int) -> str:
    """One edit (substitute, delete, insert or transpose) after the first letter."""
    if len(text) < 3:
        return text + text[-1:]
    pos = 1 + r % (len(text) - 1)
    op = (r >> 6) % 4
    letter = _LETTERS[(r >> 9) % 26]
    if op == 0:
        if text[pos].lower() == letter:
            letter = _LETTERS[((r >> 9) + 1) % 26]
        return text[:pos] + letter + text[pos + 1 :]
    if op == 1:
        return text[:pos] + text[pos + 1 :]
    if op == 3 and pos >= 2 and text[pos] != text[pos - 1]:
        return text[: pos - 1] + text[pos] + text[pos - 1] + text[pos + 1 :]
    return text[:pos] + letter + text[pos:]


def mobile(number: int, style: int) -> str:
    """A mobile (the 9 digits after 07) in one of the UK formats people type."""
    national = f"07{number:09d}"
    if style == 0:
        return national
    if style == 1:
        return f"{national[:5]} {national[5:]}"
    if style == 2:
        return f"+44 {national[1:5]} {national[5:]}"
    if style == 3:
        return f"({national[:5]}) {national[5:]}"
    if style == 4:
        return "44" + national[1:]
    return "+44" + national[1:]


def landline(number: int, style: int) -> str:
    national = f"01{number:09d}"
    if style in (2, 5):
        return f"+44 {national[1:5]} {national[5:]}"
    if style == 0:
        return national
    return f"{national[:5]} {national[5:]}"


def inward(code: int) -> str:
    letters = V.POSTCODE_UNIT_LETTERS
    return f"{code // 400}{letters[(code // 20) % 20]}{letters[code % 20]}"


class Renderer:
    """Renders the person-level facts of a batch of records as the strings a system would hold."""

    # Names --------------------------------------------------------------------------------------------------------

    def first_last(self, first: int, last: int, var: int, salt: int, *, latin1: bool) -> tuple[str, str]:
        f, la = FIRST_NAMES[first], SURNAMES[last]
        if (salt >> 1) & 1:  # half of the systems drop accents (Zoë -> Zoe)
            f, la = FIRST_ASCII[first], SURNAME_ASCII[last]
        if var == NAME_NICK and NICKNAMES[first]:
            options = NICKNAMES[first]
            f = options[(salt >> 4) % len(options)]
        elif var == NAME_TYPO:
            if (salt >> 3) & 1:
                f = typo(f, salt >> 8)
            else:
                la = typo(la, salt >> 8)
        elif var == NAME_SWAP:
            f, la = la, f
        elif var == NAME_UPPER:
            f, la = f.upper(), la.upper()
        elif var == NAME_LOWER:
            f, la = f.lower(), la.lower()
        elif var == NAME_SPACES:
            kind = (salt >> 5) % 3
            if kind == 0:
                f = " " + f
            elif kind == 1:
                la = la + " "
            else:
                f = f + "  "
        if latin1:
            f, la = to_latin1(f), to_latin1(la)
        return f, la

    def full_name(self, first: int, last: int, var: int, salt: int, title: str = "") -> str:
        simple = var if var not in (NAME_MERGE, NAME_SPACES) else 0
        f, la = self.first_last(first, last, simple, salt, latin1=False)
        if var == NAME_MERGE:
            name = f + la
        elif var == NAME_SPACES:
            name = (f"{f}  {la}", f" {f} {la}", f"{f} {la} ", f"{f}   {la}")[(salt >> 5) % 4]
        else:
            name = f"{f} {la}"
        return f"{title} {name}" if title else name

    # Email --------------------------------------------------------------------------------------------------------

    def email(self, canonical: str, other: str, mode: int, salt: int, *, tagged: bool = False) -> str | None:
        if mode == EMAIL_MISSING:
            return None
        if mode == EMAIL_JUNK:
            return V.JUNK_EMAILS[salt % len(V.JUNK_EMAILS)]
        email = other if mode == EMAIL_OTHER else canonical
        local, _, domain = email.partition("@")
        roll = (salt >> 12) % 100
        if tagged or 6 <= roll < 9:
            local = f"{local}+{_TAGS[(salt >> 20) % len(_TAGS)]}"
        elif domain in V.GMAIL_DOMAINS and 9 <= roll < 16:
            if "." in local:
                local = local.replace(".", "")
            else:
                cut = 1 + (salt >> 20) % max(len(local) - 1, 1)
                local = local[:cut] + "." + local[cut:]
        elif domain in V.GMAIL_DOMAINS and 16 <= roll < 19:
            domain = "googlemail.com" if domain == "gmail.com" else "gmail.com"
        email = f"{local}@{domain}"
        if roll < 3:
            return email.upper()
        if roll < 6:
            return email[:1].upper() + email[1:]
        return email

    # Phone --------------------------------------------------------------------------------------------------------

    def phone(self, mob: int, land: int, mode: int, salt: int, styles: np.ndarray) -> str | None:
        if mode == PHONE_MISSING:
            return None
        if mode == PHONE_JUNK:
            return V.JUNK_PHONES[salt % len(V.JUNK_PHONES)]
        style = int(np.searchsorted(styles, ((salt >> 16) % 1000) / 1000.0, side="right"))
        style = min(style, 5)
        if mode == PHONE_LANDLINE:
            return landline(land, style) if land >= 0 else None
        return mobile(mob, style)

    # Address ------------------------------------------------------------------------------------------------------

    def address(self, row: Sequence[int], salt: int) -> tuple[str, str, str]:
        house, street, stype, city, district, code = row
        entry = V.CITIES[city]
        line1 = f"{house} {V.STREET_NAMES[street]} {V.STREET_TYPES[stype]}"
        postcode = f"{entry[1]}{district} {inward(code)}"
        roll = (salt >> 24) % 100
        if roll < 2:
            postcode = postcode.replace(" ", "")
        elif roll < 4:
            postcode = postcode.lower()
        return line1, entry[0], postcode
