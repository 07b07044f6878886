"""`tfsr train` from the command line: configs, overrides, refusals before training starts, and NaN stops."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import yaml

from tfsr.cli import main
from tfsr.config import load_config

from conftest import STEP_KEY, checkpoint_values, tiny_raw

ROOT = Path(__file__).resolve().parents[1]


# One discriminator update per generator update: a third of the graph to trace, for tests of everything but the
# update schedule.
FAST = {"n_critic": 1, "batch_size": 4}


def write_config(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw))
    return path


def train(capsys, *argv: str) -> tuple[int, str]:
    code = main(["train", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert cfg.training.batch_size % cfg.training.n_critic == 0


def test_paper_and_demo_stages_chain():
    for prefix in ("paper/stage", "demo_stage", "small/stage"):
        stage1, stage2, stage3 = (load_config(next((ROOT / "configs").glob(f"{prefix}{i}*.yaml"))) for i in (1, 2, 3))
        assert (stage1.training.stage, stage2.training.stage, stage3.training.stage) == ("high_to_low", "low_to_high", "joint")
        # Later stages load earlier runs, so their networks must have the same widths.
        assert stage1.model == stage2.model == stage3.model
        # ... and name the default run dirs (runs/<name>) of the stages before them.
        assert stage2.training.high_to_low_run == stage3.training.high_to_low_run == f"runs/{stage1.name}"
        assert stage3.training.low_to_high_run == f"runs/{stage2.name}"
    baselines = {p.stem: load_config(p) for p in (ROOT / "configs" / "paper").glob("baseline_*.yaml")}
    assert baselines["baseline_bilinear"].training.degradation == "bilinear"
    assert baselines["baseline_blur_bilinear"].training.degradation == "blur_bilinear"
    assert baselines["baseline_pixel_only"].training.beta == baselines["baseline_pixel_only_stage1"].training.beta == 0
    assert baselines["baseline_pixel_only"].training.high_to_low_run == "runs/paper_baseline_pixel_only_stage1"


def test_train_refuses_a_changed_config_but_accepts_more_steps(tmp_path, capsys):
    config = write_config(tmp_path / "tiny.yaml", tiny_raw(steps=1, steps_per_epoch=1, **FAST))
    run = tmp_path / "run"
    code, out = train(capsys, config, "--run-dir", run, "--quiet")
    assert code == 0, out
    assert str(run / "models") in out
    code, out = train(capsys, config, "--run-dir", run, "--set", "model.discriminator.filters=8", "--set", "training.beta=0.1")
    assert code == 2
    assert "model.discriminator.filters: 4 in the run, 8 now" in out and "training.beta" in out
    code, out = train(capsys, config, "--run-dir", run, "--set", "training.steps=0")
    assert code == 2 and "training.steps" in out
    code, out = train(capsys, config, "--run-dir", run, "--set", "training.steps=2", "--quiet")
    assert code == 0, out
    assert int(checkpoint_values(run)[STEP_KEY]) == 2
    # Checkpoints without the config they were made with are never resumed (nor overwritten).
    (run / "config.yaml").unlink()
    before = sorted((run / "checkpoints").iterdir())
    code, out = train(capsys, config, "--run-dir", run)
    assert code == 2 and "no config.yaml" in out
    assert sorted((run / "checkpoints").iterdir()) == before


def test_stage2_refuses_missing_or_mismatched_stage1(tmp_path, capsys):
    stage2 = tiny_raw(stage="low_to_high", high_to_low_run=str(tmp_path / "nowhere"), **FAST)
    code, out = train(capsys, write_config(tmp_path / "s2.yaml", stage2), "--run-dir", tmp_path / "s2")
    assert code == 2 and "training.high_to_low_run" in out and "nowhere" in out
    assert not (tmp_path / "s2").exists()

    # A stage-1 run whose High-to-Low is wider than stage 2's config says.
    code, out = train(
        capsys, write_config(tmp_path / "s1.yaml", tiny_raw(steps=1, **FAST)), "--run-dir", tmp_path / "s1",
        "--set", "model.high_to_low.filters=8", "--quiet",
    )
    assert code == 0, out
    stage2["training"]["high_to_low_run"] = str(tmp_path / "s1")
    code, out = train(capsys, write_config(tmp_path / "s2.yaml", stage2), "--run-dir", tmp_path / "s2")
    assert code == 2 and "training.high_to_low_run" in out and "filters" in out
    assert not (tmp_path / "s2").exists()

    # A .keras file of the wrong kind (a High-to-Low where the joint stage wants a Low-to-High).
    keras_file = str(tmp_path / "s1" / "models" / "high_to_low.keras")
    joint = tiny_raw(stage="joint", high_to_low_run=keras_file, low_to_high_run=keras_file, **FAST)
    code, out = train(
        capsys, write_config(tmp_path / "s3.yaml", joint), "--run-dir", tmp_path / "s3",
        "--set", "model.high_to_low.filters=8",
    )
    assert code == 2 and "not a low-to-high generator" in out


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    config = write_config(tmp_path / "tiny.yaml", tiny_raw(steps=20, steps_per_epoch=20, **FAST))
    run = tmp_path / "run"
    # Adam moves every weight by about the learning rate per step: after the first generator update, step 2's
    # generator output overflows float32 (step 1's losses are computed before that update).
    code, out = train(capsys, config, "--run-dir", run, "--quiet", "--set", "training.g_optimizer.learning_rate=1.0e+30")
    assert code == 2 and "training stopped" in out, out
    bad_step = int(re.search(r"at step (\d+): training stopped", out).group(1))
    assert "nan" in out.lower() or "inf" in out.lower()
    # No checkpoint after the bad step (checkpoint_every is 1), and the kept one holds finite weights.
    latest = tf.train.latest_checkpoint(str(run / "checkpoints"))
    assert bad_step > 1 and latest is not None and latest.endswith(f"ckpt-{bad_step - 1}")
    kept = checkpoint_values(run)
    assert all(np.all(np.isfinite(v)) for v in kept.values() if v.dtype.kind == "f")
    assert f"at step {bad_step}" in (run / "logs" / "train.log").read_text()


TWO_REPLICAS = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tfsr.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_batch_not_divisible_by_n_critic_times_replicas_fails_before_training(tmp_path):
    # 15 = 5 x 3 suits one device, but 3 samples per discriminator update do not split over 2 replicas.
    config = write_config(tmp_path / "tiny.yaml", tiny_raw(batch_size=15, strategy="mirrored"))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(TWO_REPLICAS), "train", str(config), "--run-dir", str(tmp_path / "run")],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "training.batch_size (15)" in result.stderr and "2 replica" in result.stderr
    assert not (tmp_path / "run").exists()
