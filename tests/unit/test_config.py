from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from udp.config import Config, load_config
from udp.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_config_imports_nothing_from_silver_gold_or_personalize() -> None:
    # config is the bottom of the stack: a layer may import it, never the reverse (not even transitively).
    probe = (
        "import sys, udp.config; "
        "print(sorted(m for m in sys.modules if m.startswith(('udp.silver', 'udp.gold', 'udp.personalize'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_local_overlay_extends_base_and_reads_defaults() -> None:
    cfg = load_config([LOCAL], env={})
    assert cfg.paths.raw == "./data/raw"
    assert cfg.spark.mode == "local"
    assert cfg.catalog.implementation == "hive"
    assert cfg.lake.vacuum_retention_hours == 168
    assert [Path(f).name for f in cfg.files] == [
        "sources.yaml",
        "matching.yaml",
        "gold.yaml",
        "personalize.yaml",
        "base.yaml",
        "local.yaml",
    ]


def test_env_interpolation_with_and_without_default() -> None:
    cfg = load_config([LOCAL], env={"UDP_LAKE": "/mnt/lake"})
    assert cfg.paths.lake == "/mnt/lake"
    assert cfg.paths.export == "./data/export"


def test_unset_env_var_names_file_key_and_variable() -> None:
    expected = r"emr\.yaml: key 'paths\.raw' uses \$\{UDP_BUCKET\}.*UDP_BUCKET is not set"
    with pytest.raises(ConfigError, match=expected):
        load_config([str(ROOT / "conf" / "emr.yaml")], env={})


def test_emr_overlay_is_cluster_mode_with_bucket_from_env() -> None:
    cfg = load_config([str(ROOT / "conf" / "emr.yaml")], env={"UDP_BUCKET": "acme-data"})
    assert cfg.spark.mode == "cluster"
    assert cfg.paths.lake == "s3://acme-data/lake"
    assert cfg.catalog.database_prefix == "udp_"


def test_set_overrides_win_and_are_typed() -> None:
    cfg = load_config([LOCAL], ["paths.lake=/tmp/l", "lake.vacuum_retention_hours=24", "catalog.enabled=false"], env={})
    assert (cfg.paths.lake, cfg.lake.vacuum_retention_hours, cfg.catalog.enabled) == ("/tmp/l", 24, False)


def test_set_keeps_dotted_spark_conf_names_as_one_key() -> None:
    cfg = load_config([LOCAL], ["spark.conf.spark.sql.shuffle.partitions=3"], env={})
    assert cfg.spark.conf == {"spark.sql.shuffle.partitions": "3"}


def test_misspelt_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    conf = write(tmp_path / "mine.yaml", f"extends: {LOCAL}\npaths:\n  lakee: /x\n")
    with pytest.raises(ConfigError) as err:
        load_config([conf], env={})
    message = str(err.value)
    assert message.startswith(f"{conf}: unknown key 'paths.lakee' (did you mean 'lake'?)")
    assert "allowed keys here: export, lake, raw" in message


def test_misspelt_set_key_is_attributed_to_set() -> None:
    with pytest.raises(ConfigError, match=r"^--set: unknown key 'spark\.mastr' \(did you mean 'master'\?\)"):
        load_config([LOCAL], ["spark.mastr=local[1]"], env={})


def test_wrong_type_names_expected_type(tmp_path: Path) -> None:
    conf = write(tmp_path / "t.yaml", f"extends: {LOCAL}\nlake:\n  vacuum_retention_hours: soon\n")
    with pytest.raises(
        ConfigError, match=r"t\.yaml: key 'lake\.vacuum_retention_hours' must be an integer, got 'soon'"
    ):
        load_config([conf], env={})


def test_enum_value_lists_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"key 'spark\.mode' must be one of 'local', 'cluster', got 'yarn'"):
        load_config([LOCAL], ["spark.mode=yarn"], env={})


