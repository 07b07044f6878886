"""The stage GANs trained by real `fit` calls on tiny networks: schedule, losses, EMA, prior stages, resume."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfsr.config import check_batch, config_from_dict
from tfsr.data import degrade
from tfsr.errors import ConfigError, ModelError
from tfsr.training.distribute import make_strategy
from tfsr.training.losses import average_downsample, pixel_loss
from tfsr.training.stage import build_stage_model

TINY_MODEL = {
    "high_to_low": {"filters": 8, "noise_dim": 8, "blocks_per_group": 1},
    "low_to_high": {"group_filters": [16, 8, 8], "group_blocks": [1, 1, 1]},
    "discriminator": {"filters": 16},
}


def make_cfg(**training):
    training = {"batch_size": 4, "n_critic": 2, "steps": 4, "steps_per_epoch": 4, **training}
    return config_from_dict({"model": TINY_MODEL, "training": training}, "tiny.yaml")


def faces(n, size, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


def unpaired(batch, batches, first=0):
    """Batches `first .. first + batches - 1` of a fixed stream of (hr, lr) pairs."""
    hr, lr = faces(64, 64, 1), faces(64, 16, 2)
    start = first * batch
    ds = tf.data.Dataset.from_tensor_slices((hr, lr)).skip(start).take(batch * batches)
    return ds.batch(batch, drop_remainder=True)


def weights(models):
    return [w.numpy().copy() for m in models for w in m.weights]


def state(gan):
    """Every checkpointed value of a GAN, by item."""
    return {name: [np.array(v) for v in tf.nest.flatten(getattr(item, "variables", item))]
            for name, item in gan.checkpoint_items().items()}


def build(cfg):
    return build_stage_model(cfg, make_strategy("auto"))


def test_degradation_gan_schedule_ema_and_exact_resume(tmp_path):
    cfg = make_cfg(stage="high_to_low", ema_decay=0.5)
    gan = build(cfg)
    h2l, disc = gan.high_to_low, gan.discriminator
    before = weights([h2l])
    u_before = [layer.u.numpy().copy() for layer in disc.spectral_layers()]

    history = gan.fit(unpaired(4, 1), epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "g_pixel", "g_gan", "d_real", "d_fake"}
    assert all(np.isfinite(v[0]) for v in history.values())
    # n_critic discriminator updates, then one generator update, per step.
    assert int(gan.step) == 1 and int(gan.g_optimizer.iterations) == 1 and int(gan.d_optimizer.iterations) == 2
    # The first update's decay is the warm-up's min(0.5, 1/10) = 0.1: the average moved 90% of the way from the
    # initial weights to the updated ones, BN statistics included.
    after = weights([h2l])
    ema = [a.numpy() for a in gan.emas["high_to_low"].averages]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    for a, b, e in zip(before, after, ema):
        np.testing.assert_allclose(e, 0.1 * a + 0.9 * b, atol=1e-6)
    averaged = gan.generators(ema=True)["high_to_low"]
    for w, e in zip(averaged.weights, ema):
        np.testing.assert_array_equal(w.numpy(), e)
    assert averaged.compute_dtype == "float32"
    assert gan.generators(ema=False)["high_to_low"] is h2l
    # Spectral norm's u advanced in the discriminator updates.
    assert any(not np.array_equal(a, layer.u.numpy()) for a, layer in zip(u_before, disc.spectral_layers()))

    gan.fit(unpaired(4, 1, first=1), epochs=1, verbose=0)
    checkpoint = tf.train.Checkpoint(**gan.checkpoint_items())
    path = checkpoint.save(str(tmp_path / "ckpt"))
    gan.fit(unpaired(4, 2, first=2), epochs=1, verbose=0)
    continued = state(gan)

    # Restoring every item brings back step 2 exactly: the same two batches then give the same bits everywhere
    # (weights, u, optimizer moments, averages, step, hence the noise). A missing item would keep its
    # step-4 value and change the result.
    checkpoint.restore(path).assert_consumed()
    assert int(gan.step) == 2
    gan.fit(unpaired(4, 2, first=2), epochs=1, verbose=0)
    assert int(gan.step) == 4
    for name, values in state(gan).items():
        for a, b in zip(continued[name], values):
            np.testing.assert_array_equal(a, b, err_msg=name)


def test_generator_update_sees_only_the_first_part_of_the_batch():
    """The generator is updated on part 0 (samples [0::n_critic]), as in the authors' code; the other parts
    only feed the discriminator updates, each with noise of its own."""
    cfg = make_cfg(stage="high_to_low")
    hr, lr = faces(4, 64, 1), faces(4, 16, 2)
    changed = hr.copy()
    changed[1::2] = faces(2, 64, 3)  # part 1 of the batch only
    runs = []
    for batch in (hr, changed):
        tf.keras.utils.set_random_seed(0)
        gan = build(cfg)
        gan.fit(tf.data.Dataset.from_tensor_slices((batch, lr)).batch(4), epochs=1, verbose=0)
        runs.append(([v.numpy() for v in gan.high_to_low.trainable_variables], weights([gan.discriminator])))
    (g1, d1), (g2, d2) = runs
    for a, b in zip(g1, g2):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(d1, d2))

    gan._part = 1
    other = gan.noise(tf.constant(2), 8).numpy()
    gan._part = 0
    assert not np.allclose(other, gan.noise(tf.constant(2), 8).numpy())


def test_pixel_only_baseline_ignores_the_discriminator(tmp_path):
    """beta = 0: the discriminator trains, but whatever it learns, the generator's updates are the same."""
    gan = build(make_cfg(stage="low_to_high", degradation="bilinear", beta=0.0, n_critic=1, batch_size=2))
    hr = tf.data.Dataset.from_tensor_slices(faces(6, 64, 3)).batch(2)
    start = tf.train.Checkpoint(**gan.checkpoint_items())
    path = start.save(str(tmp_path / "start"))
    runs = []
    for d_rate in (1e-4, 1e-1):
        start.restore(path)
        gan.d_optimizer.learning_rate.assign(d_rate)
        history = gan.fit(hr, epochs=1, verbose=0).history
        assert history["g_loss"] == history["g_pixel"]
        runs.append((weights([gan.low_to_high]), weights([gan.discriminator])))
    (g1, d1), (g2, d2) = runs
    assert any(not np.allclose(a, b) for a, b in zip(d1, d2))
    for a, b in zip(g1, g2):
        np.testing.assert_array_equal(a, b)


