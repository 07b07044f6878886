"""Packaging and the CLI's front door."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import tfsr
from tfsr.cli import COMMANDS, main

REPO = Path(__file__).resolve().parents[1]


def test_setup_cfg_lists_every_package() -> None:
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "tfsr").rglob("__init__.py")}
    on_disk |= {"tfsr.export"} if (REPO / "export" / "__init__.py").exists() else set()
    assert on_disk - listed == set(), "add these packages to setup.cfg [options] packages"
    assert "tfsr.export = export" in parser["options"]["package_dir"]


def test_export_stage_imports_as_tfsr_export() -> None:
    import tfsr.export

    assert Path(tfsr.export.__file__).resolve().parent == REPO / "export"


def test_version_and_help() -> None:
    out = subprocess.run([sys.executable, "-m", "tfsr.cli", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"tfsr {tfsr.__version__}"
    helptext = subprocess.run([sys.executable, "-m", "tfsr.cli", "--help"], capture_output=True, text=True, check=True)
    for name in ("info", "demo", "train", "export", "enhance", "evaluate", "prepare", "convert-official"):
        assert name in COMMANDS
        assert name in helptext.stdout


def test_user_mistake_is_one_line_without_traceback(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  varient: paper\n")
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"tfsr info: error: {bad}: unknown key 'model.varient' (did you mean 'variant'?)"


def test_readme_model_table_matches_the_networks() -> None:
    from tfsr.commands.info import format_markdown, model_table
    from tfsr.config import Config

    table = format_markdown(model_table(Config()))
    assert table in (REPO / "README.md").read_text(), "README's model table is stale: run `tfsr info --markdown`"
