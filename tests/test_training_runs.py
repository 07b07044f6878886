"""Training runs end to end on tiny networks and the demo faces: exact resume (in process and after a SIGKILL),
what a run leaves behind, and chaining the three stages."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml

from conftest import STEP_KEY, STEPS, checkpoint_values, tiny_config, tiny_raw

from tfsr.config import Config, config_from_dict
from tfsr.models import build_high_to_low, build_low_to_high, load_generator
from tfsr.training.callbacks import TrainingDiverged, non_finite_variables, truncate_after
from tfsr.training.distribute import make_strategy
from tfsr.errors import ConfigError
from tfsr.training.rundir import config_differences, open_run
from tfsr.training.runner import epoch_plan, run_training
from tfsr.training.samples import GAP, SampleSheet
from tfsr.training.stage import build_stage_model

def assert_same_state(a: Path, b: Path) -> None:
    """The newest checkpoints of two runs hold the same bits in every variable (networks, `u`, BatchNorm
    statistics, both optimizers' moments and iterations, averages, step, save counter).

    Bit-for-bit holds across processes because every process on one machine runs the same kernels with the same
    intra-op thread count, so each float reduction is split and summed in the same order. With another thread
    count (measured: the resumed process pinned to 1 of 2 cores) reductions are split differently and 345 of
    445 variables differ, by up to 4.8e-7 after 2 steps: resuming on other hardware is exact only to rounding.
    """
    va, vb = checkpoint_values(a), checkpoint_values(b)
    assert va.keys() == vb.keys()
    differing = [k for k in va if va[k].dtype != vb[k].dtype or va[k].tobytes() != vb[k].tobytes()]
    assert not differing, f"{len(differing)} of {len(va)} variables differ, e.g. {differing[:3]}"


@pytest.fixture(scope="module")
def straight(tmp_path_factory) -> Path:
    """STEPS steps in one go: the reference of every resume test, and stage 1 of the chaining test."""
    return run_training(tiny_config(), tmp_path_factory.mktemp("straight") / "run", verbose=0)


def test_plan_splits_partial_epochs():
    assert epoch_plan(0, 5, 2) == [(0, 2, 2), (2, 3, 1)]
    assert epoch_plan(3, 5, 2) == [(1, 2, 1), (2, 3, 1)]
    assert epoch_plan(4, 4, 2) == []
    # Every plan covers exactly the remaining steps, in epochs that end on multiples of steps_per_epoch.
    for start, total, per in [(0, 17, 5), (7, 23, 4), (12, 12, 3), (1, 2, 10)]:
        plan = epoch_plan(start, total, per)
        assert sum((e - i) * s for i, e, s in plan) == total - start
        ends = np.cumsum([(e - i) * s for i, e, s in plan]) + start
        assert all(end % per == 0 or end == total for end in ends)


def test_run_leaves_checkpoints_logs_samples_and_generators(straight):
    stored = yaml.safe_load((straight / "config.yaml").read_text())
    assert config_differences(stored, tiny_config().to_dict()) == []
    # CheckpointManager keeps the last 3, numbered by step.
    assert tf.train.latest_checkpoint(str(straight / "checkpoints")).endswith(f"ckpt-{STEPS}")
    assert int(checkpoint_values(straight)[STEP_KEY]) == STEPS
    with open(straight / "logs" / "steps.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(1, STEPS + 1))
    assert {"d_loss", "g_loss", "g_pixel", "g_gan", "d_real", "d_fake"} <= set(rows[0])
    assert all(np.isfinite(float(r["g_loss"])) for r in rows)
    with open(straight / "logs" / "epochs.csv") as f:
        assert [(int(r["epoch"]), int(r["step"])) for r in csv.DictReader(f)] == [(1, 2), (2, 4), (3, 5)]
    assert "step 0 of 5" in (straight / "logs" / "train.log").read_text()
    # One grid per epoch (3 epochs: 2 + 2 + 1 steps).
    assert sorted(p.name for p in (straight / "samples").iterdir()) == [f"epoch_000{i}.png" for i in (1, 2, 3)]
    tags = set()
    for event_file in (straight / "tensorboard").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags |= {(v.tag, event.step) for v in event.summary.value}
    assert ("g_loss", STEPS) in tags and ("samples", 2) in tags and ("samples", 4) in tags
    # Live and averaged generators differ (ema_decay 0.5 after 5 steps) and both load downstream.
    live = load_generator(straight, "high_to_low", ema=False)
    ema = load_generator(straight, "high_to_low")
    diffs = [np.max(np.abs(a - b)) for a, b in zip(live.get_weights(), ema.get_weights())]
    assert max(diffs) > 0
    assert not list((straight / "models").glob(".*")), "temporary files left behind"


KILLED_RUN = """
import sys, time, keras
from tfsr.config import config_from_dict
from tfsr.training.runner import run_training
sys.path.insert(0, {tests!r})
from conftest import tiny_raw

class Slow(keras.callbacks.Callback):
    # Leaves the parent time to kill it in the middle of an epoch.
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.5)

