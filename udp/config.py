"""Configuration: YAML files -> one frozen, typed `Config`, loaded once and passed down.

A file may start with `extends: <file or list of files>` (paths relative to it); those are loaded first and this
file is overlaid on them. `conf/local.yaml` and `conf/emr.yaml` extend `conf/base.yaml`, which extends the section
files (`sources.yaml`, `matching.yaml`, `personalize.yaml`). Later `--conf` files and then `--set dotted.key=value`
overrides are applied on top. String values may use `${ENV_VAR}` or `${ENV_VAR:-default}`.

An overlay replaces values and lists, and merges sections key by key. In a mapping of named sections (sources,
survivorship rules, email providers, ...) `name: null` removes that entry; `key+: [...]` (or `--set key+=[...]`)
appends to the list under `key` instead of replacing it. A source that is still named somewhere after its removal
(survivorship, references, customer_keys) is an error naming the key.

Every mistake (missing file, unknown or misspelt key, wrong type, unset variable) raises `ConfigError` naming the
file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from udp.contracts import SourceContract
from udp.errors import ConfigError
from udp.gold.settings import GoldSettings
from udp.personalize.settings import PersonalizeSettings
from udp.silver.settings import MatchingSettings

DEFAULT_CONF = "conf/local.yaml"
LAYERS = ("bronze", "silver", "gold")


# --------------------------------------------------------------------------------------------------------------------
# The typed configuration. Field defaults are the documented defaults; `conf/base.yaml` shows every key.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Where data lives. Local paths or s3:// / s3a:// URIs."""

    raw: str
    lake: str
    export: str


