"""Typed conversion of configuration: plain YAML data <-> frozen dataclasses, by the types their fields declare.

`convert` turns plain data into the declared type or raises `ConfigError` naming the file that set the key (from
`origins`, dotted key -> file), the key, what it must be and what it is; an unknown key also gets the allowed keys and
the closest one. Scalars are converted by a table (`_SCALARS`); literals, sections, mappings, lists and unions by
their shape. `to_plain` is the way back, and the helpers here read what a type hint declares.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Union

from udp.errors import ConfigError, did_you_mean


def origin_of(origins: Mapping[str, str], dotted: str) -> str:
    """The file that set `dotted` or its nearest ancestor."""
    parts = dotted.split(".")
    while parts:
        key = ".".join(parts)
        if key in origins:
            return origins[key]
        parts.pop()
    return "configuration"


def field_types(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def strip_optional(hint: Any) -> Any:
    if _is_union(hint):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType)


def is_mapping(hint: Any) -> bool:
    return typing.get_origin(hint) in (dict, Mapping, typing.get_origin(Mapping[str, str]))


def is_list(hint: Any) -> bool:
    return typing.get_origin(hint) in (list, tuple, Sequence)


def describe(hint: Any) -> str:
    """What a value of type `hint` is, in words a user reads in an error ("a list of a string")."""
    if hint is type(None):
        return "null"
    if _is_union(hint):
        return " or ".join(describe(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if is_list(hint):
        return f"a list of {describe(typing.get_args(hint)[0])}"
    if is_mapping(hint):
        return f"a mapping of names to {describe(typing.get_args(hint)[1])}"
    if dataclasses.is_dataclass(hint):
        return "a section (mapping of keys)"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(hint, str(hint))


_REFUSED = object()  # what a converter returns for a value its type does not take


def _as_str(value: Any) -> Any:
    # YAML turns `4` or `0.5` into numbers; a string key given a scalar number is what the user meant.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else _REFUSED


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    bool: lambda v: v if isinstance(v, bool) else _REFUSED,
    int: lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _REFUSED,
    float: lambda v: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _REFUSED,
    str: _as_str,
}


def convert(hint: Any, value: Any, origins: Mapping[str, str], at: tuple[str, ...]) -> Any:
    """`value` as the type `hint` declares, or a ConfigError naming the key, what it must be and what it is."""
    if hint is Any:
        return value
    shaped = _convert_union if _is_union(hint) else _convert_shaped
    converted = shaped(hint, value, origins, at)
    if converted is _REFUSED:
        dotted = ".".join(at)
        shown = "null" if value is None else repr(value)
        raise ConfigError(f"{origin_of(origins, dotted)}: key '{dotted}' must be {describe(hint)}, got {shown}")
    return converted


def _convert_union(hint: Any, value: Any, origins: Mapping[str, str], at: tuple[str, ...]) -> Any:
    options = typing.get_args(hint)
    if value is None and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        try:
            return convert(option, value, origins, at)
        except ConfigError:
            continue
    return _REFUSED


def _convert_shaped(hint: Any, value: Any, origins: Mapping[str, str], at: tuple[str, ...]) -> Any:
    """A literal, a section, a mapping, a list or a scalar; `_REFUSED` when `value` is not of that shape."""
    if typing.get_origin(hint) is Literal:
        return value if value in typing.get_args(hint) else _REFUSED
    if dataclasses.is_dataclass(hint):
        return _convert_dataclass(hint, value, origins, at) if isinstance(value, dict) else _REFUSED
    if is_mapping(hint):
        if not isinstance(value, dict):
            return _REFUSED
        value_type = typing.get_args(hint)[1]
        return {str(k): convert(value_type, v, origins, (*at, str(k))) for k, v in value.items()}
    if is_list(hint):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return _REFUSED
        item_type = typing.get_args(hint)[0]
        return tuple(convert(item_type, v, origins, (*at, str(i))) for i, v in enumerate(value))
    if hint in _SCALARS:
        return _SCALARS[hint](value)
    dotted = ".".join(at)
    where = origin_of(origins, dotted)
    raise ConfigError(f"{where}: key '{dotted}' has an unsupported type {hint!r}")  # pragma: no cover


def _convert_dataclass(cls: Any, value: dict[str, Any], origins: Mapping[str, str], at: tuple[str, ...]) -> Any:
    hints = field_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            dotted = ".".join((*at, key))
            allowed = ", ".join(sorted(fields))
            hint = did_you_mean(key, fields, cutoff=0.75)
            where = origin_of(origins, dotted)
            raise ConfigError(f"{where}: unknown key '{dotted}'{hint}; allowed keys here: {allowed}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = convert(hints[name], value[name], origins, (*at, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            dotted = ".".join((*at, name))
            raise ConfigError(
                f"{origin_of(origins, '.'.join(at)) if at else 'configuration'}: required key '{dotted}' is missing "
                f"(expected {describe(hints[name])})"
            )
    return cls(**kwargs)


def to_plain(obj: Any) -> Any:
    """`obj` (a dataclass, mapping, tuple or scalar) as plain YAML data: dicts, lists and scalars."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj
