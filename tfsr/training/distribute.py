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
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        if cluster_workers() > 1:
            name = "multi_worker"
        elif len(gpus) > 1:
            name = "mirrored"
        else:
            return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy((gpus[0] if gpus else tf.config.list_logical_devices("CPU")[0]).name)
    if name == "mirrored":
        devices = gpus or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if cluster_workers() < 1:
        raise ConfigError("training.strategy 'multi_worker' needs TF_CONFIG naming the cluster's workers")
    return tf.distribute.MultiWorkerMirroredStrategy()
