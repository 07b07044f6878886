"""Mixed precision: bfloat16 trains like float32 on the demo widths; float16 gets loss scaling; variables stay float32."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfsr.config import config_from_dict
from tfsr.training.distribute import make_strategy
from tfsr.training.stage import build_stage_model

STEPS = 4
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


def test_bfloat16_follows_the_float32_loss_trajectory():
    curves = {}
    for precision in ("float32", "mixed_bfloat16"):
        gan = build(precision)
        assert gan.high_to_low.compute_dtype == ("bfloat16" if precision != "float32" else "float32")
        assert all(w.dtype == "float32" for w in gan.high_to_low.weights + gan.discriminator.weights)
        recorder = StepLosses()
        gan.fit(data(), epochs=1, verbose=0, callbacks=[recorder])
        curves[precision] = {k: np.array([log[k] for log in recorder.logs]) for k in ("g_pixel", "d_loss")}
        # The EMA copy for saving is float32 whatever the training precision.
        assert gan.generators(ema=True)["high_to_low"].compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored after building
    for key in ("g_pixel", "d_loss"):
        f32, bf16 = curves["float32"][key], curves["mixed_bfloat16"][key]
        assert np.all(np.isfinite(bf16)) and len(bf16) == STEPS
        # bfloat16 keeps 8 bits of mantissa: the running means agree to a few percent, not to rounding.
        np.testing.assert_allclose(bf16, f32, rtol=0.05, err_msg=key)


def test_float16_uses_loss_scaling():
    gan = build("mixed_float16")
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.high_to_low.compute_dtype == "float16"
    assert float(gan.g_optimizer.scale_loss(tf.constant(1.0))) > 1.0
