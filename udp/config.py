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

This module is the configuration's API: the dataclasses, `load_config` and `resolved_yaml`. Reading and overlaying
the files is udp/config_overlay.py; turning the plain result into these dataclasses is udp/config_convert.py.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from udp.config_convert import convert, origin_of, to_plain
from udp.config_overlay import Overlay, escape_env, names_secret
from udp.contracts import SourceContract
from udp.errors import ConfigError
from udp.settings.gold import GoldSettings
from udp.settings.matching import MatchingSettings
from udp.settings.personalize import PersonalizeSettings

DEFAULT_CONF = "conf/local.yaml"
LAYERS = ("bronze", "silver", "gold", "udp")  # udp: the run log (udp._runs, udp._run_steps)


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
        values = to_plain(self)
        files = values.pop("files")
        overlay = Overlay(Config, values, files=files)
        for item in overrides:
            overlay.override(item)
        return _build(overlay)


# --------------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------------

# Keys that are not configuration values but loader directives.
_DIRECTIVES = ("extends",)


def conf_path(name: str) -> Path:
    """A configuration file by the name given: relative to the working directory when it is there, else, for
    `conf/<file>`, the copy installed with udp as the package `udp.conf`, so `udp` works from any directory. A file
    found nowhere keeps its given name, for the not-found error."""
    path = Path(name)
    if path.is_absolute() or path.exists() or path.parts[:1] != ("conf",):
        return path
    try:
        packaged = Path(str(importlib.resources.files("udp.conf"))) / path.relative_to("conf")
    except ModuleNotFoundError:  # udp shipped without its conf/ (a job's zip on a cluster): the name as given
        return path
    return packaged if packaged.is_file() else path


def load_config(
    conf_files: Sequence[str] = (), overrides: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Config:
    """Load `conf_files` (default `conf/local.yaml`) with their `extends`, then apply `--set` overrides."""
    overlay = Overlay(Config)
    for f in list(conf_files) or [DEFAULT_CONF]:
        overlay.read(conf_path(f))
    for item in overrides:
        overlay.override(item)
    overlay.substitute_env(os.environ if env is None else env)
    return _build(overlay)


def _build(overlay: Overlay) -> Config:
    merged, origins = overlay.values, overlay.origins
    for directive in _DIRECTIVES:
        merged.pop(directive, None)
    spark_conf = merged.get("spark", {}).get("conf", {}) if isinstance(merged.get("spark"), dict) else {}
    for key in spark_conf if isinstance(spark_conf, dict) else ():
        if names_secret(str(key).replace(".", "_")):
            raise ConfigError(
                f"{origin_of(origins, f'spark.conf.{key}')}: key 'spark.conf.{key}' is a credential: secrets never go "
                "into configuration (it is shipped with the job); credentials come from the AWS default chain"
            )
    merged["files"] = list(overlay.files)
    cfg = convert(Config, merged, origins, ())
    assert isinstance(cfg, Config)
    _check_source_names(cfg, origins, overlay.removed)
    return cfg


def _check_source_names(cfg: Config, origins: Mapping[str, str], removed: Mapping[str, str]) -> None:
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
        raise ConfigError(f"{origin_of(origins, key)}: key '{key}' names source {source!r}, {why}; sources: {known}")


def resolved_yaml(config: Config, header: str = "") -> str:
    """The whole configuration as one self-contained YAML file: no `extends`, every `${ENV}` already resolved.
    `load_config([that file])` gives back an equal `Config` (the launcher ships it with a job)."""
    plain = to_plain(config)
    plain.pop("files")
    body = yaml.safe_dump(escape_env(plain), sort_keys=False, allow_unicode=True, width=120)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body
