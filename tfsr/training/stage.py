"""`build_stage_model`: the compiled GAN of one training stage, built from an experiment config."""

from __future__ import annotations

import logging
from typing import Any

import keras
import tensorflow as tf

from tfsr.config import Config, check_batch
from tfsr.errors import ConfigError
from tfsr.models import build_discriminator, build_high_to_low, build_low_to_high, load_generator
from tfsr.runs import GeneratorKind
from tfsr.training.degradation_gan import DegradationGAN
from tfsr.training.joint_fine_tune import JointFineTune
from tfsr.training.precision import make_optimizer, use_precision
from tfsr.training.stage_gan import StageGAN
from tfsr.training.super_resolution_gan import SuperResolutionGAN

log = logging.getLogger(__name__)

# Config keys that say nothing about a network's weights (left out when a prior stage is compared to
# cfg.model): `colour_lock` only shifts the output, so a stage 1 trained without it can be run with it.
_NON_SHAPE_KEYS = ("name", "trainable", "dtype", "bn_epsilon", "bn_momentum", "colour_lock")


def _shape_config(model: keras.Model) -> dict[str, Any]:
    config = {k: v for k, v in model.get_config().items() if k not in _NON_SHAPE_KEYS}
    return {"class": type(model).__name__, **{k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}}


def load_prior_stage(cfg: Config, kind: GeneratorKind, model: keras.Model) -> None:
    """Copies a trained generator (run dir or `.keras` file) into `model`, which was built from `cfg.model`.

    Raises:
        ModelError: the run or file is missing or holds another kind of network.
        ConfigError: its widths differ from `cfg.model`'s (the message names both).
    """
    path = getattr(cfg.training, f"{kind}_run")
    trained = load_generator(path, kind)
    found, expected = _shape_config(trained), _shape_config(model)
    if found != expected:
        raise ConfigError(
            f"{cfg.source}: training.{kind}_run {path} holds a {kind.replace('_', '-')} generator with {found}, "
            f"but model.{kind if kind == 'high_to_low' else 'low_to_high/variant'} asks for {expected}"
        )
    model.set_weights(trained.get_weights())


def build_stage_model(cfg: Config, strategy: tf.distribute.Strategy) -> StageGAN:
    """The compiled GAN of `cfg.training.stage`, with its networks and optimizers created in `strategy`'s scope.

    Prior stages (`training.high_to_low_run`, `training.low_to_high_run`) are loaded into networks built from
    `cfg.model`. The optimizers are built here, so a checkpoint of `gan.checkpoint_items()` can be restored
    before `fit`. Initialisation is seeded by `training.seed`.

    Args:
        cfg: the experiment.
        strategy: where to build (from `make_strategy(cfg.training.strategy)`).

    Returns:
        A `DegradationGAN`, `SuperResolutionGAN` or `JointFineTune`, compiled.

    Raises:
        ConfigError: the batch does not split into `n_critic` slices per replica, or a prior stage's widths
            differ from `cfg.model`.
        ModelError: a prior stage's run or file is missing or of the wrong kind.

    Example:
        >>> gan = build_stage_model(cfg, make_strategy(cfg.training.strategy))  # doctest: +SKIP
        >>> gan.fit(dataset, epochs=1, steps_per_epoch=cfg.training.steps_per_epoch)  # doctest: +SKIP
    """
    t, m = cfg.training, cfg.model
    replicas = strategy.num_replicas_in_sync
    check_batch(t, replicas, str(cfg.source))
    jit_compile = t.jit_compile
    if jit_compile and replicas > 1:
        log.warning("training.jit_compile is ignored under %d replicas: XLA does not compile the distributed step", replicas)
        jit_compile = False
    keras.utils.set_random_seed(t.seed)
    options = dict(
        n_critic=t.n_critic, alpha=t.alpha, beta=t.beta, ema_decay=t.ema_decay, seed=t.seed,
        d_augment=tuple(t.d_augment), colour_anchor=t.colour_anchor,
    )
    with use_precision(t.precision), strategy.scope():
        if t.stage == "high_to_low":
            gan: StageGAN = DegradationGAN(build_high_to_low(m), build_discriminator(m, m.lr_size), **options)
        elif t.stage == "low_to_high":
            high_to_low = None
            if t.degradation == "learned":
                high_to_low = build_high_to_low(m)
                load_prior_stage(cfg, "high_to_low", high_to_low)
            gan = SuperResolutionGAN(
                build_low_to_high(m), build_discriminator(m, m.hr_size), t.degradation, high_to_low, **options
            )
        else:
            high_to_low, low_to_high = build_high_to_low(m), build_low_to_high(m)
            load_prior_stage(cfg, "high_to_low", high_to_low)
            load_prior_stage(cfg, "low_to_high", low_to_high)
            gan = JointFineTune(
                high_to_low, low_to_high, build_discriminator(m, m.lr_size), build_discriminator(m, m.hr_size), **options
            )
        gan.compile(
            g_optimizer=make_optimizer(**vars(t.g_optimizer), precision=t.precision, name="g_adam"),
            d_optimizer=make_optimizer(**vars(t.d_optimizer), precision=t.precision, name="d_adam"),
            jit_compile=jit_compile,
        )
    return gan
