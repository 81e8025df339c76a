"""Accents as systems keep or lose them: plain-ASCII folding and latin-1 transliteration of names."""

from __future__ import annotations

import unicodedata

_SPECIAL = {
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


def fold_accents(text: str) -> str:
    """Zoë -> Zoe, Łukasz -> Lukasz: plain ASCII letters where a decomposition or a known mapping exists."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
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
