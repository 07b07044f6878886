"""The typed config: YAML in, dataclasses out, and every mistake named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tfsr.config import Config, load_config
from tfsr.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, data: object, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_demo_config_loads_typed_values() -> None:
    cfg = load_config(REPO / "configs" / "demo.yaml")
    assert isinstance(cfg, Config)
    assert cfg.data.demo is True
    # The demo is the small recipe (configs/small/base.yaml) on the demo data.
    assert cfg.model.low_to_high.group_filters == [64, 32, 32] and cfg.model.low_to_high.input_skip
    assert cfg.model.lr_size == 16
    assert cfg.source.endswith("demo.yaml")


def test_defaults_are_the_papers() -> None:
    cfg = Config()
    t = cfg.training
    assert (t.alpha, t.beta, t.n_critic) == (1.0, 0.05, 5)
    assert (t.g_optimizer.learning_rate, t.g_optimizer.beta_1, t.g_optimizer.beta_2) == (1e-4, 0.0, 0.9)
    assert cfg.model.low_to_high.group_blocks == [12, 3, 2]
    assert cfg.model.discriminator.filters == 128


def test_override_sets_nested_value_with_yaml_typing(tmp_path: Path) -> None:
    path = write(tmp_path, {"data": {"demo": True}})
    cfg = load_config(path, ["training.batch_size=10", "model.low_to_high.group_filters=[8, 8, 8]"])
    assert cfg.training.batch_size == 10
    assert cfg.model.low_to_high.group_filters == [8, 8, 8]


@pytest.mark.parametrize(
    "data, overrides, fragment",
    [
        ({"training": {"batchsize": 8}}, [], "unknown key 'training.batchsize' (did you mean 'batch_size'?)"),
        ({"model": {"variant": "huge"}}, [], "model.variant must be one of 'paper' | 'official'"),
        ({"model": {"hr_size": -64}}, [], "model.hr_size must be > 0"),
        ({"model": {"hr_size": 60}}, [], "model.hr_size must be a multiple of 16"),
        ({"training": {"steps": "many"}}, [], "training.steps must be an integer"),
        ({"training": {"batch_size": 12}}, [], "training.batch_size (12) must be divisible by training.n_critic (5)"),
        ({"model": {"low_to_high": {"group_blocks": [1, 1]}}}, [], "model.low_to_high.group_filters and group_blocks"),
        ({"data": {"hr_dirs": ["/nonexistent/faces"]}}, [], "data.hr_dirs[0]: no such file or folder: /nonexistent/faces"),
        ({"training": {"stage": "low_to_high"}}, [], "training.high_to_low_run is required"),
        ({}, ["training.beta=-1"], "training.beta must be >= 0"),
        ({}, ["nonsense"], "must look like section.key=value"),
        ({"model": 3}, [], "model must be a mapping"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, data: dict, overrides: list[str], fragment: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path, overrides)
    message = str(err.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping of sections"):
        load_config(listing)


def test_to_dict_round_trips(tmp_path: Path) -> None:
    cfg = load_config(REPO / "configs" / "demo.yaml", ["training.steps=7"])
    again = load_config(write(tmp_path, cfg.to_dict()))
    assert again.to_dict() == cfg.to_dict()
    assert again.training.steps == 7


def test_base_file_is_merged_underneath(tmp_path: Path) -> None:
    write(tmp_path, {"name": "shared", "model": {"high_to_low": {"filters": 8, "noise_dim": 4}}, "data": {"demo": True}}, "base.yaml")
    (tmp_path / "stage").mkdir()
    child = write(tmp_path / "stage", {"base": "../base.yaml", "model": {"high_to_low": {"filters": 12}}}, "child.yaml")
    cfg = load_config(child)
    assert cfg.name == "shared"
    assert (cfg.model.high_to_low.filters, cfg.model.high_to_low.noise_dim) == (12, 4)
    assert cfg.data.demo is True


def test_broken_base_chains_are_named(tmp_path: Path) -> None:
    missing = write(tmp_path, {"base": "nowhere.yaml"}, "missing.yaml")
    with pytest.raises(ConfigError, match=r"missing.yaml: base: no such config file"):
        load_config(missing)
    write(tmp_path, {"base": "b.yaml"}, "a.yaml")
    loop = write(tmp_path, {"base": "a.yaml"}, "b.yaml")
    with pytest.raises(ConfigError, match="includes itself"):
        load_config(loop)


@pytest.mark.parametrize("text, expected", [("1e-4", 1e-4), ("2E-5", 2e-5), ("+3e-4", 3e-4), ("5e3", 5000.0), ("1.5e-4", 1.5e-4)])
def test_exponent_floats_are_numbers_in_overrides_and_files(tmp_path: Path, text: str, expected: float) -> None:
    # PyYAML (YAML 1.1) reads `1e-4` as a string; a float field must still take it as the number it is.
    cfg = load_config(write(tmp_path, {"data": {"demo": True}}), [f"training.g_optimizer.learning_rate={text}"])
    assert cfg.training.g_optimizer.learning_rate == pytest.approx(expected)
    assert isinstance(cfg.training.g_optimizer.learning_rate, float)
    path = tmp_path / "typed.yaml"
    path.write_text(f"data:\n  demo: true\ntraining:\n  d_optimizer:\n    learning_rate: {text}\n")
    cfg = load_config(path)
    assert cfg.training.d_optimizer.learning_rate == pytest.approx(expected)
    assert isinstance(cfg.training.d_optimizer.learning_rate, float)


@pytest.mark.parametrize("text", ["fast", "nan", "inf", "1e", "1,5", "1e-4x", "e-4"])
def test_non_numbers_in_float_fields_are_still_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, {})
    with pytest.raises(ConfigError) as err:
        load_config(path, [f"training.g_optimizer.learning_rate={text}"])
    assert f"training.g_optimizer.learning_rate must be a number, got '{text}'" in str(err.value)
    assert str(path) in str(err.value)


def test_exponent_strings_stay_strings_and_integers_stay_strict(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, {"data": {"demo": True}}), ["name=1e-4"])
    assert cfg.name == "1e-4"
    with pytest.raises(ConfigError, match="training.steps must be an integer, got '1e3'"):
        load_config(write(tmp_path, {}), ["training.steps=1e3"])


def test_the_small_recipe_and_its_baseline_load_from_the_same_files(tmp_path):
    # The README's commands: data from --set, the upstream run from --set, the bilinear baseline from stage 2.
    hr, lr = tmp_path / "hr", tmp_path / "lr"
    hr.mkdir(), lr.mkdir()
    data = [f"data.hr_dirs={hr}", f"data.lr_dirs={lr}"]
    small = REPO / "configs" / "small"
    stage1 = load_config(small / "stage1.yaml", data)
    assert stage1.training.stage == "high_to_low" and stage1.data.hr_dirs == [str(hr)]
    assert stage1.model.high_to_low.input_skip and stage1.model.low_to_high.input_skip
    assert stage1.training.d_augment == ["translation", "cutout"]
    stage2 = load_config(small / "stage2.yaml", [*data, "training.high_to_low_run=runs/mine"])
    assert (stage2.training.degradation, stage2.training.high_to_low_run) == ("learned", "runs/mine")
    baseline = load_config(small / "stage2.yaml", [*data, "training.degradation=bilinear", "training.high_to_low_run="])
    assert (baseline.training.degradation, baseline.training.high_to_low_run) == ("bilinear", None)
    assert baseline.model == stage2.model and baseline.training.beta == stage2.training.beta
    stage3 = load_config(small / "stage3.yaml", data)
    assert stage3.training.stage == "joint"
    # The paper's configs keep the paper's networks: no tfsr deviation is switched on there.
    paper = load_config(REPO / "configs" / "paper" / "stage1_high_to_low.yaml")
    assert not paper.model.high_to_low.input_skip and not paper.model.low_to_high.input_skip
    assert paper.training.d_augment == [] and paper.training.beta == 0.05
