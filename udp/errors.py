"""Error classes a user can act on. The CLI prints their message on one line, never a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def did_you_mean(name: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """` (did you mean 'crm'?)` when a known name is close to `name`, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_name(kind: str, name: str, known: Sequence[str], listed_as: str | None = None) -> str:
    """`unknown source 'crmm' (did you mean 'crm'?); sources: crm, ecom` — the closest known name, when one is close,
    then all of them under `listed_as` (default: the kind's plural)."""
    return f"unknown {kind} {name!r}{did_you_mean(name, known)}; {listed_as or kind + 's'}: {', '.join(known)}"


class UdpError(Exception):
    """Base class: a problem with the user's input, configuration or environment."""

    exit_code = 2


class ConfigError(UdpError):
    """A configuration file, key or value is wrong (names the file, the key and what was expected)."""


class ContractError(UdpError):
    """A source contract in sources.yaml is wrong (names the source and the field)."""


class InputPathError(UdpError):
    """An input or output location does not exist or cannot be used."""


class EnvironmentSetupError(UdpError):
    """The local environment is incomplete (e.g. Delta jars not fetched)."""


class SchemaDriftError(UdpError):
    """A raw file's columns differ from its contract and the contract's drift policy is `fail`."""


class ValidationFailedError(UdpError):
    """Preflight validation found errors."""

    exit_code = 1
