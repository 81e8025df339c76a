"""The configuration as plain YAML data, laid together layer by layer before it is typed (udp/config_convert.py).

`Overlay` reads files (each after the files it `extends`), lays each over what is there, then applies `--set`
overrides and substitutes `${ENV}`. It records which file (or `--set`) set each dotted key, so every error names the
file, and which named entries a layer removed. The schema (the dataclass the data will become) says which keys are
lists (`key+:` appends) and which mappings hold named entries (`name: null` removes one).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from udp.config_convert import describe, field_types, is_list, is_mapping, origin_of, strip_optional, to_plain
from udp.errors import ConfigError

# `${NAME}` or `${NAME:-default}`; `$${...}` is a literal `${...}` (how a resolved file keeps a value that has one).
_ENV_RE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Names of environment variables and Spark confs that hold credentials. Configuration is resolved where a job is
# launched and shipped with it (udp/launch.py), so a credential in it would travel in the job's archive.
_SECRET_RE = re.compile(r"(?i)(secret|password|passwd|session_?token|access_?key(?!_?id)|private_?key|credentials?$)")


def names_secret(name: str) -> bool:
    """Whether `name` (an environment variable, or a Spark conf with `_` for `.`) is one that holds a credential."""
    return _SECRET_RE.search(name) is not None


@dataclass
class Overlay:
    """Plain configuration data being laid together: `values`; `origins`, dotted key -> the file (or `--set`) that
    set it; `removed`, dotted key of a removed named entry -> who removed it; `files`, the files read in order."""

    schema: Any
    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def read(self, path: Path, stack: tuple[str, ...] = ()) -> None:
        """Lay the file at `path` over the values, after the files it `extends` (`stack`: the files extending it)."""
        name = str(path)
        if name in stack:
            raise ConfigError(f"{stack[-1]}: 'extends' forms a cycle through {name}")
        if not path.is_file():
            where = f" (extended by {stack[-1]})" if stack else ""
            raise ConfigError(f"config file not found: {name}{where}")
        data = _read_yaml(path)
        parents = data.pop("extends", [])
        if isinstance(parents, str):
            parents = [parents]
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            raise ConfigError(f"{name}: 'extends' must be a file name or a list of file names")
        for parent in parents:
            self.read(path.parent / parent, (*stack, name))
        self._merge(self.values, data, origin=name, at=())
        self.files.append(name)

    def override(self, item: str) -> None:
        """Apply one `--set dotted.key=value`: `key+=[...]` appends, `name=null` removes a named entry."""
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
        path = self._split_key(key)
        node = self.values
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise ConfigError(f"--set {key}: {'.'.join(path[: i + 1])} is a value, not a section")
            node = child
        if append:
            self._append(node, path, value, "--set")
        elif value is None and self._is_named_entry(path):
            self._remove(node, path, "--set")
        else:
            self.removed.pop(".".join(path), None)
            node[path[-1]] = value
            self._mark(path, value, "--set")

    def substitute_env(self, env: Mapping[str, str]) -> None:
        """Replace `${NAME}` and `${NAME:-default}` in every string value from `env`."""
        _interpolate(self.values, self.origins, env, ())

    def _merge(self, dst: dict[str, Any], src: Mapping[str, Any], *, origin: str, at: tuple[str, ...]) -> None:
        for key, value in src.items():
            if not isinstance(key, str):
                raise ConfigError(f"{origin}: key {'.'.join((*at, str(key)))!r} must be a string")
            if key.endswith("+") and len(key) > 1:
                self._append(dst, (*at, key[:-1]), value, origin)
                continue
            here = (*at, key)
            if value is None and self._is_named_entry(here):
                self._remove(dst, here, origin)
                continue
            self.removed.pop(".".join(here), None)
            if isinstance(value, dict):
                # Merge into a fresh section too, so `null` removals and `+` appends inside it are applied, not copied.
                if not isinstance(dst.get(key), dict):
                    dst[key] = {}
                    self.origins[".".join(here)] = origin
                self._merge(dst[key], value, origin=origin, at=here)
            else:
                dst[key] = _copy(value)
                self._mark(here, value, origin)

    def _append(self, dst: dict[str, Any], path: tuple[str, ...], value: Any, origin: str) -> None:
        """`key+: [...]`: extend the list at `path` (its current value, else its documented default)."""
        dotted = ".".join(path)
        hint = self._hint_at(path)
        if hint is not None and not is_list(hint):
            raise ConfigError(f"{origin}: key '{dotted}+' appends to a list, but '{dotted}' is {describe(hint)}")
        if not isinstance(value, list):
            shown = "null" if value is None else repr(value)
            raise ConfigError(f"{origin}: key '{dotted}+' appends to a list and must be a list, got {shown}")
        current = dst[path[-1]] if path[-1] in dst else self._default_at(path)
        if not isinstance(current, list):
            raise ConfigError(f"{origin}: key '{dotted}+' appends to a list, but '{dotted}' is {current!r}")
        dst[path[-1]] = current + [_copy(v) for v in value]
        self.origins.setdefault(dotted, origin)
        for i in range(len(current), len(current) + len(value)):
            self._mark((*path, str(i)), dst[path[-1]][i], origin)

    def _remove(self, dst: dict[str, Any], path: tuple[str, ...], origin: str) -> None:
        dst.pop(path[-1], None)
        dotted = ".".join(path)
        for key in [k for k in self.origins if k == dotted or k.startswith(dotted + ".")]:
            del self.origins[key]
        self.removed[dotted] = origin

    def _mark(self, at: tuple[str, ...], value: Any, origin: str) -> None:
        self.origins[".".join(at)] = origin
        if isinstance(value, dict):
            for k, v in value.items():
                self._mark((*at, str(k)), v, origin)

    def _hint_at(self, path: Sequence[str]) -> Any:
        """The declared type of the value at `path` in the schema, or None where the schema does not say."""
        hint: Any = self.schema
        for part in path:
            hint = strip_optional(hint)
            if dataclasses.is_dataclass(hint):
                hint = field_types(hint).get(part)
                if hint is None:
                    return None
            elif is_mapping(hint):
                hint = typing.get_args(hint)[1]
            elif is_list(hint):
                hint = typing.get_args(hint)[0]
            else:
                return None
        return strip_optional(hint)

    def _is_named_entry(self, path: tuple[str, ...]) -> bool:
        """Whether `path` is one entry of a mapping of named sections (a source, a survivorship rule, ...)."""
        parent = self._hint_at(path[:-1]) if path else None
        if parent is None or not is_mapping(parent):
            return False
        return _holds_sections(parent)

    def _default_at(self, path: tuple[str, ...]) -> Any:
        """The default of the dataclass field at `path` as plain YAML values; [] where there is none."""
        owner = self._hint_at(path[:-1])
        if dataclasses.is_dataclass(owner):
            for f in dataclasses.fields(owner):
                if f.name == path[-1]:
                    if f.default is not dataclasses.MISSING:
                        return to_plain(f.default)
                    if f.default_factory is not dataclasses.MISSING:
                        return to_plain(f.default_factory())
        return []

    def _split_key(self, key: str) -> tuple[str, ...]:
        """Split a dotted key using the schema, so `spark.conf.spark.sql.x` keeps `spark.sql.x` as one map key, while
        a mapping of sections or of mappings (`sources.crm.mapping`, `matching.training.fixed_m.address.postcode`)
        takes one part per level."""
        parts = key.split(".")
        hint: Any = self.schema
        out: list[str] = []
        for i, part in enumerate(parts):
            base = strip_optional(hint) if hint is not None else None
            if base is not None and is_mapping(base):
                if not _holds_sections(base):
                    out.append(".".join(parts[i:]))  # a map of values: the rest is one key, dots and all
                    break
                out.append(part)
                hint = strip_optional(typing.get_args(base)[1])
            else:
                out.append(part)
                hint = field_types(base).get(part) if base is not None and dataclasses.is_dataclass(base) else None
        return tuple(out)


def _holds_sections(mapping_hint: Any) -> bool:
    """Whether a mapping type's values are sections (dataclasses) or mappings, rather than plain values."""
    entry = strip_optional(typing.get_args(mapping_hint)[1])
    return dataclasses.is_dataclass(entry) or is_mapping(entry)


