"""Error classes a user can act on. The CLI prints their message on one line, never a traceback."""

from __future__ import annotations


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
