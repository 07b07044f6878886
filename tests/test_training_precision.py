"""Mixed precision: bfloat16 trains like float32 on the demo widths; float16 gets loss scaling; variables stay float32."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfsr.config import config_from_dict
from tfsr.training.distribute import make_strategy
from tfsr.training.stage import build_stage_model

STEPS = 4
# Least cosine between the bfloat16 and float32 weight updates of a network (measured: 0.79 for the generator,
# 0.99 for the discriminator). Adam divides each gradient by its own scale, so weights whose gradients are
# nearly zero move by about a learning rate in whatever direction rounding gives; unrelated or zero gradients
# give about 0.
COSINE_FLOOR = 0.6
TINY_MODEL = {
    "high_to_low": {"filters": 8, "noise_dim": 8, "blocks_per_group": 1},
    "discriminator": {"filters": 16},
}


def build(precision):
    raw = {"model": TINY_MODEL, "training": {"stage": "high_to_low", "batch_size": 4, "n_critic": 2, "precision": precision}}
    return build_stage_model(config_from_dict(raw, "tiny.yaml"), make_strategy("auto"))


class StepLosses(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def data():
    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (4 * STEPS, 64, 64, 3)).astype("float32")
    lr = rng.uniform(-1, 1, (4 * STEPS, 16, 16, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((hr, lr)).batch(4)


def trainable(gan) -> dict[str, list[np.ndarray]]:
    """The trained networks' trainable weights, by network."""
    return {
        name: [keras.ops.convert_to_numpy(w).copy() for w in getattr(gan, name).trainable_weights]
        for name in ("high_to_low", "discriminator")
    }


def test_bfloat16_follows_the_float32_loss_trajectory():
    curves, before, moves = {}, {}, {}
    for precision in ("float32", "mixed_bfloat16"):
        gan = build(precision)
        assert gan.high_to_low.compute_dtype == ("bfloat16" if precision != "float32" else "float32")
        assert all(w.dtype == "float32" for w in gan.high_to_low.weights + gan.discriminator.weights)
        recorder = StepLosses()
        before[precision] = trainable(gan)
        gan.fit(data(), epochs=1, verbose=0, callbacks=[recorder])
        after = trainable(gan)
        moves[precision] = {k: [a - b for a, b in zip(after[k], before[precision][k])] for k in after}
        curves[precision] = {k: np.array([log[k] for log in recorder.logs]) for k in ("g_pixel", "d_loss")}
        # The EMA copy for saving is float32 whatever the training precision.
        assert gan.generators(ema=True)["high_to_low"].compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored after building
    for key in ("g_pixel", "d_loss"):
        f32, bf16 = curves["float32"][key], curves["mixed_bfloat16"][key]
        assert np.all(np.isfinite(bf16)) and len(bf16) == STEPS
        # bfloat16 keeps 8 bits of mantissa: the running means agree to a few percent, not to rounding.
        np.testing.assert_allclose(bf16, f32, rtol=0.05, err_msg=key)
    # Four steps barely change the losses, so they alone would pass with zero bfloat16 gradients: the weights
    # must have moved, every one of them, and the way float32 moved them (both start from the same seeded
    # initialisation).
    for network in ("high_to_low", "discriminator"):
        for a, b in zip(before["float32"][network], before["mixed_bfloat16"][network]):
            np.testing.assert_array_equal(a, b)
        f32, bf16 = moves["float32"][network], moves["mixed_bfloat16"][network]
        assert all(np.any(m != 0) for m in bf16), f"{network}: a bfloat16 weight did not move"
        f32, bf16 = np.concatenate([m.ravel() for m in f32]), np.concatenate([m.ravel() for m in bf16])
        cosine = float(f32 @ bf16 / (np.linalg.norm(f32) * np.linalg.norm(bf16)))
        assert cosine > COSINE_FLOOR, f"{network}: bfloat16 updates point elsewhere (cosine {cosine:.3f})"
        assert 0.8 < np.linalg.norm(bf16) / np.linalg.norm(f32) < 1.25, network


def test_float16_uses_loss_scaling():
    gan = build("mixed_float16")
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.high_to_low.compute_dtype == "float16"
    assert float(gan.g_optimizer.scale_loss(tf.constant(1.0))) > 1.0
