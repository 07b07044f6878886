"""One training stage, start to finish: checks, run directory, exact resume, `fit`, checkpoints and generators.

`run_training` is what `tfsr train` and `tfsr demo` call. Before it trains (and before it writes anything) it
checks what a user can get wrong: the batch size against `n_critic` and the replica count, the upstream runs a
stage 2 or 3 needs (present, the right kind, the same widths), and a run directory of another config. So bad
input fails in seconds and never touches work already done.

Exact resume: the checkpoint holds the networks (spectral norm's `u` included), both optimizers, the weight
averages and the step; noise is drawn statelessly from (seed, step); and the dataset is rebuilt to start at
the restored step (an index-level skip, no images decoded for it). So N steps, a stop and N more steps give
the weights of 2N straight steps. Keras' `BackupAndRestore` is not used: it keeps neither the data position
nor the noise, and restarts interrupted epochs.

Example:
    >>> cfg = load_config("configs/demo_stage1.yaml")  # doctest: +SKIP
    >>> run_training(cfg, Path("runs/demo_stage1"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Callable, Iterator, Sequence

import keras
import numpy as np
import tensorflow as tf

from tfsr.config import Config, check_upstream_exists
from tfsr.data.pipeline import build_eval_images, build_eval_lr_images, build_hr_dataset, build_unpaired_dataset
from tfsr.errors import DataError, ModelError
from tfsr.runs import RunDir
from tfsr.training import callbacks as cb
from tfsr.training.distribute import make_strategy
from tfsr.training.rundir import latest_checkpoint, open_run
from tfsr.training.samples import SampleSheet
from tfsr.training.stage import build_stage_model

log = logging.getLogger("tfsr.training")

CHECKPOINTS_KEPT = 3
SAMPLE_FACES = 6
SAMPLE_NOISE_VECTORS = 3


# ------------------------------------------------------------------------------------------ planning
def epoch_plan(step: int, total: int, per_epoch: int) -> list[tuple[int, int, int]]:
    """The `fit` calls that take a run from `step` to `total`: `(initial_epoch, epochs, steps_per_epoch)`.

    Whole epochs share one call; a partial epoch (resuming mid-epoch, or a last epoch cut short by `total`)
    gets its own call with fewer steps, so epochs always end at multiples of `per_epoch`.

    Example:
        >>> epoch_plan(30, 200, 50)
        [(0, 1, 20), (1, 4, 50)]
    """
    plan = []
    while step < total:
        epoch = step // per_epoch
        if step % per_epoch == 0 and total - step >= per_epoch:
            whole = (total - step) // per_epoch
            plan.append((epoch, epoch + whole, per_epoch))
            step += whole * per_epoch
        else:
            end = min((epoch + 1) * per_epoch, total)
            plan.append((epoch, epoch + 1, end - step))
            step = end
    return plan


def build_dataset(cfg: Config, start_step: int) -> tf.data.Dataset:
    """The stage's training stream from `start_step` on: `hr` batches for stage 2, `(hr, lr_real)` otherwise."""
    t = cfg.training
    build = build_hr_dataset if t.stage == "low_to_high" else build_unpaired_dataset
    return build(cfg, t.batch_size, cfg.data.seed, start_step=start_step)


def sample_sheet(cfg: Config) -> SampleSheet:
    """Held-out faces (and, for stages that learn a degradation, real low-resolution ones) for the grids."""
    def faces(build: Callable[..., np.ndarray]) -> np.ndarray:
        try:
            return build(cfg, split="test", limit=SAMPLE_FACES)
        except DataError as err:
            # A small source can hold out no face at all (the split hashes file names); the grids are for
            # looking at, so training faces will do. An unusable source still fails, from the train split.
            logging.getLogger(__name__).warning("%s; the sample grids show training faces", err)
            return build(cfg, split="train", limit=SAMPLE_FACES)

    hr = faces(build_eval_images)
    real_lr = faces(build_eval_lr_images) if cfg.training.stage != "low_to_high" else None
    return SampleSheet(hr, cfg.model.high_to_low.noise_dim, SAMPLE_NOISE_VECTORS, real_lr, seed=cfg.training.seed)


def shown_generators(gan: keras.Model) -> dict[str, keras.Model]:
    """The EMA generators, plus a stage 2's frozen High-to-Low (so the grid shows Low-to-High's input)."""
    frozen = getattr(gan, "high_to_low", None)
    return {**({"high_to_low": frozen} if frozen is not None else {}), **gan.generators(ema=True)}


