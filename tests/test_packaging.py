"""Packaging and the CLI's front door."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import tfsr
from tfsr.cli import COMMANDS, main
from tfsr.commands.info import format_markdown, model_table
from tfsr.config import Config

REPO = Path(__file__).resolve().parents[1]


def test_setup_cfg_lists_every_package() -> None:
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "tfsr").rglob("__init__.py")}
    on_disk |= {"tfsr.export"} if (REPO / "export" / "__init__.py").exists() else set()
    on_disk |= {"tfsr.configs"} if (REPO / "configs" / "__init__.py").exists() else set()
    assert on_disk - listed == set(), "add these packages to setup.cfg [options] packages"
    assert "tfsr.export = export" in parser["options"]["package_dir"]
    assert "tfsr.configs = configs" in parser["options"]["package_dir"]


def test_export_stage_imports_as_tfsr_export() -> None:
    import tfsr.export

    assert Path(tfsr.export.__file__).resolve().parent == REPO / "export"


def test_configs_ship_as_package_data_and_are_found_without_the_checkout(tmp_path: Path) -> None:
    # A non-editable install: setuptools copies the packages and their data into a fresh folder, as a wheel
    # would, and `bundled_configs()` imported from there must find the copies there, not the repository's.
    build = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "--build-lib", str(build)],
        cwd=REPO, check=True, capture_output=True,
    )
    shipped = {str(p.relative_to(build / "tfsr" / "configs")) for p in (build / "tfsr" / "configs").rglob("*.yaml")}
    in_repo = {str(p.relative_to(REPO / "configs")) for p in (REPO / "configs").rglob("*.yaml")}
    assert shipped == in_repo, "setup.cfg's package_data for tfsr.configs misses some YAML files"
    probe = (
        "import tfsr.config as c; d = c.bundled_configs(); print(d); "
        "print(c.load_config(d / 'demo_stage1.yaml').training.stage)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(build)},
        capture_output=True, text=True, check=True,
    )
    found, stage = out.stdout.split()[-2:]
    assert Path(found) == build / "tfsr" / "configs" and stage == "high_to_low"


def test_demo_finds_its_configs_through_the_package() -> None:
    from tfsr.commands import demo
    from tfsr.config import bundled_configs

    assert bundled_configs() == REPO / "configs"  # this checkout is installed editable
    assert "parents[" not in Path(demo.__file__).read_text()


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


def test_docs_model_table_matches_the_networks() -> None:
    table = format_markdown(model_table(Config()))
    assert table in (REPO / "docs" / "training.md").read_text(), (
        "docs/training.md's model table is stale: run `tfsr info --markdown`"
    )


def test_readme_is_a_short_entry_point_and_its_links_resolve() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) < 250
    assert readme.split("```")[1].split()[:2] == ["make", "demo"], "the first lines must be make demo / make test"
    for doc in ("data", "training", "export", "enhance", "evaluation", "official_weights", "android",
                "performance", "security", "deviations"):
        assert f"docs/{doc}.md" in readme and (REPO / "docs" / f"{doc}.md").is_file(), doc


def test_relative_links_of_the_docs_resolve() -> None:
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to a missing {target}"
