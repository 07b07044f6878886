"""The training streams: face crops -> `tf.data` (decode, augment, normalise to [-1, 1], batch, prefetch).

Order of operations, chosen for exact resume and speed:

    epoch permutations of crop indices -> skip to `start_step` -> decode the files' crop windows (per
    image, parallel, at reduced JPEG scale) -> padded batch -> one `tf.numpy_function` per batch: gather
    the in-memory crops, warp each crop once straight to the output size (flip, zoom, rotation) and apply
    one colour matrix (jitter and [-1, 1]) -> prefetch

Each epoch is a full stateless permutation keyed by `(seed, epoch)`, so resuming at `start_step` starts
directly at the right epoch and offset (no decoding of skipped images), and a run resumed in a new process
sees exactly the batches an uninterrupted run would. Augmentation is keyed by the batch's step for the same
reason. In-memory crops never become graph constants, so sets of any size (the paper's 182,866 faces from
`data.cache_dir`) stream from a memory map.

Example:
    >>> cfg = tfsr.config.load_config("configs/demo.yaml")
    >>> hr = build_hr_dataset(cfg, global_batch_size=32, seed=0)
    >>> next(iter(hr)).shape
    TensorShape([32, 64, 64, 3])
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import tensorflow as tf

from tfsr.config import AugmentConfig, Config
from tfsr.data import augment as aug
from tfsr.data import cache, demo, images, tfds_sources, wider_face
from tfsr.data.crops import FaceCrops, crops_from_paths, split_of
from tfsr.errors import DataError

log = logging.getLogger(__name__)

# Independent random streams of one seed.
_HR_STREAM, _LR_STREAM = 1, 2
_NO_AUGMENT = AugmentConfig(flip=False, scale=0, rotation=0, brightness=0, contrast=0, saturation=0, hue=0)


# ------------------------------------------------------------------------------------------- sources
def hr_crops(cfg: Config, split: str = "train") -> FaceCrops:
    """High-resolution face crops of every configured source (`train` or `test` part).

    Raises:
        DataError: no source is configured, or a source is empty (the message names it).
    """
    d, size = cfg.data, cfg.model.hr_size
    if d.demo:
        return FaceCrops.from_array(demo.hr_faces(size, split, d.test_fraction))
    if not (d.hr_dirs or d.hr_file_lists or d.tfds_hr):
        raise DataError("no high-resolution faces: set data.hr_dirs, data.hr_file_lists or data.tfds_hr (or data.demo)")

    def build() -> FaceCrops:
        parts = _file_crops(d.hr_dirs, d.hr_file_lists, split, d.test_fraction, size, d.hr_centre_crop)
        if d.tfds_hr:
            parts.append(
                tfds_sources.celeb_a_crops(split, size, d.hr_centre_crop, d.tfds_data_dir, d.tfds_manual_dir)
            )
        return _merge(parts)

    key = {
        "size": size,
        "split": split,
        "test_fraction": d.test_fraction,
        "centre": d.hr_centre_crop,
        "tfds": [d.tfds_hr, d.tfds_data_dir],
        "folders": cache.folder_fingerprint(d.hr_dirs + d.hr_file_lists),
    }
    return cache.cached_crops(d.cache_dir, f"hr-{split}", key, build) if d.cache_dir else build()


def lr_crops(cfg: Config, split: str = "train") -> FaceCrops:
    """Real low-resolution face crops of every configured source, in memory.

    Raises:
        DataError: no source is configured, or a source is empty (the message names it).
    """
    d, size = cfg.data, cfg.model.lr_size
    if d.demo:
        return FaceCrops.from_array(demo.lr_faces(size, split, d.test_fraction))
    if not (d.lr_dirs or d.lr_file_lists or d.wider_face_root or d.tfds_lr):
        raise DataError(
            "no real low-resolution faces: set data.lr_dirs, data.lr_file_lists, data.wider_face_root or "
            "data.tfds_lr (or data.demo)"
        )
    rules = wider_face.FaceRules(d.lr_min_face, d.lr_max_face, d.lr_max_blur, d.lr_max_occlusion, d.lr_keep_invalid)

    def build() -> FaceCrops:
        parts = [c.materialise() for c in _file_crops(d.lr_dirs, d.lr_file_lists, split, d.test_fraction, size, 1.0)]
        if d.wider_face_root:
            parts.append(
                wider_face.load_split(
                    d.wider_face_root, d.wider_face_split, rules, size, d.crop_margin, split, d.test_fraction
                )
            )
        if d.tfds_lr:
            parts.append(
                tfds_sources.wider_face_crops(
                    split, rules, size, d.crop_margin, d.tfds_data_dir, d.tfds_manual_dir
                )
            )
        return _merge(parts)

    key = {
        "size": size,
        "split": split,
        "test_fraction": d.test_fraction,
        "rules": vars(rules),
        "margin": d.crop_margin,
        "wider": [d.wider_face_root, d.wider_face_split],
        "tfds": [d.tfds_lr, d.tfds_data_dir],
        "folders": cache.folder_fingerprint(d.lr_dirs + d.lr_file_lists),
    }
    return cache.cached_crops(d.cache_dir, f"lr-{split}", key, build) if d.cache_dir else build()


def _file_crops(
    dirs: list[str], lists: list[str], split: str, test_fraction: float, size: int, centre: float
) -> list[FaceCrops]:
    """The crops of the image folders and file lists (an empty list when there are none)."""
    paths: list[str] = []
    for folder in dirs:
        found = images.list_images(folder)
        if not found:
            raise DataError(f"{folder}: no images ({', '.join(images.IMAGE_EXTENSIONS)})")
        paths += [str(p) for p in found]
    for list_file in lists:
        listed = images.read_file_list(list_file)
        if not listed:
            raise DataError(f"{list_file}: the file list is empty")
        paths += [str(p) for p in listed]
    if not paths:
        return []
    where = ", ".join(dirs + lists)
    keep = split_of(paths, test_fraction, split)
    if not keep:
        raise DataError(f"{where}: no images in the '{split}' part (data.test_fraction={test_fraction})")
    return [crops_from_paths([paths[i] for i in keep], size, centre, where)]


def _merge(parts: list[FaceCrops]) -> FaceCrops:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


# ------------------------------------------------------------------------------------------- streams
def index_stream(n: int, seed: int, start: int = 0) -> tf.data.Dataset:
    """Crop indices forever: epoch `e` is a stateless permutation keyed by `(seed, e)`; starts at element `start`."""
    start_epoch, offset = divmod(int(start), int(n))
    base = tf.constant([seed, 0], tf.int64)

    def epoch(e):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), tf.random.experimental.stateless_fold_in(base, e)
        )
        first = tf.where(e == start_epoch, tf.constant(offset, tf.int64), tf.constant(0, tf.int64))
        return tf.data.Dataset.from_tensor_slices(perm[first:])

    return tf.data.Dataset.range(start_epoch, np.iinfo(np.int64).max).flat_map(epoch)


def crop_stream(
    crops: FaceCrops, batch_size: int, seed: int, start_step: int, cfg: AugmentConfig, size: int, stream: int
) -> tf.data.Dataset:
    """Batches of `crops` in a seeded order, augmented as `cfg` says (keyed by `seed`, the step and
    `stream`), as float32 `[B, size, size, 3]` in [-1, 1]."""
    if batch_size <= 0:
        raise ValueError(f"global_batch_size must be > 0, got {batch_size}")
    base = tf.constant([seed, 1], tf.int64)
    resample = aug.resamples(cfg)
    max_side = int(aug.MAX_WARP_RATIO * size) if resample else size
    batches = crops.batches(index_stream(len(crops), seed, start_step * batch_size), batch_size, max_side)
    steps = tf.data.Dataset.counter(start_step, dtype=tf.int64)

    def finish(batch, step):
        fold = tf.random.experimental.stateless_fold_in
        params = aug.draw(fold(fold(base, step), stream), batch_size, cfg)
        return aug.finish_op(crops.pick, list(batch), params, batch_size, size, resample)

    return (
        tf.data.Dataset.zip(batches, steps)
        .map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
        .with_options(_options())
    )


def _options() -> tf.data.Options:
    options = tf.data.Options()
    options.deterministic = True
    # Parallelism comes from parallel map calls; ops inside them using more threads would oversubscribe.
    options.threading.max_intra_op_parallelism = 1
    options.experimental_optimization.map_parallelization = True
    return options


def build_hr_dataset(
    cfg: Config, global_batch_size: int, seed: int, start_step: int = 0, augment: bool = True
) -> tf.data.Dataset:
    """High-resolution faces for training: float32 `[B, hr, hr, 3]` in [-1, 1], forever.

    Args:
        cfg: the experiment (its `data` and `model.hr_size`).
        global_batch_size: images per batch (all replicas together); the last partial batch of an epoch
            is not dropped, the stream simply runs on into the next epoch.
        seed: seed of the order and augmentation.
        start_step: batches already consumed (for exact resume).
        augment: apply `data.augment` (flip, scale, rotation, colour jitter).

    Raises:
        DataError: a source is missing or empty, before any batch is made.
    """
    crops = hr_crops(cfg, "train")
    log.info("high-resolution faces: %d (%d skipped)", len(crops), len(crops.skipped))
    acfg = cfg.data.augment if augment else _NO_AUGMENT
    return crop_stream(crops, global_batch_size, seed, start_step, acfg, cfg.model.hr_size, _HR_STREAM)


def build_lr_dataset(
    cfg: Config, global_batch_size: int, seed: int, start_step: int = 0, augment: bool = True
) -> tf.data.Dataset:
    """Real low-resolution faces: float32 `[B, lr, lr, 3]` in [-1, 1], forever (random flips if
    `augment` and `data.augment.flip`; other augmentations would change the degradation being learned)."""
    crops = lr_crops(cfg, "train")
    log.info("real low-resolution faces: %d (%d skipped)", len(crops), len(crops.skipped))
    acfg = dataclasses.replace(_NO_AUGMENT, flip=augment and cfg.data.augment.flip)
    # A different seed keeps the LR order independent of the HR order.
    return crop_stream(crops, global_batch_size, seed + 7919, start_step, acfg, cfg.model.lr_size, _LR_STREAM)


def build_unpaired_dataset(
    cfg: Config, global_batch_size: int, seed: int, start_step: int = 0, augment: bool = True
) -> tf.data.Dataset:
    """Stage 1 (High-to-Low): `(hr [B, hr, hr, 3], lr [B, lr, lr, 3])` pairs of unrelated faces."""
    hr = build_hr_dataset(cfg, global_batch_size, seed, start_step, augment)
    lr = build_lr_dataset(cfg, global_batch_size, seed, start_step, augment)
    return tf.data.Dataset.zip(hr, lr).prefetch(tf.data.AUTOTUNE)


def build_eval_images(cfg: Config, split: str = "test", limit: int | None = None) -> np.ndarray:
    """Held-out high-resolution faces, float32 `[N, hr, hr, 3]` in [-1, 1], un-augmented, in a fixed order.

    For sample grids, export calibration and evaluation.
    """
    crops = hr_crops(cfg, split)
    if limit is not None:
        crops = _first(crops, limit)
    return aug.to_unit_range(crops.materialise().array, cfg.model.hr_size).numpy()


def build_eval_lr_images(cfg: Config, split: str = "test", limit: int | None = None) -> np.ndarray:
    """Held-out real low-resolution faces, float32 `[N, lr, lr, 3]` in [-1, 1] (the paper's FID test set)."""
    crops = lr_crops(cfg, split)
    array = crops.array[:limit] if limit is not None else crops.array
    return aug.to_unit_range(array, cfg.model.lr_size).numpy()


def _first(crops: FaceCrops, limit: int) -> FaceCrops:
    n_files = min(limit, len(crops.files))
    return FaceCrops(
        size=crops.size,
        files=crops.files[:n_files],
        boxes=crops.boxes[:n_files],
        is_jpeg=crops.is_jpeg[:n_files],
        array=crops.array[: max(0, limit - n_files)],
        skipped=crops.skipped,
    )