@dataclass(frozen=True)
class SparkSettings:
    """How the SparkSession is built (see udp/session.py)."""

    mode: Literal["local", "cluster"] = "local"
    master: str = "local[2]"
    app_name: str = "udp"
    jars_dir: str = ".jars"
    log_level: Literal["ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] = "WARN"
    conf: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogSettings:
    """Table registration: `<layer>.<table>` in Spark's catalog (local Hive metastore, or Glue on EMR)."""

    enabled: bool = True
    implementation: Literal["hive", "in-memory"] = "hive"
    metastore_dir: str = ""
    database_prefix: str = ""


@dataclass(frozen=True)
class LakeSettings:
    """Delta maintenance defaults applied by udp/lake.py."""

    vacuum_retention_hours: int = 168
    optimize_after_write: bool = True
    bronze_parallel_sources: int = 2


@dataclass(frozen=True)
class Config:
    """The whole configuration of one run."""

    paths: Paths
    spark: SparkSettings = field(default_factory=SparkSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    sources: Mapping[str, SourceContract] = field(default_factory=dict)
    matching: MatchingSettings = field(default_factory=MatchingSettings)
    gold: GoldSettings = field(default_factory=GoldSettings)
    personalize: PersonalizeSettings = field(default_factory=PersonalizeSettings)
    files: tuple[str, ...] = ()

    def with_overrides(self, *overrides: str) -> Config:
        """Return a copy with `dotted.key=value` overrides applied (same rules as `--set`)."""
        raw = _to_plain(self)
        files = raw.pop("files")
        prov: dict[str, str] = {}
        removed: dict[str, str] = {}
        for item in overrides:
            _apply_override(raw, prov, removed, item)
        return _build(raw, prov, removed, tuple(files))


# Keys that are not configuration values but loader directives.
_DIRECTIVES = ("extends",)
# `${NAME}` or `${NAME:-default}`; `$${...}` is a literal `${...}` (how a resolved file keeps a value that has one).
_ENV_RE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Names of environment variables and Spark confs that hold credentials. Configuration is resolved where a job is
# launched and shipped with it (udp/launch.py), so a credential in it would travel in the job's archive.
_SECRET_RE = re.compile(r"(?i)(secret|password|passwd|session_?token|access_?key(?!_?id)|private_?key|credentials?$)")


def load_config(
    conf_files: Sequence[str] = (), overrides: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Config:
    """Load `conf_files` (default `conf/local.yaml`) with their `extends`, then apply `--set` overrides."""
    environ = os.environ if env is None else env
    files = list(conf_files) or [DEFAULT_CONF]
    merged: dict[str, Any] = {}
    prov: dict[str, str] = {}
    removed: dict[str, str] = {}  # dotted key of a removed named entry -> the file (or --set) that removed it
    loaded: list[str] = []
    for f in files:
        _load_file(Path(f), merged, prov, removed, loaded=loaded, stack=())
    for item in overrides:
        _apply_override(merged, prov, removed, item)
    _interpolate(merged, prov, environ, ())
    return _build(merged, prov, removed, tuple(loaded))


# --------------------------------------------------------------------------------------------------------------------
# Loading and merging
# --------------------------------------------------------------------------------------------------------------------


def _load_file(
    path: Path,
    merged: dict[str, Any],
    prov: dict[str, str],
    removed: dict[str, str],
    *,
    loaded: list[str],
    stack: tuple[str, ...],
) -> None:
    name = str(path)
    if name in stack:
        raise ConfigError(f"{stack[-1]}: 'extends' forms a cycle through {name}")
    if not path.is_file():
        where = f" (extended by {stack[-1]})" if stack else ""
        raise ConfigError(f"config file not found: {name}{where}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{name}: invalid YAML{at}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping of keys at the top level, found {type(data).__name__}")
    parents = data.pop("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ConfigError(f"{name}: 'extends' must be a file name or a list of file names")
    for parent in parents:
        _load_file(path.parent / parent, merged, prov, removed, loaded=loaded, stack=(*stack, name))
    _merge(merged, data, prov, removed, origin=name, at=())
    loaded.append(name)


def _merge(
    dst: dict[str, Any],
    src: Mapping[str, Any],
    prov: dict[str, str],
    removed: dict[str, str],
    *,
    origin: str,
    at: tuple[str, ...],
) -> None:
    for key, value in src.items():
        if not isinstance(key, str):
            raise ConfigError(f"{origin}: key {'.'.join((*at, str(key)))!r} must be a string")
        if key.endswith("+") and len(key) > 1:
            _append(dst, (*at, key[:-1]), value, prov, origin)
            continue
        here = (*at, key)
        if value is None and _is_named_entry(here):
            _remove(dst, here, prov, removed, origin)
            continue
        removed.pop(".".join(here), None)
        if isinstance(value, dict):
            # Merge into a fresh section too, so `null` removals and `+` appends inside it are applied, not copied.
            if not isinstance(dst.get(key), dict):
                dst[key] = {}
                prov[".".join(here)] = origin
            _merge(dst[key], value, prov, removed, origin=origin, at=here)
        else:
            dst[key] = _copy(value)
            _mark(prov, here, value, origin)


def _hint_at(path: Sequence[str]) -> Any:
    """The declared type of the value at `path` in `Config`, or None where the schema does not say."""
    hint: Any = Config
    for part in path:
        hint = _strip_optional(hint)
        if dataclasses.is_dataclass(hint):
            hint = _field_types(hint).get(part)
            if hint is None:
                return None
        elif _is_mapping(hint):
            hint = typing.get_args(hint)[1]
        elif typing.get_origin(hint) in (list, tuple, Sequence):
            hint = typing.get_args(hint)[0]
        else:
            return None
    return _strip_optional(hint)


def _is_named_entry(path: tuple[str, ...]) -> bool:
    """Whether `path` is one entry of a mapping of named sections (a source, a survivorship rule, ...)."""
    parent = _hint_at(path[:-1]) if path else None
    if parent is None or not _is_mapping(parent):
        return False
    entry = _strip_optional(typing.get_args(parent)[1])
    return dataclasses.is_dataclass(entry) or _is_mapping(entry)


def _remove(
    dst: dict[str, Any], path: tuple[str, ...], prov: dict[str, str], removed: dict[str, str], origin: str
) -> None:
    dst.pop(path[-1], None)
    dotted = ".".join(path)
    for key in [k for k in prov if k == dotted or k.startswith(dotted + ".")]:
        del prov[key]
    removed[dotted] = origin


def _append(dst: dict[str, Any], path: tuple[str, ...], value: Any, prov: dict[str, str], origin: str) -> None:
    """`key+: [...]`: extend the list at `path` (its current value, else its documented default)."""
    dotted = ".".join(path)
    hint = _hint_at(path)
    if hint is not None and typing.get_origin(hint) not in (list, tuple, Sequence):
        raise ConfigError(f"{origin}: key '{dotted}+' appends to a list, but '{dotted}' is {_describe(hint)}")
    if not isinstance(value, list):
        shown = "null" if value is None else repr(value)
        raise ConfigError(f"{origin}: key '{dotted}+' appends to a list and must be a list, got {shown}")
    current = dst[path[-1]] if path[-1] in dst else _default_at(path)
    if not isinstance(current, list):
        raise ConfigError(f"{origin}: key '{dotted}+' appends to a list, but '{dotted}' is {current!r}")
    dst[path[-1]] = current + [_copy(v) for v in value]
    prov.setdefault(dotted, origin)
    for i in range(len(current), len(current) + len(value)):
        _mark(prov, (*path, str(i)), dst[path[-1]][i], origin)


def _default_at(path: tuple[str, ...]) -> Any:
    """The default of the dataclass field at `path` as plain YAML values; [] where there is none."""
    owner = _hint_at(path[:-1])
    if dataclasses.is_dataclass(owner):
        for f in dataclasses.fields(owner):
            if f.name == path[-1]:
                if f.default is not dataclasses.MISSING:
                    return _to_plain(f.default)
                if f.default_factory is not dataclasses.MISSING:
                    return _to_plain(f.default_factory())
    return []


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _mark(prov: dict[str, str], at: tuple[str, ...], value: Any, origin: str) -> None:
    prov[".".join(at)] = origin
    if isinstance(value, dict):
        for k, v in value.items():
            _mark(prov, (*at, str(k)), v, origin)


def _origin(prov: Mapping[str, str], dotted: str) -> str:
    """The file that set `dotted` or its nearest ancestor."""
    parts = dotted.split(".")
    while parts:
        key = ".".join(parts)
        if key in prov:
            return prov[key]
        parts.pop()
    return "configuration"


def _apply_override(merged: dict[str, Any], prov: dict[str, str], removed: dict[str, str], item: str) -> None:
    key, sep, text = item.partition("=")
    key = key.strip()
    append = key.endswith("+")
    key = key.removesuffix("+")
    if not sep or not key or any(not p for p in key.split(".")):
        raise ConfigError(f"--set {item!r}: expected dotted.key=value, e.g. --set paths.lake=/tmp/lake")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    path = _split_key(key)
    node = merged
    for i, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise ConfigError(f"--set {key}: {'.'.join(path[: i + 1])} is a value, not a section")
        node = child
    if append:
        _append(node, path, value, prov, "--set")
    elif value is None and _is_named_entry(path):
        _remove(node, path, prov, removed, "--set")
    else:
        removed.pop(".".join(path), None)
        node[path[-1]] = value
        _mark(prov, path, value, "--set")


def _split_key(key: str) -> tuple[str, ...]:
    """Split a dotted key using the schema, so `spark.conf.spark.sql.x` keeps `spark.sql.x` as one map key, while a
    mapping of sections or of mappings (`sources.crm.mapping`, `matching.training.fixed_m.address.postcode`) takes
    one part per level."""
    parts = key.split(".")
    hint: Any = Config
    out: list[str] = []
    i = 0
    while i < len(parts):
        base = _strip_optional(hint) if hint is not None else None
        if base is not None and _is_mapping(base):
            value_type = _strip_optional(typing.get_args(base)[1])
            if not (dataclasses.is_dataclass(value_type) or _is_mapping(value_type)):
                out.append(".".join(parts[i:]))  # a map of values: the rest is one key, dots and all
                break
            out.append(parts[i])
            hint = value_type
        else:
            out.append(parts[i])
            hint = _field_types(base).get(parts[i]) if base is not None and dataclasses.is_dataclass(base) else None
        i += 1
    return tuple(out)


def _interpolate(node: Any, prov: Mapping[str, str], env: Mapping[str, str], at: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        for k in list(node):
            node[k] = _interpolate(node[k], prov, env, (*at, k))
        return node
    if isinstance(node, list):
        return [_interpolate(v, prov, env, (*at, str(i))) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:

        def sub(m: re.Match[str]) -> str:
            escaped, name, default = m.group(1), m.group(2), m.group(3)
            if escaped:
                return m.group(0)[1:]
            if _SECRET_RE.search(name):
                raise ConfigError(
                    f"{_origin(prov, '.'.join(at))}: key '{'.'.join(at)}' uses ${{{name}}}, which holds a secret: "
                    "secrets never go into configuration (it is shipped with the job); credentials come from the "
                    "AWS default chain (instance or job role, environment, profile)"
                )
            if name in env:
                return env[name]
            if default is not None:
                return default
            dotted = ".".join(at)
            raise ConfigError(
                f"{_origin(prov, dotted)}: key '{dotted}' uses ${{{name}}} but the environment variable {name} "
                f"is not set (set it, or write ${{{name}:-default}})"
            )

        return _ENV_RE.sub(sub, node)
    return node


# --------------------------------------------------------------------------------------------------------------------
# Typed conversion
# --------------------------------------------------------------------------------------------------------------------


def _build(
    merged: dict[str, Any], prov: Mapping[str, str], removed: Mapping[str, str], files: tuple[str, ...]
) -> Config:
    for directive in _DIRECTIVES:
        merged.pop(directive, None)
    spark_conf = merged.get("spark", {}).get("conf", {}) if isinstance(merged.get("spark"), dict) else {}
    for key in spark_conf if isinstance(spark_conf, dict) else ():
        if _SECRET_RE.search(str(key).replace(".", "_")):
            raise ConfigError(
                f"{_origin(prov, f'spark.conf.{key}')}: key 'spark.conf.{key}' is a credential: secrets never go into "
                "configuration (it is shipped with the job); credentials come from the AWS default chain"
            )
    merged["files"] = list(files)
    cfg = _convert(Config, merged, prov, ())
    assert isinstance(cfg, Config)
    _check_source_names(cfg, prov, removed)
    return cfg


def _check_source_names(cfg: Config, prov: Mapping[str, str], removed: Mapping[str, str]) -> None:
    """Every key that names a source names one that is configured (an overlay may have removed it)."""
    named: list[tuple[str, str]] = []
    for attribute, rule in cfg.matching.survivorship.items():
        named += [(f"matching.survivorship.{attribute}.sources", s) for s in rule.sources]
    for name, contract in cfg.sources.items():
        named += [(f"sources.{name}.references.{i}.source", r.source) for i, r in enumerate(contract.references)]
        named += [(f"sources.{name}.customer_keys.{k}.source", c.source) for k, c in contract.customer_keys.items()]
    known = ", ".join(cfg.sources) or "none"
    for key, source in named:
        if source in cfg.sources:
            continue
        by = removed.get(f"sources.{source}")
        why = f"which {by} removed" if by else "which is not a configured source"
        raise ConfigError(f"{_origin(prov, key)}: key '{key}' names source {source!r}, {why}; sources: {known}")


def _field_types(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip_optional(hint: Any) -> Any:
    if _is_union(hint):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType)


def _is_mapping(hint: Any) -> bool:
    return typing.get_origin(hint) in (dict, Mapping, typing.get_origin(Mapping[str, str]))


def _describe(hint: Any) -> str:
    if hint is type(None):
        return "null"
    if _is_union(hint):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (list, tuple, Sequence):
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    if _is_mapping(hint):
        return f"a mapping of names to {_describe(typing.get_args(hint)[1])}"
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


def _convert(hint: Any, value: Any, prov: Mapping[str, str], at: tuple[str, ...]) -> Any:
    """`value` as the type `hint` declares, or a ConfigError naming the key, what it must be and what it is."""
    if hint is Any:
        return value
    converted = _convert_union(hint, value, prov, at) if _is_union(hint) else _convert_shaped(hint, value, prov, at)
    if converted is _REFUSED:
        dotted = ".".join(at)
        shown = "null" if value is None else repr(value)
        raise ConfigError(f"{_origin(prov, dotted)}: key '{dotted}' must be {_describe(hint)}, got {shown}")
    return converted


def _convert_union(hint: Any, value: Any, prov: Mapping[str, str], at: tuple[str, ...]) -> Any:
    options = typing.get_args(hint)
    if value is None and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        try:
            return _convert(option, value, prov, at)
        except ConfigError:
            continue
    return _REFUSED


def _convert_shaped(hint: Any, value: Any, prov: Mapping[str, str], at: tuple[str, ...]) -> Any:
    """A literal, a section, a mapping, a list or a scalar; `_REFUSED` when `value` is not of that shape."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value if value in typing.get_args(hint) else _REFUSED
    if dataclasses.is_dataclass(hint):
        return _convert_dataclass(hint, value, prov, at) if isinstance(value, dict) else _REFUSED
    if _is_mapping(hint):
        if not isinstance(value, dict):
            return _REFUSED
        value_type = typing.get_args(hint)[1]
        return {str(k): _convert(value_type, v, prov, (*at, str(k))) for k, v in value.items()}
    if origin in (list, tuple, Sequence):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return _REFUSED
        item_type = typing.get_args(hint)[0]
        return tuple(_convert(item_type, v, prov, (*at, str(i))) for i, v in enumerate(value))
    if hint in _SCALARS:
        return _SCALARS[hint](value)
    dotted = ".".join(at)
    raise ConfigError(f"{_origin(prov, dotted)}: key '{dotted}' has an unsupported type {hint!r}")  # pragma: no cover


def _convert_dataclass(cls: Any, value: dict[str, Any], prov: Mapping[str, str], at: tuple[str, ...]) -> Any:
    hints = _field_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            dotted = ".".join((*at, key))
            allowed = ", ".join(sorted(fields))
            close = _close_match(key, fields)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise ConfigError(f"{_origin(prov, dotted)}: unknown key '{dotted}'{hint}; allowed keys here: {allowed}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], prov, (*at, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            dotted = ".".join((*at, name))
            raise ConfigError(
                f"{_origin(prov, '.'.join(at)) if at else 'configuration'}: required key '{dotted}' is missing "
                f"(expected {_describe(hints[name])})"
            )
    return cls(**kwargs)


def _close_match(key: str, candidates: Mapping[str, Any]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.75)
    return found[0] if found else None


def resolved_yaml(config: Config, header: str = "") -> str:
    """The whole configuration as one self-contained YAML file: no `extends`, every `${ENV}` already resolved.
    `load_config([that file])` gives back an equal `Config` (the launcher ships it with a job)."""
    plain = _to_plain(config)
    plain.pop("files")
    body = yaml.safe_dump(_escape_env(plain), sort_keys=False, allow_unicode=True, width=120)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body


def _escape_env(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _escape_env(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_escape_env(v) for v in node]
    return node.replace("${", "$${") if isinstance(node, str) else node


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    return obj
