"""`FaceCrops`: a set of square face crops, whether still in image files or already in memory.

Folders of CelebA-sized JPEGs are decoded by TensorFlow inside the pipeline at every epoch (fast, no
memory), while files that need Pillow (CMYK, 16-bit, EXIF-rotated, transparent), TFDS datasets, WIDER FACE
crops and the demo set are held as one uint8 array (a memory-mapped `.npy` when read from the crop
cache). The pipeline indexes both through one integer index.

The array never enters the `tf.data` graph: constants past 2 GB (~170k crops of 64x64) cannot be
serialised, so whole batches are gathered from it by one `tf.numpy_function` call each.
"""

from __future__ import annotations

import logging
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf

from tfsr.data import images
from tfsr.errors import DataError

log = logging.getLogger(__name__)

_THREADS = 8
_DCT_RATIOS = (1, 2, 4, 8)


@dataclass
class FaceCrops:
    """Square face crops of side `size`.

    Args:
        size: side of every crop, in pixels.
        files: image files that TensorFlow decodes in the pipeline.
        boxes: `[len(files), 3]` int32 crop squares `(x0, y0, side)`, inside each image.
        is_jpeg: `[len(files)]` bool; JPEGs are decoded only inside their crop window.
        array: `[M, size, size, 3]` uint8 crops already in memory; they follow the files in index order.
        skipped: files that could not be read (already logged).
    """

    size: int
    files: list[str] = field(default_factory=list)
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int32))
    is_jpeg: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))
    array: np.ndarray | None = None
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.array is None:
            self.array = np.zeros((0, self.size, self.size, 3), np.uint8)

    def __len__(self) -> int:
        return len(self.files) + len(self.array)

    @classmethod
    def from_array(cls, array: np.ndarray, skipped: Sequence[str] = ()) -> "FaceCrops":
        # A uint8 array (or memory map) is kept as is: copying a mapped cache would read it all into memory.
        if not (isinstance(array, np.ndarray) and array.dtype == np.uint8):
            array = np.asarray(array, np.uint8)
        return cls(size=array.shape[1], array=array, skipped=list(skipped))

    def merge(self, other: "FaceCrops") -> "FaceCrops":
        if other.size != self.size:
            raise ValueError(f"cannot merge {other.size}px crops into {self.size}px crops")
        return FaceCrops(
            size=self.size,
            files=self.files + other.files,
            boxes=np.concatenate([self.boxes, other.boxes]).astype(np.int32),
            is_jpeg=np.concatenate([self.is_jpeg, other.is_jpeg]).astype(bool),
            array=np.concatenate([self.array, other.array]),
            skipped=self.skipped + other.skipped,
        )

    def window_fn(self) -> Callable[[tf.Tensor], tf.Tensor]:
        """A traceable map from a file's index to its crop square, `[s, s, 3]` uint8 at the decoder's
        reduced scale (`decode_window`), not yet resized."""
        files = tf.constant(self.files)
        boxes = tf.constant(self.boxes, tf.int32)
        is_jpeg = tf.constant(self.is_jpeg)
        return lambda i: decode_window(files[i], boxes[i], is_jpeg[i], self.size)

    def batches(self, indices: tf.data.Dataset, batch_size: int, max_side: int) -> tf.data.Dataset:
        """Batches of `(indices [B], windows [B, s, s, 3] uint8, sides [B])` for `pick`.

        File crops are decoded in parallel, area-resized to `size` if their side exceeds `max_side` or is
        below `size`, and
        zero-padded to the batch's largest side; crops of the array are left to `pick` (their window is
        empty), so the array stays out of the graph.
        """
        if not self.files:
            empty = tf.zeros([batch_size, 0, 0, 3], tf.uint8)
            sides = tf.zeros([batch_size], tf.int32)
            return indices.batch(batch_size, drop_remainder=True).map(lambda i: (i, empty, sides))
        window, n_files, size = self.window_fn(), len(self.files), self.size

        def from_file(i):
            crop = window(i)
            side = tf.shape(crop)[0]
            return tf.cond((side > max_side) | (side < size), lambda: _area_uint8(crop, size), lambda: crop)

        def load(i):
            crop = tf.cond(i < n_files, lambda: from_file(i), lambda: tf.zeros([0, 0, 3], tf.uint8))
            return i, crop, tf.shape(crop)[0]

        return indices.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).padded_batch(
            batch_size, padded_shapes=([], [None, None, 3], []), drop_remainder=True
        )

    def pick(self, indices: np.ndarray, windows: np.ndarray, sides: np.ndarray) -> list[np.ndarray]:
        """The crops of one batch of `batches` (numpy; the array's crops are views, not copies)."""
        n_files = len(self.files)
        return [
            windows[k, : sides[k], : sides[k]] if i < n_files else self.array[i - n_files]
            for k, i in enumerate(indices)
        ]

    def decoded_batches(self, batch_size: int = 256) -> Iterator[np.ndarray]:
        """Every crop in index order, `size` x `size` uint8, a batch at a time (files area-resized)."""
        if self.files:
            window, size = self.window_fn(), self.size
            ds = (
                tf.data.Dataset.range(len(self.files))
                .map(lambda i: _area_uint8(window(i), size), num_parallel_calls=tf.data.AUTOTUNE)
                .batch(batch_size)
            )
            yield from (b.numpy() for b in ds)
        for start in range(0, len(self.array), batch_size):
            yield np.asarray(self.array[start : start + batch_size])

    def materialise(self) -> "FaceCrops":
        """All crops decoded into memory (for caching, evaluation, or small sets)."""
        if not self.files:
            return self
        empty = np.zeros((0, self.size, self.size, 3), np.uint8)
        return FaceCrops.from_array(np.concatenate([empty, *self.decoded_batches()]), self.skipped)