def test_super_resolution_from_a_trained_degradation_then_joint_fine_tune(tmp_path):
    run = tmp_path / "stage1"
    (run / "models").mkdir(parents=True)
    stage1 = build(make_cfg(stage="high_to_low"))
    stage1.generators(ema=True)["high_to_low"].save(run / "models" / "high_to_low_ema.keras")

    gan = build(make_cfg(stage="low_to_high", high_to_low_run=str(run), n_critic=1, batch_size=2))
    frozen = weights([gan.high_to_low])
    np.testing.assert_array_equal(frozen[0], stage1.emas["high_to_low"].averages[0].numpy())
    l2h_before = weights([gan.low_to_high])
    hr = tf.data.Dataset.from_tensor_slices(faces(4, 64, 4)).batch(2)
    gan.fit(hr, epochs=1, verbose=0)
    for a, b in zip(frozen, weights([gan.high_to_low])):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(l2h_before, weights([gan.low_to_high])))
    gan.generators(ema=True)["low_to_high"].save(run / "models" / "low_to_high_ema.keras")

    joint = build(make_cfg(stage="joint", high_to_low_run=str(run), low_to_high_run=str(run), n_critic=1, batch_size=2))
    # The Low-to-High losses reach the High-to-Low generator through its output.
    hr_batch, lr_batch = next(iter(unpaired(2, 1)))
    with tf.GradientTape() as tape:
        _, to_hr = joint.generate((hr_batch, lr_batch))
        loss = pixel_loss(to_hr.fake, to_hr.target)
    grads = tape.gradient(loss, joint.high_to_low.trainable_variables)
    assert all(g is not None for g in grads) and any(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)

    before = weights([joint.high_to_low, joint.low_to_high])
    history = joint.fit(unpaired(2, 2), epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values())
    assert int(joint.d_optimizer.iterations) == 2 and int(joint.step) == 2
    after = weights([joint.high_to_low, joint.low_to_high])
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    assert set(joint.generators(ema=True)) == {"high_to_low", "low_to_high"}
    assert {"generator_high_to_low", "generator_low_to_high", "discriminator_16", "discriminator_64"} <= set(
        joint.checkpoint_items()
    )