def test_missing_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^config file not found: conf/nope\.yaml$"):
        load_config(["conf/nope.yaml"], env={})


def test_missing_extended_file_names_the_file_that_extends_it(tmp_path: Path) -> None:
    conf = write(tmp_path / "a.yaml", "extends: gone.yaml\n")
    with pytest.raises(ConfigError, match=r"config file not found: .*gone\.yaml \(extended by .*a\.yaml\)"):
        load_config([conf], env={})


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    conf = write(tmp_path / "a.yaml", "extends: b.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config([conf], env={})


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    conf = write(tmp_path / "bad.yaml", "paths:\n  raw: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: invalid YAML at line \d+"):
        load_config([conf], env={})


def test_required_key_missing(tmp_path: Path) -> None:
    conf = write(tmp_path / "empty.yaml", "spark:\n  mode: local\n")
    with pytest.raises(ConfigError, match=r"required key 'paths' is missing"):
        load_config([conf], env={})


def test_malformed_set_item() -> None:
    with pytest.raises(ConfigError, match=r"--set 'paths\.lake': expected dotted\.key=value"):
        load_config([LOCAL], ["paths.lake"], env={})


def test_with_overrides_returns_new_frozen_config() -> None:
    cfg = load_config([LOCAL], env={})
    other = cfg.with_overrides("paths.lake=/elsewhere")
    assert isinstance(other, Config)
    assert (cfg.paths.lake, other.paths.lake) == ("./data/lake", "/elsewhere")
    with pytest.raises(AttributeError):
        other.paths.lake = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------------------------
# Overlays for a user adding foreign sources: remove named entries, append to lists
# --------------------------------------------------------------------------------------------------------------------

NO_CRM_SURVIVORSHIP = """
matching:
  survivorship:
    first_name: {sources: [ecom, support]}
    last_name: {sources: [ecom, support]}
    email: {sources: [ecom, support]}
    phone: {sources: [ecom, support]}
    date_of_birth: null
    gender: null
    loyalty_id: null
    loyalty_tier: null
"""


def test_null_removes_a_source_from_an_overlay(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "o.yaml",
        f"extends: {LOCAL}\nsources:\n  crm: null\n  pos: null\n{NO_CRM_SURVIVORSHIP}",
    )
    cfg = load_config([conf], env={})
    assert "crm" not in cfg.sources
    assert "pos" not in cfg.sources
    assert "ecom" in cfg.sources
    assert "date_of_birth" not in cfg.matching.survivorship
    assert cfg.matching.survivorship["email"].sources == ("ecom", "support")


def test_null_removes_a_named_entry_with_set() -> None:
    cfg = load_config([LOCAL], ["matching.survivorship.gender=null", "sources.thirdparty=null"], env={})
    assert "gender" not in cfg.matching.survivorship
    assert "thirdparty" not in cfg.sources
    assert "loyalty_id" in cfg.matching.survivorship


def test_a_removed_source_can_be_defined_again_by_a_later_overlay(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", f"extends: {LOCAL}\nsources:\n  thirdparty: null\n")
    second = write(
        tmp_path / "b.yaml",
        "sources:\n  thirdparty:\n    entity: enrichment\n    path: tp/*/*.csv\n    format: csv\n"
        "    schema: district STRING\n    key: [district]\n",
    )
    cfg = load_config([first, second], env={})
    assert cfg.sources["thirdparty"].path == "tp/*/*.csv"
    assert cfg.sources["thirdparty"].mapping == {}


def test_a_removed_source_still_named_in_survivorship_names_the_key(tmp_path: Path) -> None:
    conf = write(tmp_path / "o.yaml", f"extends: {LOCAL}\nsources:\n  crm: null\n  pos: null\n")
    with pytest.raises(ConfigError) as err:
        load_config([conf], env={})
    assert str(err.value).startswith(
        f"{ROOT / 'conf' / 'matching.yaml'}: key 'matching.survivorship.first_name.sources' names source 'crm', "
        f"which {conf} removed; sources: ecom, oms, clickstream,"
    )


def test_a_removed_source_still_referenced_by_another_source_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"key 'sources\.oms\.references\.0\.source' names source 'erp', which --set"):
        load_config([LOCAL], ["sources.erp=null"], env={})


def test_a_survivorship_rule_naming_an_unknown_source_is_an_error() -> None:
    with pytest.raises(
        ConfigError, match=r"^--set: key 'matching\.survivorship\.city\.sources' names source 'crmm', which is not a"
    ):
        load_config([LOCAL], ["matching.survivorship.city.sources=[crmm]"], env={})


def test_null_on_a_plain_value_is_still_a_type_error() -> None:
    with pytest.raises(ConfigError, match=r"key 'paths\.lake' must be a string, got null"):
        load_config([LOCAL], ["paths.lake=null"], env={})


def test_plus_suffix_appends_to_a_list_in_yaml(tmp_path: Path) -> None:
    base = load_config([LOCAL], env={})
    conf = write(
        tmp_path / "o.yaml",
        f"extends: {LOCAL}\nmatching:\n  blocking:\n    rules+:\n      - {{name: dob, keys: [date_of_birth]}}\n"
        "  standardise:\n    titles: [mr]\n",
    )
    cfg = load_config([conf], env={})
    names = [r.name for r in cfg.matching.blocking.rules]
    assert names == [*(r.name for r in base.matching.blocking.rules), "dob"]
    assert cfg.matching.standardise.titles == ("mr",)  # a plain key still replaces


def test_plus_suffix_appends_with_set() -> None:
    cfg = load_config([LOCAL], ["matching.deterministic.identifiers+=[postcode]"], env={})
    assert cfg.matching.deterministic.identifiers == ("email", "phone_mobile", "loyalty_id", "postcode")


def test_plus_suffix_appends_to_the_documented_default_when_no_file_sets_the_list(tmp_path: Path) -> None:
    conf = write(tmp_path / "alone.yaml", "paths: {raw: r, lake: l, export: e}\nmatching:\n  guards+: [email]\n")
    assert load_config([conf], env={}).matching.guards == ("first_name", "date_of_birth", "email")


def test_plus_suffix_on_a_key_that_is_not_a_list_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^--set: key 'paths\.lake\+' appends to a list, but 'paths\.lake' is a str"):
        load_config([LOCAL], ["paths.lake+=[x]"], env={})


def test_plus_suffix_with_a_value_that_is_not_a_list_names_the_key(tmp_path: Path) -> None:
    conf = write(tmp_path / "o.yaml", f"extends: {LOCAL}\nmatching:\n  guards+: first_name\n")
    with pytest.raises(ConfigError, match=r"o\.yaml: key 'matching\.guards\+' appends to a list and must be a list"):
        load_config([conf], env={})


def test_an_error_in_an_appended_item_names_the_overlay(tmp_path: Path) -> None:
    conf = write(tmp_path / "o.yaml", f"extends: {LOCAL}\nmatching:\n  blocking:\n    rules+:\n      - {{nme: x}}\n")
    appended = len(load_config([LOCAL], env={}).matching.blocking.rules)  # the new item's index
    with pytest.raises(ConfigError, match=rf"o\.yaml: unknown key 'matching\.blocking\.rules\.{appended}\.nme'"):
        load_config([conf], env={})


def test_set_reaches_into_a_mapping_of_mappings_one_level_per_part() -> None:
    cfg = load_config([LOCAL], ["matching.training.fixed_m.address.postcode=0.2", "spark.conf.spark.sql.x.y=1"], env={})
    assert cfg.matching.training.fixed_m["address"] == {"postcode": 0.2}
    assert cfg.spark.conf["spark.sql.x.y"] == "1"  # a map of values keeps the rest of the key whole
