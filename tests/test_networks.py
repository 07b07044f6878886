"""The paper's four networks: shapes, noise, spectral norm, gradients and save/load (tiny widths)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfsr
from tfsr.config import ModelConfig, load_config
from tfsr.layers import BicubicUpsampling, BilinearUpsampling, GeneratorResidualBlock, InputSkip, PixelShuffle
from tfsr.layers import SpectralConv2D, SpectralDense
from tfsr.models import Discriminator, HighToLowGenerator, LowToHighGenerator, build_discriminator
from tfsr.models import build_high_to_low, build_low_to_high

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cfg() -> ModelConfig:
    return load_config(REPO / "configs" / "demo.yaml").model


def faces(n: int, side: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 3)).astype("float32")


def as_trained(model: keras.Model) -> keras.Model:
    """A generator whose zero-initialised input-skip head has weights, as after training: with a zero head
    the untrained network is exactly its resampling, so no noise or gradient reaches its output yet."""
    if getattr(model, "input_skip", False):
        kernel = model.head_conv.kernel
        kernel.assign(np.random.default_rng(9).normal(0, 0.05, kernel.shape).astype("float32"))
    return model


def test_output_shapes_and_ranges(cfg: ModelConfig) -> None:
    h2l, l2h = build_high_to_low(cfg), build_low_to_high(cfg)
    z = np.random.default_rng(1).standard_normal((2, cfg.high_to_low.noise_dim)).astype("float32")
    lr = h2l((faces(2, 64), z))
    sr = l2h(faces(2, 16))
    assert lr.shape == (2, 16, 16, 3) and sr.shape == (2, 64, 64, 3)
    for out in (lr, sr):
        assert out.dtype == tf.float32
        assert float(tf.reduce_max(tf.abs(out))) <= 1.0
    for size in (16, 64):
        assert build_discriminator(cfg, size)(faces(3, size)).shape == (3, 1)


def test_noise_changes_the_degradation(cfg: ModelConfig) -> None:
    h2l = as_trained(build_high_to_low(cfg))
    hr = np.repeat(faces(1, 64), 2, axis=0)
    z = np.random.default_rng(2).standard_normal((2, cfg.high_to_low.noise_dim)).astype("float32")
    out = h2l((hr, z), training=False).numpy()
    assert np.abs(out[0] - out[1]).mean() > 1e-4
    same = h2l((hr, np.repeat(z[:1], 2, axis=0)), training=False).numpy()
    np.testing.assert_allclose(same[0], same[1], atol=1e-6)


def test_spectral_norm_of_every_kernel_is_one_after_training_calls(cfg: ModelConfig) -> None:
    # Seeded: the kernels' initial spectrum (and so how far 5 updates move sigma) depends on the global
    # random state that earlier tests leave behind.
    keras.utils.set_random_seed(0)
    for size in (16, 64):
        d = build_discriminator(cfg, size)
        optimizer = keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)  # the paper's settings
        real, fake = faces(4, size, seed=5), faces(4, size, seed=6)
        d(real, training=False)  # builds: the warm start converges every u on the initial kernels
        warm = {layer.path: layer.u.numpy().copy() for layer in d.spectral_layers()}
        # A few real discriminator updates (hinge loss): the kernels move, and u must keep tracking them.
        for _ in range(5):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.relu(1 - d(real, training=True))) + tf.reduce_mean(
                    tf.nn.relu(1 + d(fake, training=True))
                )
            optimizer.apply_gradients(zip(tape.gradient(loss, d.trainable_weights), d.trainable_weights))
        d(real, training=True)
        layers = d.spectral_layers()
        # 12 block convs, a 1x1 shortcut in the first block and in every pooling block, the Dense.
        assert len(layers) == 12 + (3 if size == 16 else 4) + 1
        for layer in layers:
            assert abs(layer.spectral_norm() - 1.0) < 1e-2, layer.path
            # The warm start alone would pass the check above (five small updates barely move a kernel): the
            # training calls must also have advanced u (a 1-unit layer's u is always +-1).
            if layer.u.shape[-1] > 1:
                assert np.any(layer.u.numpy() != warm[layer.path]), f"{layer.path}: u was not updated"


@pytest.mark.parametrize("make", [lambda: SpectralDense(4), lambda: SpectralConv2D(4, 3)], ids=["dense", "conv"])
def test_power_iteration_finds_sigma_from_a_cold_start_in_training_calls(make) -> None:
    layer = make()
    x = tf.constant(faces(2, 6) if isinstance(layer, SpectralConv2D) else faces(2, 6).reshape(2, -1))
    layer(x, training=False)
    # A kernel of known singular values 2, 1, 0.5, 0.25: power iteration gains (2 / 1)^2 = 4x a step on the
    # second direction, and sigma is 2.
    rng = np.random.default_rng(7)
    shape = tuple(layer.kernel.shape)
    left, _ = np.linalg.qr(rng.standard_normal((int(np.prod(shape[:-1])), 4)))
    right, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    layer.kernel.assign((left @ np.diag([2.0, 1.0, 0.5, 0.25]) @ right.T).reshape(shape).astype("float32"))
    # Cold start: u along the second singular direction, with a trace of the first. Left there, sigma is
    # taken as about 1 and the "normalised" kernel keeps a norm of about 2.
    layer.u.assign((right[:, 1] + 1e-3 * right[:, 0])[None].astype("float32"))
    assert layer.spectral_norm() > 1.5
    for _ in range(15):
        layer(x, training=True)
    norm = layer.spectral_norm()
    assert abs(norm - 1.0) < 1e-3, f"spectral norm {norm:.4f} after 15 training calls from a cold u"
    np.testing.assert_allclose(np.abs(layer.u.numpy()[0]), np.abs(right[:, 0]), atol=1e-3)


def test_spectral_norm_is_a_reparametrisation_with_gradients_through_sigma() -> None:
    layer = SpectralDense(4)
    x = tf.constant(np.random.default_rng(3).standard_normal((5, 6)).astype("float32"))
    layer(x, training=True)
    kernel_before = layer.kernel.numpy().copy()
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x, training=True))
    grad = tape.gradient(y, layer.kernel)
    # Unlike an in-place projection, calling the layer leaves the raw kernel untouched ...
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel_before)
    # ... and the gradient includes the path through sigma(W): it differs from the plain W/sigma gradient.
    sigma = kernel_before.reshape(-1, 4)
    plain = np.tile(x.numpy().sum(0)[:, None], (1, 4)) / np.linalg.svd(sigma, compute_uv=False)[0]
    assert np.abs(grad.numpy() - plain).max() > 1e-4
    # u is state, not a trainable weight.
    assert [w.name for w in layer.non_trainable_weights] == ["u"]


def test_training_false_leaves_u_alone() -> None:
    conv = SpectralConv2D(8, 3)
    x = faces(2, 8)
    conv(x, training=True)
    u = conv.u.numpy().copy()
    conv(x, training=False)
    np.testing.assert_array_equal(conv.u.numpy(), u)
    conv.kernel.assign(conv.kernel * 2.0 + 0.3)
    conv(x, training=True)
    assert np.abs(conv.u.numpy() - u).max() > 0


@pytest.mark.parametrize("which", ["high_to_low", "low_to_high", "d16", "d64"])
def test_gradients_reach_every_trainable_weight(cfg: ModelConfig, which: str) -> None:
    z = tf.random.normal((2, cfg.high_to_low.noise_dim))
    model, call = {
        "high_to_low": (as_trained(build_high_to_low(cfg)), lambda m: m((faces(2, 64), z), training=True)),
        "low_to_high": (as_trained(build_low_to_high(cfg)), lambda m: m(faces(2, 16), training=True)),
        "d16": (build_discriminator(cfg, 16), lambda m: m(faces(2, 16), training=True)),
        "d64": (build_discriminator(cfg, 64), lambda m: m(faces(2, 64), training=True)),
    }[which]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(call(model)))
    grads = tape.gradient(loss, model.trainable_weights)
    missing = [w.path for w, g in zip(model.trainable_weights, grads) if g is None or not np.any(g.numpy())]
    assert not missing


@pytest.mark.parametrize("which", ["high_to_low", "low_to_high", "d64"])
def test_keras_save_load_gives_identical_outputs(cfg: ModelConfig, which: str, tmp_path: Path) -> None:
    z = np.random.default_rng(4).standard_normal((2, cfg.high_to_low.noise_dim)).astype("float32")
    model, inputs = {
        "high_to_low": (build_high_to_low(cfg), (faces(2, 64), z)),
        "low_to_high": (build_low_to_high(cfg), faces(2, 16)),
        "d64": (build_discriminator(cfg, 64), faces(2, 64)),
    }[which]
    # Give the BatchNorm statistics and the spectral-norm vectors non-default values first.
    model(inputs, training=True)
    path = tmp_path / f"{which}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded(inputs, training=False), model(inputs, training=False))


@pytest.mark.parametrize(
    "layer",
    [
        SpectralConv2D(8, 1, use_bias=False, power_iterations=2),
        SpectralDense(3),
        GeneratorResidualBlock(8, bn_epsilon=1e-3, bn_momentum=0.99, use_bias=True),
        PixelShuffle(2),
        BilinearUpsampling(2, align_corners=True),
        BicubicUpsampling(4),
        InputSkip(),
        HighToLowGenerator(filters=8, noise_dim=4, blocks_per_group=1, hr_size=32, input_skip=True),
        LowToHighGenerator((8, 8, 8), (1, 1, 1), align_corners=True, input_skip=True),
        Discriminator(16, filters=8, power_iterations=2),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_get_config_round_trips(layer: keras.layers.Layer) -> None:
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    registered = keras.saving.get_registered_object(f"tfsr>{type(layer).__name__}")
    assert registered is type(layer)


def test_bilinear_align_corners_samples_the_corners() -> None:
    x = tf.constant(np.arange(4, dtype="float32").reshape(1, 2, 2, 1))
    aligned = BilinearUpsampling(2, align_corners=True)(x).numpy()[0, :, :, 0]
    # Corner-aligned: source coordinate dst * (in-1)/(out-1) = dst/3, so the outer pixels copy the corners.
    np.testing.assert_allclose(aligned[0], [0, 1 / 3, 2 / 3, 1], atol=1e-6)
    np.testing.assert_allclose(aligned[:, 0], [0, 2 / 3, 4 / 3, 2], atol=1e-6)
    centred = BilinearUpsampling(2, align_corners=False)(x).numpy()[0, :, :, 0]
    # Half-pixel centres: source coordinate (dst + 0.5)/2 - 0.5, clamped.
    np.testing.assert_allclose(centred[0], [0, 0.25, 0.75, 1], atol=1e-6)


def test_pixel_shuffle_moves_channels_to_space() -> None:
    x = np.arange(8, dtype="float32").reshape(1, 1, 2, 4)
    y = PixelShuffle(2)(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[0, 1, 4, 5], [2, 3, 6, 7]])


def test_generator_block_names_and_shortcut() -> None:
    block = GeneratorResidualBlock(8)
    block.build((None, 4, 4, 8))
    assert block.skip is None
    changing = GeneratorResidualBlock(8)
    changing.build((None, 4, 4, 16))
    assert changing.skip is not None and changing.skip.kernel.shape == (1, 1, 16, 8)
    assert [l.name for l in (block.bn1, block.conv1, block.bn2, block.conv2)] == ["bn1", "conv1", "bn2", "conv2"]
    assert block.bn1.epsilon == 1e-5 and block.bn1.momentum == 0.9 and block.bn1.synchronized


def test_wrong_input_shapes_are_refused(cfg: ModelConfig) -> None:
    with pytest.raises(ValueError, match=r"expects HR faces of shape \(B, 64, 64, 3\)"):
        build_high_to_low(cfg).build(((None, 32, 32, 3), (None, cfg.high_to_low.noise_dim)))
    with pytest.raises(ValueError, match="expects noise of shape"):
        build_high_to_low(cfg).build(((None, 64, 64, 3), (None, 3)))
    with pytest.raises(ValueError, match=r"Discriminator\(16\) expects images"):
        build_discriminator(cfg, 16).build((None, 64, 64, 3))
    with pytest.raises(ValueError, match="input_size must be one of"):
        Discriminator(32)
    with pytest.raises(ValueError, match="RGB faces"):
        build_low_to_high(cfg).build((None, 16, 16, 1))


def test_import_tfsr_registers_for_load_model(cfg: ModelConfig, tmp_path: Path) -> None:
    path = tmp_path / "l2h.keras"
    build_low_to_high(cfg).save(path)
    assert tfsr.models.LowToHighGenerator is LowToHighGenerator
    assert isinstance(keras.saving.load_model(path), LowToHighGenerator)


def test_bicubic_upsampling_equals_tensorflow_bicubic_resize() -> None:
    # Border pixels included: taps outside the image are dropped and the rest renormalised, as TF does.
    x = tf.constant(faces(3, 16, seed=5))
    expected = tf.image.resize(x, (64, 64), "bicubic")
    np.testing.assert_allclose(BicubicUpsampling(4)(x), expected, atol=2e-6)
    rectangular = tf.constant(np.random.default_rng(1).uniform(-1, 1, (1, 5, 7, 2)).astype("float32"))
    np.testing.assert_allclose(BicubicUpsampling(2)(rectangular), tf.image.resize(rectangular, (10, 14), "bicubic"), atol=2e-6)


@pytest.mark.parametrize("which", ["high_to_low", "low_to_high"])
def test_input_skip_starts_at_the_resampling_and_then_learns(which: str) -> None:
    # Zero-initialised head: the untrained network is exactly AvgPool4 / bicubic (inside the atanh bound).
    hr, lr = tf.constant(faces(2, 64) * 0.9), tf.constant(faces(2, 16, seed=1) * 0.9)
    if which == "high_to_low":
        model = HighToLowGenerator(filters=8, noise_dim=4, blocks_per_group=1, input_skip=True)
        call, base = (lambda: model((hr, tf.random.normal((2, 4))), training=True)), tf.nn.avg_pool2d(hr, 4, 4, "VALID")
    else:
        model = LowToHighGenerator((8, 8, 8), (1, 1, 1), input_skip=True)
        # bicubic overshoots past the atanh bound on random pixels: compare within it
        call, base = (lambda: model(lr, training=True)), tf.clip_by_value(tf.image.resize(lr, (64, 64), "bicubic"), -0.999, 0.999)
    np.testing.assert_allclose(call(), base, atol=1e-5)
    # ... and the head's gradient is not zero, so training moves it away from the resampling.
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(call() - 0.5))
    head = model.head_conv.kernel
    assert float(tf.reduce_max(tf.abs(tape.gradient(loss, head)))) > 0