def _read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of the YAML file at `path` ({} when empty)."""
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{name}: invalid YAML{at}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping of keys at the top level, found {type(data).__name__}")
    return data


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def escape_env(node: Any) -> Any:
    """`node` with every `${` written `$${`, so substitution reads it back unchanged (for an already resolved file)."""
    if isinstance(node, dict):
        return {k: escape_env(v) for k, v in node.items()}
    if isinstance(node, list):
        return [escape_env(v) for v in node]
    return node.replace("${", "$${") if isinstance(node, str) else node


def _interpolate(node: Any, origins: Mapping[str, str], env: Mapping[str, str], at: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        for k in list(node):
            node[k] = _interpolate(node[k], origins, env, (*at, k))
        return node
    if isinstance(node, list):
        return [_interpolate(v, origins, env, (*at, str(i))) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        dotted = ".".join(at)

        def sub(m: re.Match[str]) -> str:
            escaped, name, default = m.group(1), m.group(2), m.group(3)
            if escaped:
                return m.group(0)[1:]
            if names_secret(name):
                raise ConfigError(
                    f"{origin_of(origins, dotted)}: key '{dotted}' uses ${{{name}}}, which holds a secret: "
                    "secrets never go into configuration (it is shipped with the job); credentials come from the "
                    "AWS default chain (instance or job role, environment, profile)"
                )
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{origin_of(origins, dotted)}: key '{dotted}' uses ${{{name}}} but the environment variable {name} "
                f"is not set (set it, or write ${{{name}:-default}})"
            )

        return _ENV_RE.sub(sub, node)
    return node