run_training(config_from_dict(tiny_raw(), "tiny.yaml"), {run!r}, verbose=0, extra_callbacks=[Slow()])
"""


def test_killed_run_resumes_exactly_from_its_last_checkpoint(straight, tmp_path):
    """STEPS steps with a SIGKILL in between give, bit for bit, the state of STEPS straight steps (networks,
    optimizers, averages, step). The killed process and the resuming one (this one) are separate processes."""
    run = tmp_path / "run"
    script = KILLED_RUN.format(tests=str(Path(__file__).parent), run=str(run))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    deadline = time.monotonic() + 600  # a bound on waiting, not a speed check: a loaded 2-core machine is slow
    try:
        while not str(tf.train.latest_checkpoint(str(run / "checkpoints"))).endswith("ckpt-3"):
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint at step 3 within 600 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = int(checkpoint_values(run)[STEP_KEY])
    assert 3 <= killed_at < STEPS  # in the middle of an epoch when it is 3 (epochs of 2 steps)
    run_training(tiny_config(), run, verbose=0)
    assert_same_state(run, straight)
    assert f"resuming {run} (stage high_to_low) at step {killed_at}" in (run / "logs" / "train.log").read_text()
    # A finished run is not trained again: no new checkpoint, same state.
    checkpoints = sorted((run / "checkpoints").iterdir())
    run_training(tiny_config(), run, verbose=0)
    assert sorted((run / "checkpoints").iterdir()) == checkpoints
    assert_same_state(run, straight)
    # The logs have each step once, even those logged after the last checkpoint before the kill; the metrics of
    # the steps after the resume are those of the straight run.
    for name in ("steps.csv", "epochs.csv"):
        with open(run / "logs" / name) as f, open(straight / "logs" / name) as g:
            resumed, reference = list(csv.DictReader(f)), list(csv.DictReader(g))
        assert [r["step"] for r in resumed] == [r["step"] for r in reference]
    assert resumed[-1] == reference[-1]  # the last epoch ran entirely after the resume


def test_truncate_after_drops_rows_after_the_checkpoint(tmp_path):
    path = tmp_path / "epochs.csv"
    path.write_text("epoch,step,g_loss\n1,2,0.5\n2,4,0.4\n3,5,0.3\n")
    truncate_after(path, 4)
    assert path.read_text().splitlines() == ["epoch,step,g_loss", "1,2,0.5", "2,4,0.4"]


def test_three_stages_chain(straight, tmp_path):
    stage2 = run_training(
        tiny_config(stage="low_to_high", high_to_low_run=str(straight), steps=2, n_critic=1, batch_size=4), tmp_path / "s2", verbose=0
    )
    l2h = load_generator(stage2, "low_to_high")
    assert tuple(l2h(np.zeros((1, 16, 16, 3), np.float32)).shape) == (1, 64, 64, 3)
    assert (stage2 / "samples" / "epoch_0001.png").is_file()
    stage3 = run_training(
        tiny_config(
            stage="joint", high_to_low_run=str(straight), low_to_high_run=str(stage2), steps=1, n_critic=1, batch_size=4
        ),
        tmp_path / "s3",
        verbose=0,
    )
    # Fine-tuning starts from both trained generators and moves them.
    for kind, source in (("high_to_low", straight), ("low_to_high", stage2)):
        before = load_generator(source, kind, ema=False).get_weights()
        after = load_generator(stage3, kind, ema=False).get_weights()
        assert [w.shape for w in before] == [w.shape for w in after]
        assert max(np.max(np.abs(a - b)) for a, b in zip(before, after)) > 0


def test_sample_sheet_rows_follow_the_generators():
    cfg = tiny_config()
    hr = np.random.default_rng(0).uniform(-1, 1, (3, 64, 64, 3)).astype(np.float32)
    real_lr = np.full((3, 16, 16, 3), 1.0, np.float32)
    h2l, l2h = build_high_to_low(cfg.model), build_low_to_high(cfg.model)
    sheet = SampleSheet(hr, noise_dim=4, noise_count=2, real_lr=real_lr)
    tile = 64 + GAP

    def rows(grid):
        assert grid.dtype == np.uint8 and (grid.shape[1] + GAP) == 3 * tile
        return (grid.shape[0] + GAP) // tile

    # HR, 2 noise vectors, Low-to-High of the first, real LR.
    grid = sheet.render({"high_to_low": h2l, "low_to_high": l2h})
    assert rows(grid) == 5
    assert np.array_equal(grid[:64, :64], np.clip(np.round((hr[0] + 1) * 127.5), 0, 255).astype(np.uint8))
    assert np.all(grid[4 * tile : 4 * tile + 64, :64] == 255)  # real LR of 1.0, enlarged
    lr0 = h2l((hr, sheet.noise[0]), training=False).numpy()
    assert np.array_equal(grid[tile : tile + 64 : 4, :64 : 4], np.clip(np.round((lr0[0] + 1) * 127.5), 0, 255).astype(np.uint8))
    # Noise rows differ: each vector is another degradation.
    assert not np.array_equal(grid[tile : tile + 64], grid[2 * tile : 2 * tile + 64])
    # Stage 1 shows no Low-to-High; a baseline's Low-to-High gets the bilinear downsampling.
    assert rows(sheet.render({"high_to_low": h2l})) == 4
    assert rows(SampleSheet(hr, noise_dim=4).render({"low_to_high": l2h})) == 2


def test_open_run_keeps_existing_runs(tmp_path):
    cfg = tiny_config()
    run = open_run(cfg, tmp_path / "run")
    assert yaml.safe_load(run.config_file.read_text()) == yaml.safe_load(yaml.safe_dump(cfg.to_dict()))
    # Without checkpoints there is nothing to lose: a new config simply replaces the old one.
    open_run(tiny_config(beta=0.5), tmp_path / "run", resume=False)
    tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), str(run.checkpoints), 1).save()
    with pytest.raises(ConfigError, match="already holds a training run"):
        open_run(tiny_config(beta=0.5), tmp_path / "run", resume=False)
    with pytest.raises(ConfigError, match=r"training.beta: 0.5 in the run, 0.05 now"):
        open_run(cfg, tmp_path / "run")
    assert "beta: 0.5" in run.config_file.read_text()
    assert config_differences({"a": {"b": 1, "c": [1, 2]}}, {"a": {"b": 1, "c": [1, 3], "d": 0}}) == [
        ("a.c", [1, 2], [1, 3]),
        ("a.d", None, 0),
    ]


def _poison(variable: tf.Variable | keras.Variable, value: float = float("nan")) -> None:
    """Puts `value` into the first element of `variable`, leaving the rest as it was."""
    array = keras.ops.convert_to_numpy(variable).copy()
    array.flat[0] = value
    variable.assign(array)


class PoisonAdamAfter(keras.callbacks.Callback):
    """After step `at` (its losses already logged, and finite), puts a NaN into one of Adam's second moments of
    the generator: the state an overflowing update leaves behind."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.poisoned: str | None = None

    def on_train_batch_end(self, batch, logs=None):
        if int(keras.ops.convert_to_numpy(self.model.step)) == self.at:
            velocity = next(v for v in self.model.g_optimizer.variables if v.path.endswith("_velocity"))
            _poison(velocity)
            self.poisoned = velocity.path


