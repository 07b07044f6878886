"""The training streams (on the embedded demo set), batch augmentation, and the degradation ops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfsr.config import AugmentConfig, config_from_dict
from tfsr.data import augment, degrade, demo, pipeline
from tfsr.data.crops import FaceCrops


@pytest.fixture(scope="module", autouse=True)
def demo_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TFSR_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def cfg():
    return config_from_dict({"data": {"demo": True}})


def _take(ds, n):
    return [tuple(t.numpy() for t in b) if isinstance(b, tuple) else b.numpy() for b in ds.take(n)]


def test_demo_set_holds_real_detected_faces():
    hr, lr = demo.hr_faces(64), demo.lr_faces(16)
    assert hr.shape == (3 * demo.CROPS_PER_FACE, 64, 64, 3) and hr.dtype == np.uint8
    # The stand-in camera's LR faces are colour faces like the HR ones, degraded: never an HR training crop.
    assert lr.dtype == np.uint8 and lr.shape[1:] == (16, 16, 3) and not (lr[..., 0] == lr[..., 2]).all()
    train, test = demo.hr_faces(64, "train"), demo.hr_faces(64, "test")
    assert len(train) + len(lr) + len(test) == len(hr) and abs(len(train) - len(lr)) <= 1
    pooled = tf.nn.avg_pool2d(hr.astype(np.float32), 4, 4, "VALID").numpy()
    nearest = [np.abs(pooled - x.astype(np.float32)).mean(axis=(1, 2, 3)).argmin() for x in lr[:10]]
    train_pooled = tf.nn.avg_pool2d(train.astype(np.float32), 4, 4, "VALID").numpy()
    assert not any(np.array_equal(pooled[i], t) for i in nearest for t in train_pooled)
    # Test pairs: the held-out HR crops and the camera's view of exactly those crops.
    hr_test, lr_test = demo.test_pairs(64, 16)
    assert len(hr_test) == len(lr_test) == len(test)
    close = np.abs(tf.nn.avg_pool2d(hr_test.astype(np.float32), 4, 4, "VALID").numpy() - lr_test).mean()
    assert 2 < close < 40  # degraded (not a copy), but of the same faces
    # The three faces are different people, and YuNet finds a face again in each un-jittered crop.
    firsts = hr[:: demo.CROPS_PER_FACE].astype(float)
    assert min(np.abs(firsts[i] - firsts[j]).mean() for i, j in [(0, 1), (0, 2), (1, 2)]) > 20
    from tfsr.faces.detection import YuNetDetector

    upscaled = np.stack([tf.image.resize(f, [192, 192]).numpy().astype(np.uint8) for f in firsts.astype(np.uint8)])
    assert all(YuNetDetector(0.5).detect(f) for f in upscaled)
    assert len(test) > 0
    # Cached: the second call reads the same array from disk.
    np.testing.assert_array_equal(demo.hr_faces(64), hr)


def test_streams_have_the_promised_shapes_and_range(cfg):
    (hr, lr), = _take(pipeline.build_unpaired_dataset(cfg, 10, seed=3), 1)
    assert hr.shape == (10, 64, 64, 3) and lr.shape == (10, 16, 16, 3)
    assert hr.dtype == lr.dtype == np.float32
    assert hr.min() >= -1 and hr.max() <= 1 and hr.min() < -0.5 and hr.max() > 0.5
    ev = pipeline.build_eval_images(cfg, limit=4)
    assert ev.shape == (4, 64, 64, 3) and ev.dtype == np.float32 and -1 <= ev.min() and ev.max() <= 1
    np.testing.assert_allclose(ev, demo.hr_faces(64, "test")[:4] / 127.5 - 1, atol=1e-6)
    assert pipeline.build_eval_lr_images(cfg).shape[1:] == (16, 16, 3)


def test_streams_are_deterministic_and_resume_exactly(cfg):
    full = _take(pipeline.build_unpaired_dataset(cfg, 32, seed=5), 12)
    again = _take(pipeline.build_unpaired_dataset(cfg, 32, seed=5), 12)
    for a, b in zip(full, again):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    # 12 batches of 32 cross the epoch boundary of the ~260 training faces.
    resumed = _take(pipeline.build_unpaired_dataset(cfg, 32, seed=5, start_step=9), 3)
    for a, b in zip(full[9:], resumed):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    other = _take(pipeline.build_hr_dataset(cfg, 32, seed=6), 1)[0]
    assert not np.array_equal(other, full[0][0])


def test_every_face_is_seen_once_per_epoch(cfg):
    n = len(demo.hr_faces(64, "train"))
    batches = _take(pipeline.build_hr_dataset(cfg, n, seed=1, augment=False), 2)
    expected = np.sort((demo.hr_faces(64, "train") / 127.5 - 1).reshape(n, -1), axis=0)
    for batch in batches:
        np.testing.assert_allclose(np.sort(batch.reshape(n, -1), axis=0), expected, atol=1e-6)
    assert not np.array_equal(batches[0], batches[1])  # each epoch has its own order


def test_large_in_memory_crop_sets_stream_without_graph_constants():
    """Constants past 2 GB cannot be serialised: the graph must not grow with the number of crops."""
    rng = np.random.default_rng(4)
    small, large = (FaceCrops.from_array(rng.integers(0, 256, (n, 64, 64, 3)).astype(np.uint8)) for n in (16, 4096))
    sizes = []
    for crops in (small, large):
        ds = pipeline.crop_stream(crops, 8, 0, 0, AugmentConfig(), 64, 1)
        sizes.append(len(ds._as_serialized_graph().numpy()))
    assert large.array.nbytes > 50e6 and sizes[1] < 1e5 and abs(sizes[1] - sizes[0]) < 1e3
    # The crops come out intact, in the seeded order, gathered from the array.
    plain = pipeline.crop_stream(large, 8, 0, 0, pipeline._NO_AUGMENT, 64, 1)
    order = next(iter(pipeline.index_stream(4096, 0).batch(8))).numpy()
    np.testing.assert_allclose(next(iter(plain)).numpy(), large.array[order] / 127.5 - 1, atol=1e-6)


def test_augmentations_do_what_they_say():
    rng = np.random.default_rng(0)
    crops = tf.constant(rng.integers(0, 256, (16, 64, 64, 3)).astype(np.uint8))
    seed = tf.constant([1, 2])
    off = AugmentConfig(flip=False, scale=0, rotation=0, brightness=0, contrast=0, saturation=0, hue=0)
    np.testing.assert_allclose(augment.augment_batch(crops, seed, off, 64), crops.numpy() / 127.5 - 1, atol=1e-6)
    flipped = augment.augment_batch(crops, seed, AugmentConfig(**{**vars(off), "flip": True}), 64).numpy()
    plain = crops.numpy() / 127.5 - 1
    same = [np.allclose(f, p, atol=1e-5) for f, p in zip(flipped, plain)]
    mirrored = [np.allclose(f, p[:, ::-1], atol=1e-5) for f, p in zip(flipped, plain)]
    assert all(s or m for s, m in zip(same, mirrored)) and 0 < sum(mirrored) < 16
    # Rotation keeps the centre pixel's neighbourhood but moves the corners.
    smooth = tf.image.resize(tf.cast(crops[:, :8, :8], tf.float32), [64, 64]).numpy().astype(np.uint8)
    turned = augment.augment_batch(smooth, seed, AugmentConfig(**{**vars(off), "rotation": 30}), 64).numpy()
    base = smooth / 127.5 - 1
    assert np.abs(turned[:, 28:36, 28:36] - base[:, 28:36, 28:36]).mean() < np.abs(turned[:, :8, :8] - base[:, :8, :8]).mean()
    # Colour jitter with only hue changes colours but keeps the luminance.
    gray_weights = np.array([0.299, 0.587, 0.114])
    hue_only = augment.augment_batch(smooth, seed, AugmentConfig(**{**vars(off), "hue": 0.2}), 64).numpy()
    assert np.abs(hue_only - base).max() > 0.05
    lum = lambda x: (x * gray_weights).sum(-1)  # noqa: E731
    unclipped = (np.abs(hue_only) < 0.999).all(-1)
    np.testing.assert_allclose(lum(hue_only)[unclipped], lum(base)[unclipped], atol=1e-4)
    brighter = augment.augment_batch(smooth, seed, AugmentConfig(**{**vars(off), "brightness": 0.2}), 64).numpy()
    shift = (brighter - base).reshape(16, -1)
    assert np.abs(shift).max() > 0.02
    unclipped = (np.abs(brighter) < 0.999).reshape(16, -1) & (np.abs(base) < 0.999).reshape(16, -1)
    for row, keep in zip(shift, unclipped):
        assert np.ptp(row[keep]) < 1e-4  # one offset per image


def test_degradations_downscale_and_are_reproducible():
    hr = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 64, 64, 3)).astype(np.float32))
    flat = tf.fill([2, 64, 64, 3], 0.2)
    np.testing.assert_allclose(degrade.bilinear(flat, 4), np.full((2, 16, 16, 3), 0.2), atol=1e-6)
    np.testing.assert_allclose(degrade.bicubic(flat, 4), np.full((2, 16, 16, 3), 0.2), atol=1e-5)
    for name, fn in degrade.DEGRADATIONS.items():
        a, b = fn(hr, tf.constant([3, 4]), 4).numpy(), fn(hr, tf.constant([3, 4]), 4).numpy()
        assert a.shape == (4, 16, 16, 3), name
        assert -1 <= a.min() and a.max() <= 1, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    # The library's real-world chains are more than a resize: noise, blur, compression.
    for name in ("camera", "web", "high_order"):
        assert np.abs(degrade.DEGRADATIONS[name](hr, 5, 4).numpy() - degrade.bicubic(hr, 4).numpy()).mean() > 0.02, name
    # Blur before downscaling smooths: less high-frequency energy than plain bilinear.
    energy = lambda x: np.abs(np.diff(x, axis=2)).mean()  # noqa: E731
    assert energy(degrade.blur_bilinear(hr, 7, 4).numpy()) < 0.8 * energy(degrade.bilinear(hr, 4).numpy())
    assert not np.array_equal(degrade.blur_bilinear(hr, 7, 4), degrade.blur_bilinear(hr, 8, 4))
    # A blur kernel preserves the mean, and wider kernels blur more.
    point = np.zeros((2, 21, 21, 3), np.float32)
    point[:, 10, 10] = 1
    spread = degrade._blur(tf.constant(point), tf.constant([0.7, 2.0])).numpy()
    np.testing.assert_allclose(spread.sum(axis=(1, 2)), 1.0, atol=1e-5)
    assert spread[0, 10, 10, 0] > spread[1, 10, 10, 0]
    noisy = degrade.sensor_noise(tf.zeros([2, 32, 32, 3]), 1).numpy()
    assert 0.005 < noisy.std() < 0.5
    shifted = degrade.colour_shift(flat, 2).numpy()
    assert not np.allclose(shifted, 0.2) and np.ptp(shifted[0].reshape(-1, 3), axis=0).max() < 1e-6
    jpeg = degrade.jpeg(hr, 3).numpy()
    assert jpeg.shape == hr.shape and 0.01 < np.abs(jpeg - hr.numpy()).mean() < 0.5
