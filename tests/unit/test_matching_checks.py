"""The matching configuration checked whole before Spark starts (udp/silver/checks.py): no Spark here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from udp.config import load_config
from udp.errors import ConfigError
from udp.silver.checks import check_matching, matching_problems

ROOT = Path(__file__).resolve().parents[2]
LOCAL = str(ROOT / "conf" / "local.yaml")


@pytest.mark.parametrize(
    "files", [["local.yaml"], ["emr.yaml"], ["local.yaml", "../bench/febrl.yaml"]], ids=["local", "emr", "febrl"]
)
def test_the_shipped_configurations_name_only_what_exists(files: list[str]) -> None:
    env = {"UDP_BUCKET": "bucket", "UDP_LAKE": "s3://bucket/lake"}
    config = load_config([str(ROOT / "conf" / f) for f in files], env=env)
    assert matching_problems(config.matching) == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("matching.blocking.rules+=[{name: n2, keys: [email, nme]}]", "matching.blocking rule 'n2': unknown key 'nme'"),
        (
            "matching.blocking.rules+=[{name: s2, keys: [email], swap_keys: [phone, email]}]",
            "matching.blocking rule 's2': swap_keys must have as many keys as keys",
        ),
        ("matching.training.blocking_rules=[name, nmae]", "matching.training.blocking_rules: unknown rule 'nmae'"),
        (
            "matching.deterministic.identifiers=[email, ssn]",
            "matching.deterministic.identifiers: unknown identifier 'ssn'",
        ),
        ("matching.training.term_frequency=[first_name, city]", "matching.training.term_frequency: unknown comparison"),
        ("matching.guards=[first_name, dob]", "matching.guards: unknown comparison 'dob'; comparisons: first_name,"),
        ("matching.cluster.conflicts=[birthday]", "matching.cluster.conflicts: unknown comparison 'birthday'"),
        ("matching.survivorship.shoe_size.prefer=recent", "matching.survivorship: unknown attribute 'shoe_size'"),
        (
            "matching.compound_guards={g: {email: [similar]}}",
            "matching.compound_guards.g.email: unknown level(s) similar; levels: exact, else, missing",
        ),
        (
            "matching.corroboration.phone=[exact]",
            "matching.corroboration.phone: unknown level(s) exact; levels: exact_mobile",
        ),
        (
            "matching.training.fixed_m.address.postcde=0.2",
            "matching.training.fixed_m.address: unknown level(s) postcde",
        ),
    ],
)
def test_every_name_the_matching_configuration_uses_must_exist(override: str, message: str) -> None:
    config = load_config([LOCAL], [override], env={})
    with pytest.raises(ConfigError) as raised:
        check_matching(config.matching)
    assert str(raised.value).startswith(message)


def test_no_more_blocking_rules_than_a_pair_has_bits_for_the_rules_that_found_it() -> None:
    shipped = len(load_config([LOCAL], env={}).matching.blocking.rules)
    extra = ", ".join(f"{{name: extra{i}, keys: [email]}}" for i in range(64 - shipped))
    config = load_config([LOCAL], [f"matching.blocking.rules+=[{extra}]"], env={})
    with pytest.raises(ConfigError, match=r"^matching\.blocking\.rules: 64 rules, at most 63$"):
        check_matching(config.matching)


def test_all_problems_are_counted_and_the_first_is_named() -> None:
    config = load_config([LOCAL], ["matching.guards=[dob]", "matching.cluster.conflicts=[birthday]"], env={})
    with pytest.raises(ConfigError, match=r"^matching\.guards: unknown comparison 'dob'.* \(and 1 more\)$"):
        check_matching(config.matching)


def test_udp_config_and_the_pipeline_refuse_an_unknown_name_before_any_stage_runs(tmp_path: Path) -> None:
    for command in (["config"], ["run", "pipeline", "--set", f"paths.raw={tmp_path}"]):
        done = subprocess.run(
            [sys.executable, "-m", "udp.cli", *command, "--set", "matching.guards=[dob]"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("udp: error: matching.guards: unknown comparison 'dob'"), done.stderr
        assert "bronze" not in done.stdout  # no stage started, so no stage summary