@contextlib.contextmanager
def _text_log(run: RunDir) -> Iterator[None]:
    """Everything goes to `logs/train.log`; INFO lines (start, resume, done) and warnings also go to the console,
    where the progress bar shows the rest (DEBUG: checkpoints, epochs) and the CLI prints errors."""
    to_file = logging.FileHandler(run.text_log)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    to_console = logging.StreamHandler(sys.stdout)
    to_console.addFilter(lambda record: record.levelno in (logging.INFO, logging.WARNING))
    saved = log.level, log.propagate
    log.setLevel(logging.DEBUG)
    log.propagate = False
    for handler in (to_file, to_console):
        log.addHandler(handler)
    try:
        yield
    finally:
        for handler in (to_file, to_console):
            log.removeHandler(handler)
            handler.close()
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _tensorboard_writer(run: RunDir) -> tf.summary.SummaryWriter | None:
    # tf.summary's scalar and image ops live in the tensorboard package; without it the run still trains.
    if importlib.util.find_spec("tensorboard") is None:
        log.warning("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
        return None
    return tf.summary.create_file_writer(str(run.tensorboard))


def _restore(checkpoint: tf.train.Checkpoint, path: str) -> None:
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{path}: does not fit this config's networks ({first})") from None


# ------------------------------------------------------------------------------------------ training
def run_training(
    cfg: Config,
    run_dir: Path,
    resume: bool = True,
    *,
    verbose: str | int = "auto",
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> Path:
    """Trains one stage into `run_dir`, resuming exactly if it already holds a run of this config.

    Args:
        cfg: the experiment; `training.stage` picks the GAN.
        run_dir: the run directory (created if missing).
        resume: continue a run found in `run_dir`; False refuses a directory that holds one.
        verbose: Keras' progress output (`"auto"`, 0 silent, 1 progress bar, 2 one line per epoch).
        extra_callbacks: more Keras callbacks, run after the run's own logging and before its savers.

    Returns:
        The run directory, holding `models/<kind>[_ema].keras` for the trained generators.

    Raises:
        ConfigError: bad batch size, missing or mismatched upstream runs, or a run dir of another config.
        ModelError: a checkpoint in `run_dir` that does not fit the networks.
        TrainingDiverged: a loss, weight or optimizer state became NaN or infinite (the last good checkpoint
            is kept).
        DataError: a data source is missing or empty.
    """
    t = cfg.training
    check_upstream_exists(t, str(cfg.source))
    strategy = make_strategy(t.strategy)
    # Building first checks the batch size against the replicas and the upstream generators' kind and widths,
    # and the sample faces come from the configured sources: those mistakes fail before the run dir is touched.
    gan = build_stage_model(cfg, strategy)
    sheet = sample_sheet(cfg)
    run = open_run(cfg, Path(run_dir), resume)
    with _text_log(run):
        items = gan.checkpoint_items()
        checkpoint = tf.train.Checkpoint(**items)
        manager = tf.train.CheckpointManager(checkpoint, str(run.checkpoints), max_to_keep=CHECKPOINTS_KEPT)
        latest = latest_checkpoint(run)
        if latest:
            _restore(checkpoint, latest)
        step = cb.current_step(gan)
        for log_file in (run.steps_log, run.epochs_log):
            cb.truncate_after(log_file, step)
        log.info(
            "%s %s (stage %s) at step %d of %d on %d replica(s)",
            "resuming" if latest else "starting", run.root, t.stage, step, t.steps, strategy.num_replicas_in_sync,
        )
        saver = cb.GeneratorSaver(run, gan.generators)
        if step >= t.steps:
            # A finished run (or one killed between its last checkpoint and the generator files) still
            # leaves complete generators behind.
            saver.set_model(gan)
            saver.save()
            return run.root

        writer = _tensorboard_writer(run)
        callbacks = [
            cb.MetricsLog(run, writer),
            cb.StopOnNonFinite(lambda: cb.kept_checkpoint(manager)),
            *extra_callbacks,
            cb.PeriodicCheckpoint(manager, t.checkpoint_every, items),
            saver,
            cb.SampleGrids(sheet, lambda: shown_generators(gan), writer, run.samples, t.sample_every),
        ]
        try:
            for initial_epoch, epochs, steps_per_epoch in epoch_plan(step, t.steps, t.steps_per_epoch):
                dataset = build_dataset(cfg, cb.current_step(gan))
                gan.fit(
                    dataset,
                    initial_epoch=initial_epoch,
                    epochs=epochs,
                    steps_per_epoch=steps_per_epoch,
                    callbacks=callbacks,
                    verbose=verbose,
                    shuffle=False,  # the dataset has its own seeded order
                )
        finally:
            if writer is not None:
                writer.close()
        log.info("done: %d steps; generators in %s", cb.current_step(gan), run.models)
    return run.root
