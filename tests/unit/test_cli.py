"""The `udp` command itself: help, version, and a suggestion for a misspelt name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from udp import __version__, cli
from udp.errors import unknown_name

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command_with_a_line_on_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main(["--help"])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: udp [-h] [--version] COMMAND ...")
    listed = {line.split()[0]: line for line in out.split("commands:\n")[1].splitlines() if line.startswith("  ")}
    assert set(listed) == set(cli.COMMANDS)
    assert all(len(line.split()) > 2 for line in listed.values())  # each with its synopsis


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main(["--version"])
    assert ended.value.code == 0
    assert capsys.readouterr().out.strip() == f"udp {__version__}"


def test_no_command_prints_the_help_on_stderr_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert capsys.readouterr().err.startswith("usage: udp")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rnu"], "udp: error: unknown command 'rnu' (did you mean 'run'?); commands: generate, run, config,"),
        (["run", "silvr"], "udp: error: unknown stage 'silvr' (did you mean 'silver'?); stages: bronze, silver, gold,"),
        (["frobnicate"], "udp: error: unknown command 'frobnicate'; commands: generate,"),
    ],
)
def test_a_misspelt_name_is_refused_with_the_closest_one(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith(message)


def test_an_option_before_the_command_is_refused_with_where_it_goes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--conf", "x.yaml", "run", "bronze"]) == 2
    assert capsys.readouterr().err.startswith("udp: error: --conf: options go after the command, e.g. udp run ")


def test_a_commands_usage_names_it_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    typed = [(["sql", "--help"], "usage: udp sql "), (["run", "silver", "--help"], "usage: udp run silver ")]
    for argv, usage in typed:
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert capsys.readouterr().out.startswith(usage)


def test_unknown_name_lists_the_known_ones_under_the_given_label() -> None:
    assert unknown_name("source", "ecomm", ["crm", "ecom"], "sources in the contract") == (
        "unknown source 'ecomm' (did you mean 'ecom'?); sources in the contract: crm, ecom"
    )


def _udp_config(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UDP_")} | extra_env
    command = [sys.executable, "-m", "udp.cli", "config", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_udp_finds_its_configuration_from_any_directory(tmp_path: Path) -> None:
    done = _udp_config(tmp_path)  # no conf/ here: the copy installed with udp
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spark"]["app_name"] == "udp"
    done = _udp_config(tmp_path, "--conf", "conf/emr.yaml", UDP_BUCKET="a-bucket")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["paths"]["raw"].startswith("s3://a-bucket/")


def test_a_configuration_in_the_working_directory_comes_first(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "conf", tmp_path / "conf")
    base = tmp_path / "conf" / "base.yaml"
    base.write_text(base.read_text().replace("app_name: udp", "app_name: mine"))
    done = _udp_config(tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spark"]["app_name"] == "mine"
    missing = _udp_config(tmp_path, "--conf", "conf/nope.yaml")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "udp: error: config file not found: conf/nope.yaml"
    bare = _udp_config(tmp_path, "--conf", "local.yaml")  # only conf/<file> falls back to udp's own copy
    assert bare.returncode == 2
    assert bare.stderr.strip() == "udp: error: config file not found: local.yaml"
