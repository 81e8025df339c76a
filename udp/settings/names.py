"""Personalize resource names: the service's rule, and the deterministic names udp gives its resources.

Every resource name must match `^[a-zA-Z0-9][a-zA-Z0-9\\-_]*` and be 1-63 characters. udp derives names from the
dataset group, the solution key and the export snapshot, so the same run always asks for the same names: a retried
or resumed `apply` finds what it created instead of creating it twice.
"""

from __future__ import annotations

import hashlib
import re

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*"
NAME_MAX = 63
_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
_INVALID = re.compile(r"[^a-zA-Z0-9\-_]+")


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid Personalize resource name, or None when it is."""
    if not name:
        return "is empty"
    if len(name) > NAME_MAX:
        return f"is {len(name)} characters long (at most {NAME_MAX})"
    if not _NAME_RE.fullmatch(name):
        return f"must match {NAME_PATTERN} (letters, digits, '-' and '_', starting with a letter or digit)"
    return None


def resource_name(*parts: str) -> str:
    """`parts` joined with '-', invalid characters replaced; names over 63 characters end in a short hash.

    Deterministic: the same parts always give the same name, so it identifies the resource across runs.
    """
    joined = "-".join(_INVALID.sub("-", p).strip("-") for p in parts if p)
    joined = re.sub(r"-{2,}", "-", joined).lstrip("-_") or "udp"
    if len(joined) <= NAME_MAX:
        return joined
    digest = hashlib.sha256("-".join(parts).encode()).hexdigest()[:8]
    return f"{joined[: NAME_MAX - 9].rstrip('-_')}-{digest}"