def test_non_finite_state_with_finite_losses_stops_before_the_checkpoint(tmp_path):
    """A step whose losses are finite but whose update left a NaN in Adam's state is not checkpointed as good."""
    run, poison = tmp_path / "run", PoisonAdamAfter(at=3)
    with pytest.raises(TrainingDiverged) as err:
        run_training(tiny_config(n_critic=1, batch_size=4), run, verbose=0, extra_callbacks=[poison])
    kept = run / "checkpoints" / "ckpt-2"
    assert str(err.value) == (
        f"non-finite values in g_optimizer/{poison.poisoned} at step 3: training stopped; {kept} is kept "
        "(a lower learning rate usually helps)"
    )
    assert tf.train.latest_checkpoint(str(run / "checkpoints")) == str(kept)
    values = checkpoint_values(run)
    assert int(values[STEP_KEY]) == 2
    assert all(np.all(np.isfinite(v)) for v in values.values() if v.dtype.kind == "f")
    # The losses of step 3 were finite: only the state check could stop it.
    with open(run / "logs" / "steps.csv") as f:
        rows = list(csv.DictReader(f))
    assert int(rows[-1]["step"]) == 3 and all(np.isfinite(float(v)) for k, v in rows[-1].items() if k != "step")
    assert str(err.value) in (run / "logs" / "train.log").read_text()


def test_non_finite_variables_names_weights_averages_and_optimizer_slots():
    gan = build_stage_model(tiny_config(n_critic=1, batch_size=4), make_strategy("one_device"))
    items = gan.checkpoint_items()
    assert non_finite_variables(items) == []
    weight = next(iter(items["discriminator_16"].by_path.values()))
    average = gan.emas["high_to_low"].averages[1]
    moment = next(v for v in gan.d_optimizer.variables if v.path.endswith("_momentum"))
    for variable, value in ((weight, float("nan")), (average, float("inf")), (moment, float("-inf"))):
        _poison(variable, value)
    assert non_finite_variables(items) == [
        f"discriminator_16/{weight.name}",
        f"ema_high_to_low/{average.name}",
        f"d_optimizer/{moment.path}",
    ]
