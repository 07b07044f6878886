"""`training.strategy` -> a `tf.distribute.Strategy`, and the one place where Keras 3's multi-worker gaps are
patched.

- `auto`: several workers in `TF_CONFIG` -> `multi_worker`; several GPUs -> `mirrored`; else the default
  (single-device) strategy, the only one under which `jit_compile` works.
- `one_device`: the first GPU, else the CPU.
- `mirrored`: every local GPU, or every logical CPU device where there is no GPU (tests make two).
- `multi_worker`: `MultiWorkerMirroredStrategy` over the cluster in `TF_CONFIG`. Create it before any
  other TensorFlow op runs (collective ops are configured at program start).
"""

from __future__ import annotations

import json
import logging
import os

import tensorflow as tf

from tfsr.errors import ConfigError

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker")


def cluster_workers() -> int:
    """Workers listed in `TF_CONFIG` (0 when it is unset)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except (json.JSONDecodeError, AttributeError):
        raise ConfigError(f"TF_CONFIG is not a JSON object: {raw[:80]!r}") from None
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The distribution strategy named by `training.strategy`.

    Args:
        name: `auto`, `one_device`, `mirrored` or `multi_worker`.

    Raises:
        ConfigError: an unknown name, or `multi_worker` without a cluster in `TF_CONFIG`.

    Example:
        >>> strategy = make_strategy("auto")
        >>> strategy.num_replicas_in_sync
        1
    """
    if name not in STRATEGIES:
        raise ConfigError(f"training.strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if name == "auto":
        # Physical devices only: listing logical ones would initialise TensorFlow before a multi-worker
        # strategy can configure its collective ops.
        if cluster_workers() > 1:
            name = "multi_worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            return tf.distribute.get_strategy()
    if name == "multi_worker":
        if cluster_workers() < 1:
            raise ConfigError("training.strategy 'multi_worker' needs TF_CONFIG naming the cluster's workers")
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(devices[0].name)
    return tf.distribute.MirroredStrategy([d.name for d in devices])


# ------------------------------------------------------------------------------------------------------------
# Keras 3 `fit` under MultiWorkerMirroredStrategy (keras-team/keras#20585, tensorflow/tensorflow#72388: open
# upstream; the multi-worker tutorial fails since TF 2.16). Two failures, both worked around here and only here:
# `MultiWorkerFitFixes` (mixed into the stage GANs) and `fit_logs` (applied to what their train_step returns).
# A 2-process run on 127.0.0.1 then trains with both workers holding identical weights
# (tests/test_training_distributed.py).


class MultiWorkerFitFixes:
    """Mixin for `keras.Model` subclasses that are fully built (networks and optimizers) before `fit`.

    Under any strategy, `fit` first pulls a batch from the distributed iterator and averages it with
    `strategy.reduce("MEAN", batch, axis=None)` to build the model symbolically. The multi-worker strategy's
    collective reduce cannot take that eager per-replica batch (`ValueError: Attempt to convert a value
    (PerReplica ...)`). A model whose networks and optimizers are already built needs no symbolic build, so it
    is skipped (which also keeps `fit` from drawing a batch it then throws away).
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):  # noqa: ANN001, ANN202 - Keras' signature
        return None


def fit_logs(logs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """What a train step returns, in the shape `fit` can reduce over replicas.

    `fit` reduces each per-replica log with `strategy.reduce("MEAN", value, axis=0)` under the multi-worker
    strategy (only there), which fails for scalars (`Invalid reduction dimension 0 for input with 0
    dimensions`). Shape-`[1]` logs reduce to the cross-replica mean scalar; other strategies keep scalars.
    """
    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
        return {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs
