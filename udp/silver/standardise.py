"""Standardisers: one column expression per kind of value, built from Spark built-ins only (no UDFs).

Each returns a Column; a value that is junk (a placeholder, a dummy date, a repeated-digit phone) becomes null, so it
can never link two customers. The raw values stay in bronze; silver keeps both the standardised value and the keys
derived from it for matching.

Each function refers to its input column as few times as it can, and callers materialise each step as a column
(`withColumns` in stages): nesting standardisers that each reuse their input would multiply the expression tree
until Spark's code generation gives up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F

from udp.settings.matching import EmailProvider, StandardiseSettings

# Accented Latin letters and their ASCII base letter (NFKD folding without a UDF).
_ACCENTED = "àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňŉòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž"
_BASE = "aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz"
assert len(_ACCENTED) == len(_BASE)


def _is_blank_or_junk(value: Column, junk: Iterable[str]) -> Column:
    words = [j.lower() for j in junk]
    lowered = F.lower(value)
    return value.isNull() | (F.trim(value) == F.lit("")) | (lowered.isin(words) if words else F.lit(False))


def clean_text(value: Column, junk: Iterable[str]) -> Column:
    """Trimmed, single-spaced text; null when empty or a junk value such as 'n/a' or 'unknown'."""
    text = F.regexp_replace(F.trim(value), r"\s+", " ")
    return F.when(~_is_blank_or_junk(text, junk), text)


def fold_accents(value: Column) -> Column:
    """Lower case ASCII letters: 'Zoë Łukaszewicz' -> 'zoe lukaszewicz', 'Müßig' -> 'mussig'."""
    lowered = F.lower(value)
    for src, dst in (("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("þ", "th")):
        lowered = F.regexp_replace(lowered, src, dst)
    return F.translate(lowered, _ACCENTED, _BASE)


def strip_titles(value: Column, titles: Iterable[str]) -> Column:
    """Drop leading titles ('Mr', 'Dr.') from an already lower-cased name."""
    words = "|".join(sorted({t.lower() for t in titles}, key=len, reverse=True))
    if not words:
        return value
    return F.regexp_replace(value, rf"^(({words})\.?\s+)+", "")


def standardise_name(value: Column, settings: StandardiseSettings) -> Column:
    """Lower-case ASCII letters and single spaces, without titles or punctuation ('O'Brien' -> 'obrien')."""
    text = strip_titles(fold_accents(F.trim(value)), settings.titles)
    text = F.regexp_replace(text, "['\u2019`.]", "")
    text = F.trim(F.regexp_replace(text, r"[^a-z]+", " "))
    # One reference to the chain above: a junk value becomes '' and nullif turns '' into null.
    return F.nullif(F.regexp_replace(text, junk_pattern(settings.junk_values), ""), F.lit(""))


def junk_pattern(junk: Iterable[str]) -> str:
    """A regex matching a whole value that is junk ('n/a', 'unknown'), for a single-reference replace."""
    import re

    words = sorted({re.escape(j.lower()) for j in junk if j}, key=len, reverse=True)
    return "^(" + "|".join(words) + ")$" if words else "^$"


def name_key(std_name: Column) -> Column:
    """A standardised name without spaces, so 'mary ann', 'mary-ann' and 'maryann' compare equal."""
    return F.regexp_replace(std_name, " ", "")


def unmerge_name(raw: Column) -> Column:
    """'ElliotMorris' -> 'Elliot Morris': a full name typed without its space, split where case changes.

    Only a single word is split, so 'McDonald' inside 'Ann McDonald' is left alone.
    """
    return F.when(~raw.contains(" "), F.regexp_replace(raw, r"(\p{Ll})(\p{Lu})", "$1 $2")).otherwise(raw)


def strip_display_titles(full: Column, titles: Iterable[str]) -> Column:
    """A cleaned full name without leading titles, keeping its case ('Mr John Smith' -> 'John Smith')."""
    words = "|".join(sorted({t.lower() for t in titles}, key=len, reverse=True))
    return F.regexp_replace(full, rf"(?i)^(({words})\.?\s+)+", "") if words else full


def split_full_name(untitled: Column) -> tuple[Column, Column]:
    """(first, last) as written in a full name without titles: 'Smith, John' or 'John Q Smith' (middle dropped)."""
    comma = F.instr(untitled, ",") > 0
    tokens = F.split(F.trim(untitled), r"\s+")
    first = F.when(comma, F.split(F.trim(F.substring_index(untitled, ",", -1)), r"\s+")[0]).otherwise(tokens[0])
    last = F.when(comma, F.trim(F.substring_index(untitled, ",", 1))).when(
        F.size(tokens) >= 2, F.element_at(tokens, -1)
    )
    return first, last


def nickname_map(nicknames: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Short form -> every canonical name it can stand for (a canonical name stands for itself)."""
    out: dict[str, set[str]] = {}
    for canonical, shorts in nicknames.items():
        out.setdefault(canonical, set()).add(canonical)
        for short in shorts:
            out.setdefault(short, set()).add(canonical)
    return {k: sorted(v) for k, v in sorted(out.items())}


def first_name_forms(first_key: Column, nicknames: Mapping[str, Iterable[str]]) -> Column:
    """The canonical names a first name may stand for (itself, or 'robert' for 'bob'): compare with arrays_overlap."""
    table = nickname_map(nicknames)
    if not table:
        return F.when(first_key.isNotNull(), F.array(first_key))
    lookup = F.create_map(*[x for k, v in table.items() for x in (F.lit(k), F.array(*[F.lit(n) for n in v]))])
    return F.when(first_key.isNotNull(), F.coalesce(F.element_at(lookup, first_key), F.array(first_key)))


def standardise_email(value: Column, settings: StandardiseSettings) -> Column:
    """Lower case, provider rules (Gmail dots, +tags, domain aliases), placeholders to null."""
    email = F.lower(clean_text(value, settings.junk_values))
    valid = email.rlike(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    local = F.substring_index(email, "@", 1)
    domain = F.substring_index(email, "@", -1)
    domain = _canonical_domain(domain, settings.email_providers)
    local = _provider_local(local, domain, settings.email_providers)
    result = F.concat(local, F.lit("@"), domain)
    junk = F.lit(False)
    for pattern in settings.junk_emails:
        p = pattern.lower()
        if p.startswith("@"):
            junk = junk | (domain == F.lit(p[1:]))
        elif p.endswith("@"):
            junk = junk | (local == F.lit(p[:-1]))
        else:
            junk = junk | (email == F.lit(p))
    return F.when(valid & ~junk & (local != F.lit("")), result)


def _canonical_domain(domain: Column, providers: Mapping[str, EmailProvider]) -> Column:
    out = domain
    for canonical, rules in providers.items():
        if rules.aliases:
            out = F.when(domain.isin(list(rules.aliases)), F.lit(canonical)).otherwise(out)
    return out


def _provider_local(local: Column, domain: Column, providers: Mapping[str, EmailProvider]) -> Column:
    out = local
    for name, rules in providers.items():
        fixed = local
        if rules.strip_plus:
            fixed = F.substring_index(fixed, "+", 1)
        if rules.remove_dots:
            fixed = F.regexp_replace(fixed, r"\.", "")
        out = F.when(domain == F.lit(name), fixed).otherwise(out)
    return out


def email_local(std_email: Column) -> Column:
    return F.substring_index(std_email, "@", 1)


def standardise_phone(value: Column, settings: StandardiseSettings) -> Column:
    """E.164 ('+447700900123') from national, international, '00' or bare-country-code forms; junk to null."""
    return phone_e164(F.regexp_replace(value, r"[^0-9]", ""), F.trim(value).startswith("+"), settings)


def phone_e164(digits: Column, international: Column, settings: StandardiseSettings) -> Column:
    """E.164 from a phone's digits and whether it was written with a leading '+'."""
    cc, trunk = settings.default_country_code, settings.national_prefix
    e164_digits = (
        F.when(international, digits)
        .when(digits.startswith("00"), F.substring(digits, 3, 100))
        .when(digits.startswith(cc) & (F.length(digits) >= len(cc) + 9), digits)
        .when(digits.startswith(trunk), F.concat(F.lit(cc), F.substring(digits, len(trunk) + 1, 100)))
        .otherwise(F.concat(F.lit(cc), digits))
    )
    junk_list = list(settings.junk_phones)
    junk = digits.rlike(r"^(\d)\1+$") | (digits.isin(junk_list) if junk_list else F.lit(False))
    valid = (F.length(e164_digits) >= 9) & (F.length(e164_digits) <= 15)
    return F.when((digits != F.lit("")) & ~junk & valid, F.concat(F.lit("+"), e164_digits))


def mobile_phone(e164: Column, settings: StandardiseSettings) -> Column:
    """The phone when it is a mobile of the default country (personal); landlines are often shared by a household."""
    prefixes = [f"+{settings.default_country_code}{p}" for p in settings.mobile_prefixes]
    is_mobile = F.lit(False)
    for p in prefixes:
        is_mobile = is_mobile | e164.startswith(p)
    return F.when(is_mobile, e164)


def standardise_postcode(value: Column, settings: StandardiseSettings) -> Column:
    """Upper case; UK format puts one space before the inward code ('ls14ab' -> 'LS1 4AB')."""
    return format_postcode(F.upper(F.regexp_replace(value, r"[^A-Za-z0-9]", "")), settings)


def format_postcode(text: Column, settings: StandardiseSettings) -> Column:
    """A postcode already reduced to upper-case letters and digits, in the configured format (or null)."""
    if settings.postcode_format == "uk":
        spaced = F.concat(text.substr(F.lit(1), F.length(text) - 3), F.lit(" "), F.substring(text, -3, 3))
        valid = text.rlike(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
        return F.when(valid, spaced)
    return F.when(F.length(text) > 0, text)


def postcode_outward(postcode: Column) -> Column:
    return F.substring_index(postcode, " ", 1)


def standardise_address(value: Column, settings: StandardiseSettings) -> Column:
    """Lower-case ASCII words with abbreviations expanded ('12a High St.' -> '12a high street')."""
    text = F.trim(F.regexp_replace(fold_accents(value), r"[^a-z0-9]+", " "))
    abbreviations = settings.street_abbreviations
    if abbreviations:
        lookup = F.create_map(*[x for k, v in abbreviations.items() for x in (F.lit(k), F.lit(v))])
        text = F.array_join(F.transform(F.split(text, " "), lambda w: F.coalesce(F.element_at(lookup, w), w)), " ")
    return F.nullif(text, F.lit(""))


def house_number(address: Column) -> Column:
    number = F.regexp_extract(address, r"^(?:flat \w+ )?(\d+[a-z]?)\b", 1)
    return F.when(number != F.lit(""), number)


def standardise_date_of_birth(value: Column, settings: StandardiseSettings) -> Column:
    """Dummy dates (1900-01-01) and impossible ones (future, before 1900) become null."""
    dummies = [F.to_date(F.lit(d)) for d in settings.dummy_dates_of_birth]
    dob = value.cast("date")
    ok = (dob >= F.lit("1900-01-02").cast("date")) & (dob <= F.current_date())
    for d in dummies:
        ok = ok & (dob != d)
    return F.when(ok, dob)


def standardise_identifier(value: Column, settings: StandardiseSettings) -> Column:
    """A national or account identifier as upper-case letters and digits; placeholders become null: shorter than
    five characters, one repeated character (000000000), or listed in `junk_identifiers`."""
    key = F.upper(F.regexp_replace(value, r"[^A-Za-z0-9]", ""))
    listed = [_identifier_key(j) for j in settings.junk_identifiers]
    repeated = F.regexp_replace(key, r"^(.)\1*$", "") == F.lit("")
    ok = (F.length(key) >= 5) & ~repeated
    if listed:
        ok = ok & ~key.isin(listed)
    return F.when(ok, key)


def _identifier_key(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", value).upper()


def standardise_gender(value: Column) -> Column:
    first = F.upper(F.substring(F.trim(value), 1, 1))
    return F.when(first.isin("M", "F"), first)
