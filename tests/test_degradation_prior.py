"""High-to-Low's explicit blur and sensor-noise model: its start, its noise image, and that a GAN-like loss
can move its levels to a camera's (tiny sizes)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfsr.config import config_from_dict
from tfsr.errors import ConfigError
from tfsr.layers import DegradationPrior
from tfsr.layers.degradation_prior import SIGMAS, gaussian_taps
from tfsr.models import HighToLowGenerator


def faces(n: int, side: int, seed: int = 0) -> tf.Tensor:
    # Smooth random images (low-pass noise), so that blur changes them measurably but not totally.
    x = np.random.default_rng(seed).uniform(-1, 1, (n, side // 4, side // 4, 3)).astype("float32")
    return tf.image.resize(x, (side, side), "bicubic") * 0.8


def test_it_starts_at_avgpool_and_is_a_function_of_hr_and_z() -> None:
    prior = DegradationPrior()
    hr, z = faces(3, 64), tf.random.stateless_normal((3, 16), (1, 2))
    residual = tf.zeros((3, 16, 16, 3))
    out = prior((hr, z, residual))
    # Start: 98% no blur, and each noise part at a quarter of max_noise.
    base = prior.blurred_base(hr, z)
    np.testing.assert_allclose(base, tf.nn.avg_pool2d(hr, 4, 4, "VALID"), atol=0.02)
    assert abs(float(tf.math.reduce_std(out - base)) - 0.1 * 0.25 * np.sqrt(2)) < 0.005
    np.testing.assert_array_equal(out, prior((hr, z, residual)))  # no hidden random state
    # Each image's noise depends only on its own z: the batch can be split (replicas) without changing it.
    np.testing.assert_allclose(prior.noise_image(z[1:2]), prior.noise_image(z)[1:2], atol=1e-4)


def test_the_blur_is_avgpool_of_each_gaussian_mixed_as_z_draws() -> None:
    prior = DegradationPrior()
    hr, z = faces(2, 64, seed=4), tf.random.stateless_normal((2, 16), (9, 9))
    prior.build((hr.shape, z.shape))
    kernel = np.random.default_rng(0).normal(0, 0.1, prior.parameters.kernel.shape)
    kernel[:, -1] = 0  # no sharpening here (its own test below)
    prior.parameters.kernel.assign(kernel)
    prior.parameters.bias.assign(np.r_[np.zeros(len(SIGMAS) + 2), -10.0].astype("float32"))
    mix = tf.nn.softmax(10.0 * prior.parameters(z)[:, : len(SIGMAS)]).numpy()
    padded = np.pad(hr.numpy(), [(0, 0), (9, 9), (9, 9), (0, 0)], mode="reflect")
    expected = 0
    for i, sigma in enumerate(SIGMAS):
        k = gaussian_taps(sigma)
        kernel = np.tile(np.outer(k, k)[:, :, None, None], (1, 1, 3, 1)).astype("float32")
        blurred = tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")
        expected = expected + mix[:, i, None, None, None] * tf.nn.avg_pool2d(blurred, 4, 4, "VALID")
    np.testing.assert_allclose(prior.blurred_base(hr, z), expected, atol=1e-5)
    assert float(tf.reduce_max(tf.abs(expected - tf.nn.avg_pool2d(hr, 4, 4, "VALID")))) > 0.05  # it did blur


def test_the_noise_image_is_white_and_standard_and_changes_with_z() -> None:
    prior = DegradationPrior()
    prior.build(((None, 64, 64, 3), (None, 16)))
    n = prior.noise_image(tf.random.stateless_normal((256, 16), (3, 4))).numpy()
    assert n.shape == (256, 16, 16, 4)
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1) < 0.02
    flat = n.reshape(256, -1)
    # neighbouring pixels, channels and images are uncorrelated
    assert abs(np.corrcoef(flat[:, :-1].ravel(), flat[:, 1:].ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(n[..., 0].ravel(), n[..., 1].ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(flat[:-1].ravel(), flat[1:].ravel())[0, 1]) < 0.02


def test_its_levels_learn_a_camera_blur_and_noise() -> None:
    # A stand-in for the adversarial loss: match the real set's high-pass energy and noise level. The levels
    # must move most of the way from the start to the camera's within a hundred updates.
    prior = DegradationPrior(max_noise=0.1)
    hr = faces(16, 32, seed=3)
    z = tf.random.stateless_normal((16, 8), (5, 6))
    prior.build((hr.shape, z.shape))
    camera = DegradationPrior(max_noise=0.1)
    camera.build((hr.shape, z.shape))
    target_bias = prior.parameters.bias.numpy().copy()
    target_bias[: len(SIGMAS)] = 0.0
    target_bias[3] = 0.6  # mostly sigma 1.8
    target_bias[len(SIGMAS) : len(SIGMAS) + 2] = 0.0  # both noise levels at max_noise / 2
    camera.parameters.bias.assign(target_bias)
    zero = tf.zeros((16, 8, 8, 3))
    real = camera((hr, z, zero))
    optimizer = keras.optimizers.Adam(1e-2)

    def stats(x: tf.Tensor) -> tf.Tensor:
        # edge energy, and the high-pass's grey (luminance) and colour (chroma) spread
        high = x - tf.nn.avg_pool2d(x, 2, 1, "SAME")
        grey = tf.reduce_mean(high, axis=-1, keepdims=True)
        edges = tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]))
        return tf.stack([edges, tf.math.reduce_std(grey), tf.math.reduce_std(high - grey)])

    before = prior.levels(z)
    for _ in range(100):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(stats(prior((hr, z, zero))) - stats(real))) + tf.reduce_mean(tf.square(prior((hr, z, zero)) - real))
        grads = tape.gradient(loss, prior.trainable_variables)
        optimizer.apply_gradients(zip(grads, prior.trainable_variables))
    after, wanted = prior.levels(z), camera.levels(z)
    for key in ("mean_blur_sigma", "luminance_noise", "chroma_noise"):
        start, end, goal = before[key].mean(), after[key].mean(), wanted[key].mean()
        # from far (no blur; a quarter of max_noise against a half), most of the way in 100 updates
        assert abs(end - goal) < 0.4 * abs(start - goal), (key, start, end, goal)


def test_it_sharpens_by_an_unsharp_mask_whose_amount_can_be_learnt() -> None:
    hr, z = faces(8, 64, seed=6), tf.random.stateless_normal((8, 16), (2, 3))
    prior, camera = DegradationPrior(), DegradationPrior()
    for p in (prior, camera):
        p.build((hr.shape, z.shape))
    assert abs(float(prior.levels(z)["sharpen"].mean()) - 0.03) < 1e-3  # starts near none
    # The amount's effect: the no-blur base plus amount x (base - widest blur), all pooled.
    bias = camera.parameters.bias.numpy().copy()
    bias[-1] = 0.0  # amount 1
    camera.parameters.bias.assign(bias)
    pooled = lambda sigma: tf.nn.avg_pool2d(  # noqa: E731
        tf.nn.depthwise_conv2d(tf.pad(hr, [[0, 0], [9, 9], [9, 9], [0, 0]], "REFLECT"),
                               np.tile(np.outer(gaussian_taps(sigma), gaussian_taps(sigma))[:, :, None, None], (1, 1, 3, 1)).astype("float32"),
                               [1, 1, 1, 1], "VALID"), 4, 4, "VALID")
    mix = tf.nn.softmax(10.0 * camera.parameters(z)[:, : len(SIGMAS)]).numpy()
    blur = sum(mix[:, i, None, None, None] * pooled(s) for i, s in enumerate(SIGMAS))
    np.testing.assert_allclose(camera.blurred_base(hr, z), blur + (pooled(0.0) - pooled(SIGMAS[-1])), atol=1e-5)
    # A pixel loss against a sharpened camera pulls the amount towards it.
    target = camera.blurred_base(hr, z)
    optimizer = keras.optimizers.Adam(1e-2)
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(prior.blurred_base(hr, z) - target))
        optimizer.apply_gradients(zip(tape.gradient(loss, prior.trainable_variables), prior.trainable_variables))
    assert abs(float(prior.levels(z)["sharpen"].mean()) - 1.0) < 0.3


def test_the_generator_uses_it_and_round_trips(tmp_path) -> None:
    g = HighToLowGenerator(filters=8, noise_dim=4, blocks_per_group=1, input_skip=True, degradation_prior=True)
    hr, z = faces(2, 64), tf.random.stateless_normal((2, 4), (7, 8))
    out = g((hr, z))
    assert g.prior is not None and len(g.prior.trainable_weights) == 2
    np.testing.assert_allclose(out, g.prior((hr, z, tf.zeros((2, 16, 16, 3)))), atol=1e-6)  # zero head
    g.prior.parameters.bias.assign(np.full(len(SIGMAS) + 3, 0.3, np.float32))
    path = tmp_path / "h2l.keras"
    g.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded((hr, z)), g((hr, z)), atol=1e-6)
    config = DegradationPrior(max_noise=0.05, seed=3).get_config()
    assert DegradationPrior.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="degradation_prior needs input_skip"):
        HighToLowGenerator(filters=8, noise_dim=4, input_skip=False, degradation_prior=True)


def test_a_config_with_the_prior_but_no_skip_is_refused() -> None:
    with pytest.raises(ConfigError, match="degradation_prior"):
        config_from_dict({"model": {"high_to_low": {"degradation_prior": True, "input_skip": False}}}, where="test.yaml")


@pytest.mark.parametrize("prior", [True, False])
def test_the_colour_lock_keeps_each_faces_mean_colour(prior: bool) -> None:
    kwargs = dict(filters=8, noise_dim=4, blocks_per_group=1, input_skip=True, degradation_prior=prior)
    locked, free = HighToLowGenerator(colour_lock=True, **kwargs), HighToLowGenerator(**kwargs)
    hr, z = faces(3, 64, seed=2), tf.random.stateless_normal((3, 4), (3, 4))
    locked((hr, z)), free((hr, z))
    # A head that recolours: a constant bias on each channel of the residual.
    for g in (locked, free):
        g.head_conv.bias.assign([0.3, -0.2, 0.1])
    free.set_weights(locked.get_weights())
    hr_mean = tf.reduce_mean(hr, axis=(1, 2))
    drift = tf.reduce_mean(free((hr, z)), axis=(1, 2)) - hr_mean
    assert float(tf.reduce_min(tf.abs(drift))) > 0.05  # the free network does recolour
    if prior:
        lr, clean = locked((hr, z), undegraded=True)
        np.testing.assert_allclose(tf.reduce_mean(clean, axis=(1, 2)), hr_mean, atol=1e-5)
        # the noise's own mean only (its clipping): under half an 8-bit level
        np.testing.assert_allclose(tf.reduce_mean(lr, axis=(1, 2)), hr_mean, atol=0.004)
    else:
        np.testing.assert_allclose(tf.reduce_mean(locked((hr, z)), axis=(1, 2)), hr_mean, atol=1e-5)
    # It changes nothing but the mean: the faces minus their means are the free network's.
    centred = lambda x: x - tf.reduce_mean(x, axis=(1, 2), keepdims=True)  # noqa: E731
    np.testing.assert_allclose(centred(locked((hr, z))), centred(free((hr, z))), atol=0.02 if prior else 1e-5)
    config = locked.get_config()
    assert config["colour_lock"] is True
    assert HighToLowGenerator.from_config(config).get_config() == config