def test_prior_stage_errors(tmp_path):
    run = tmp_path / "run"
    (run / "models").mkdir(parents=True)
    build(make_cfg(stage="high_to_low")).generators()["high_to_low"].save(run / "models" / "high_to_low_ema.keras")
    wider = dict(TINY_MODEL, high_to_low={"filters": 16, "noise_dim": 8, "blocks_per_group": 1})
    cfg = config_from_dict(
        {"model": wider, "training": {"stage": "low_to_high", "batch_size": 4, "n_critic": 2, "high_to_low_run": str(run)}},
        "wide.yaml",
    )
    with pytest.raises(ConfigError, match=r"wide\.yaml.*high_to_low_run.*'filters': 8.*'filters': 16"):
        build(cfg)
    with pytest.raises(ModelError, match="no such model file or run directory"):
        build(make_cfg(stage="low_to_high", high_to_low_run=str(tmp_path / "missing")))


def test_batch_must_split_into_critic_slices_per_replica():
    check_batch(make_cfg(batch_size=4, n_critic=2).training, replicas=2, where="x.yaml")
    with pytest.raises(ConfigError, match=r"x.yaml: training.batch_size \(6\).*n_critic \(2\).*2 replica"):
        check_batch(make_cfg(batch_size=6, n_critic=2).training, replicas=2, where="x.yaml")


def test_fixed_degradations_and_pixel_targets():
    gan = build(make_cfg(stage="low_to_high", degradation="blur_bilinear"))
    hr = tf.constant(faces(4, 64, 5))
    first = gan.degrade(hr)
    np.testing.assert_array_equal(first, gan.degrade(hr))  # keyed by the step: repeatable
    gan.step.assign(1)
    assert not np.allclose(first, gan.degrade(hr))  # a new step draws new kernels
    assert first.shape == (4, 16, 16, 3)
    gan = build(make_cfg(stage="low_to_high", degradation="bilinear"))
    np.testing.assert_array_equal(gan.degrade(hr), degrade.bilinear(hr))
    np.testing.assert_allclose(average_downsample(hr)[0, 0, 0], hr[0, :4, :4].numpy().mean(axis=(0, 1)), atol=1e-6)


def test_ema_warms_up_then_keeps_its_decay():
    import keras

    from tfsr.training.ema import ExponentialMovingAverage

    dense = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    ema = ExponentialMovingAverage(dense, decay=0.9)
    decays = []
    for _ in range(100):
        decays.append(float(ema.current_decay()))
        dense.layers[0].kernel.assign(dense.layers[0].kernel + 1.0)
        ema.update()
    # (1 + n) / (10 + n) until it passes the configured decay, then the decay itself.
    np.testing.assert_allclose(decays[:3], [1 / 10, 2 / 11, 3 / 12], rtol=1e-6)
    assert decays[-1] == pytest.approx(0.9)
    # After the warm-up, a constant target is approached at the configured rate: 0.9**100 of the gap is left.
    dense.layers[0].kernel.assign(np.full((2, 1), 5.0, "float32"))
    for _ in range(100):
        ema.update()
    np.testing.assert_allclose(ema.averages[0].numpy(), 5.0, atol=0.01)