def decode_window(path: tf.Tensor, box: tf.Tensor, is_jpeg: tf.Tensor, size: int) -> tf.Tensor:
    """Reads one file and returns its square `box` area as uint8, not resized.

    JPEGs go through `decode_and_crop_jpeg`, which skips the blocks outside the window, at the largest
    DCT scaling (1/2, 1/4, 1/8) that still leaves at least `size` pixels: decoding at half scale costs
    less, and a smaller crop is cheaper to resample.
    """
    data = tf.io.read_file(path)
    x0, y0, side = box[0], box[1], box[2]

    def jpeg(ratio: int):
        window = tf.stack([y0, x0, side, side]) // ratio
        return lambda: tf.io.decode_and_crop_jpeg(data, window, channels=3, ratio=ratio)

    def other():
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return image[y0 : y0 + side, x0 : x0 + side]

    level = tf.reduce_sum(tf.cast(side >= size * tf.constant(_DCT_RATIOS[1:]), tf.int32))
    crop = tf.cond(is_jpeg, lambda: tf.switch_case(level, [jpeg(r) for r in _DCT_RATIOS]), other)
    return tf.ensure_shape(crop, [None, None, 3])


def _area_uint8(crop: tf.Tensor, size: int) -> tf.Tensor:
    resized = tf.image.resize(crop, [size, size], method="area")
    return tf.cast(tf.round(tf.ensure_shape(resized, [size, size, 3])), tf.uint8)


def split_of(keys: Sequence[str], fraction: float, split: str) -> list[int]:
    """Indices of `keys` in `split` ("train" or "test"): a stable hash holds out `fraction` of them.

    Hashing the key (a path) rather than shuffling keeps every face on the same side when files are added.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if split == "all" or fraction <= 0:
        return list(range(len(keys))) if split != "test" else []
    bound = int(fraction * 2**32)
    held = [zlib.crc32(k.encode()) < bound for k in keys]
    return [i for i, h in enumerate(held) if h == (split == "test")]


def crops_from_paths(paths: Sequence[str], size: int, centre_fraction: float, where: str) -> FaceCrops:
    """Face crops from image files: the central square (`centre_fraction` of the shorter side) of each.

    Headers are read first: plain files are left to TensorFlow (after one validating decode pass, so a
    truncated file cannot stop an epoch), the others are converted now with Pillow, and unreadable files
    are skipped and logged.

    Raises:
        DataError: none of the files is usable (the message names `where`).
    """
    with ThreadPoolExecutor(_THREADS) as pool:
        infos = list(pool.map(images.probe, paths))
    skipped = [str(p) for p, info in zip(paths, infos) if info is None]
    plain = [info for info in infos if info is not None and info.tf_decodable]
    convert = [info for info in infos if info is not None and not info.tf_decodable]

    def pillow_crop(info: images.ImageInfo) -> np.ndarray | None:
        try:
            image = images.read_image(info.path)
        except DataError:
            return None
        box = images.centre_box(image.shape[1], image.shape[0], centre_fraction)
        return images.crop_square(image, box, size)

    with ThreadPoolExecutor(_THREADS) as pool:
        converted = list(pool.map(pillow_crop, convert))
    skipped += [info.path for info, c in zip(convert, converted) if c is None]
    array = np.stack([c for c in converted if c is not None]) if any(c is not None for c in converted) else None

    boxes = [images.clip_box(images.centre_box(i.width, i.height, centre_fraction), i.width, i.height) for i in plain]
    crops = FaceCrops(
        size=size,
        files=[i.path for i in plain],
        boxes=np.asarray(boxes, np.int32).reshape(-1, 3),
        is_jpeg=np.asarray([i.is_jpeg for i in plain], bool),
        array=array,
    )
    crops = _drop_undecodable(crops)
    crops.skipped = skipped + crops.skipped
    images.report_skipped(crops.skipped, where)
    if not len(crops):
        raise DataError(f"{where}: no usable images ({len(crops.skipped)} unreadable)")
    return crops


def _drop_undecodable(crops: FaceCrops) -> FaceCrops:
    """Decodes every file once through the pipeline's own decoder and keeps those that succeed."""
    if not crops.files:
        return crops
    window = crops.window_fn()
    # Something computed from the crop must be an output: if only the index came out, graph optimisation
    # would drop the decode.
    ds = (
        tf.data.Dataset.range(len(crops.files))
        .map(lambda i: (i, tf.reduce_max(window(i))), num_parallel_calls=tf.data.AUTOTUNE)
        .ignore_errors()
        .batch(1024)
    )
    ok = np.concatenate([i.numpy() for i, _ in ds] + [np.zeros((0,), np.int64)])
    if len(ok) == len(crops.files):
        return crops
    bad = sorted(set(range(len(crops.files))) - set(ok.tolist()))
    return FaceCrops(
        size=crops.size,
        files=[crops.files[i] for i in ok],
        boxes=crops.boxes[ok],
        is_jpeg=crops.is_jpeg[ok],
        array=crops.array,
        skipped=crops.skipped + [crops.files[i] for i in bad],
    )
