"""TFDS datasets (`celeb_a` for high-resolution faces, `wider_face` for real low-resolution ones), offline.

Nothing is downloaded: a dataset is used if it is already prepared in `data_dir`, or built from the
archives a user put in `manual_dir` (TFDS' own download folder layout). Otherwise the error says where
it looked.
"""

from __future__ import annotations

import logging

import numpy as np
import tensorflow as tf

from tfsr.data.crops import FaceCrops
from tfsr.data.wider_face import FaceRules, WiderFace, crop_faces
from tfsr.errors import DataError

log = logging.getLogger(__name__)

# Held-out faces come from each dataset's own test split.
_SPLITS = {"celeb_a": {"train": "train", "test": "test"}, "wider_face": {"train": "train", "test": "validation"}}


def load_builder(name: str, data_dir: str | None, manual_dir: str | None):
    """A prepared TFDS builder, built from `manual_dir` if needed; never downloads.

    Raises:
        DataError: the dataset is unknown, or neither prepared in `data_dir` nor buildable from `manual_dir`.
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:  # TFDS raises several types for unknown names and bad dirs.
        raise DataError(f"TFDS dataset '{name}': {err}") from None
    if builder.is_prepared():
        return builder
    where = data_dir or "the default TFDS data dir"
    if not manual_dir:
        raise DataError(
            f"TFDS dataset '{name}' is not prepared in {where}; set data.tfds_manual_dir to the folder with its "
            "downloaded archives (tfsr never downloads)"
        )
    try:
        builder.download_and_prepare(
            download_dir=manual_dir,
            download_config=tfds.download.DownloadConfig(manual_dir=manual_dir, try_download_gcs=False),
        )
    except Exception as err:  # Any failure here means the archives are missing or incomplete.
        raise DataError(
            f"TFDS dataset '{name}' could not be built offline from {manual_dir} into {where}: "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        ) from None
    return builder


def _dataset(name: str, split: str, data_dir: str | None, manual_dir: str | None) -> tf.data.Dataset:
    builder = load_builder(name, data_dir, manual_dir)
    return builder.as_dataset(split=_SPLITS[name][split], shuffle_files=False)


def celeb_a_crops(
    split: str, size: int, centre_fraction: float, data_dir: str | None, manual_dir: str | None, limit: int | None = None
) -> FaceCrops:
    """High-resolution crops from TFDS `celeb_a`: the central square of each aligned 178x218 image."""
    ds = _dataset("celeb_a", split, data_dir, manual_dir)
    if limit:
        ds = ds.take(limit)

    def crop(example):
        image = example["image"]
        shape = tf.shape(image)
        side = tf.cast(tf.round(tf.cast(tf.minimum(shape[0], shape[1]), tf.float32) * centre_fraction), tf.int32)
        y0, x0 = (shape[0] - side) // 2, (shape[1] - side) // 2
        window = image[y0 : y0 + side, x0 : x0 + side]
        return tf.cast(tf.round(tf.image.resize(window, [size, size], method="area")), tf.uint8)

    batches = ds.map(crop, num_parallel_calls=tf.data.AUTOTUNE).batch(512).prefetch(2)
    array = np.concatenate([b.numpy() for b in batches] + [np.zeros((0, size, size, 3), np.uint8)])
    if not len(array):
        raise DataError(f"TFDS dataset 'celeb_a' split '{split}' is empty")
    return FaceCrops.from_array(array)


def wider_face_crops(
    split: str,
    rules: FaceRules,
    size: int,
    margin: float,
    data_dir: str | None,
    manual_dir: str | None,
    limit: int | None = None,
) -> FaceCrops:
    """Low-resolution crops of the WIDER FACE faces that `rules` keep, from TFDS `wider_face`."""
    ds = _dataset("wider_face", split, data_dir, manual_dir)
    if limit:
        ds = ds.take(limit)
    crops = []
    for example in ds.prefetch(4).as_numpy_iterator():
        image = example["image"]
        h, w = image.shape[:2]
        f = example["faces"]
        n = min(len(f[key]) for key in ("bbox", "blur", "invalid", "occlusion"))
        # TFDS stores boxes as normalised (ymin, xmin, ymax, xmax).
        faces = [
            WiderFace(
                x=box[1] * w,
                y=box[0] * h,
                w=(box[3] - box[1]) * w,
                h=(box[2] - box[0]) * h,
                blur=int(f["blur"][k]),
                invalid=bool(f["invalid"][k]),
                occlusion=int(f["occlusion"][k]),
            )
            for k, box in enumerate(f["bbox"][:n])
        ]
        crops += crop_faces(image, faces, rules, size, margin)
    if not crops:
        raise DataError(f"TFDS dataset 'wider_face' split '{split}': no face passes the rules")
    return FaceCrops.from_array(np.stack(crops))