def test_colour_anchor_adds_each_images_mean_colour_error_to_the_generator_loss():
    # Pixel loss only (beta 0), with and without the anchor, on the same start: g_loss grows by exactly
    # anchor * mean-colour error of the first step's outputs, and the generator's update changes with it.
    from tfsr.training.losses import mean_colour_loss

    losses, updates = [], []
    for anchor in (0.0, 10.0):
        gan = build(make_cfg(stage="low_to_high", degradation="bilinear", beta=0.0, n_critic=1, batch_size=2,
                             steps=1, steps_per_epoch=1, colour_anchor=anchor))
        hr = faces(2, 64, 3)
        before = weights([gan.low_to_high])
        sr = gan.low_to_high(degrade.bilinear(hr), training=True)
        expected_colour = float(mean_colour_loss(sr, hr))
        history = gan.fit(tf.data.Dataset.from_tensor_slices(hr).batch(2), epochs=1, verbose=0).history
        losses.append((history["g_loss"][0], history["g_pixel"][0], expected_colour))
        updates.append([a - b for a, b in zip(weights([gan.low_to_high]), before)])
    (plain_loss, plain_pixel, _), (anchored_loss, anchored_pixel, colour) = losses
    assert plain_loss == pytest.approx(plain_pixel)
    assert colour > 0
    assert anchored_loss == pytest.approx(anchored_pixel + 10.0 * colour, rel=1e-3)
    assert any(not np.allclose(a, b) for a, b in zip(*updates))
    assert float(mean_colour_loss(tf.zeros((1, 2, 2, 3)), tf.fill((1, 2, 2, 3), 0.5))) == pytest.approx(0.25)


def test_the_degradation_priors_levels_answer_to_the_discriminator_alone():
    # With High-to-Low's prior, the pixel loss anchors the network's output without the prior's blur and
    # noise: a pixel-only run (beta 0) leaves the prior's levels where they started while the network learns;
    # with the GAN term they move. Without the anchor a pixel loss would pull every level to zero.
    model = {**TINY_MODEL, "high_to_low": {**TINY_MODEL["high_to_low"], "input_skip": True, "degradation_prior": True}}
    moved = {}
    for beta in (0.0, 1.0):
        cfg = config_from_dict({"model": model, "training": {"batch_size": 4, "n_critic": 2, "steps": 3,
                                "steps_per_epoch": 3, "beta": beta, "stage": "high_to_low"}}, "tiny.yaml")
        gan = build(cfg)
        prior = gan.high_to_low.prior
        levels = [w.numpy().copy() for w in prior.trainable_weights]
        head = gan.high_to_low.head_conv.kernel.numpy().copy()
        history = gan.fit(unpaired(4, 3), epochs=1, verbose=0).history
        assert history["g_pixel"][0] > 0
        assert not np.allclose(gan.high_to_low.head_conv.kernel.numpy(), head)
        moved[beta] = max(float(np.max(np.abs(w.numpy() - v))) for w, v in zip(prior.trainable_weights, levels))
    assert moved[0.0] == 0.0
    assert moved[1.0] > 1e-4


def test_joint_fine_tune_keeps_the_levels_that_stage_1_learned():
    # In stage 3 Low-to-High's losses reach High-to-Low through its output; they would lower the prior's
    # levels (a cleaner input is easier to restore), so the prior is frozen there while the networks train.
    import keras

    from tfsr.models import build_discriminator, build_high_to_low, build_low_to_high
    from tfsr.training.joint_fine_tune import JointFineTune

    model = {**TINY_MODEL, "high_to_low": {**TINY_MODEL["high_to_low"], "input_skip": True, "degradation_prior": True}}
    cfg = config_from_dict({"model": model}, "tiny.yaml").model
    h2l = build_high_to_low(cfg)
    levels = [w.numpy().copy() for w in h2l.prior.weights]
    joint = JointFineTune(h2l, build_low_to_high(cfg), build_discriminator(cfg, 16), build_discriminator(cfg, 64), n_critic=2)
    joint.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    head = h2l.head_conv.kernel.numpy().copy()
    joint.fit(unpaired(4, 2), epochs=1, verbose=0)
    assert not np.allclose(h2l.head_conv.kernel.numpy(), head)
    for w, v in zip(h2l.prior.weights, levels):
        np.testing.assert_array_equal(w.numpy(), v)
