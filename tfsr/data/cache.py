"""A cache of decoded face crops as sharded TFRecord files (`data.cache_dir`).

Scanning, validating and cropping a large folder or a TFDS dataset once per run wastes minutes; the cache
stores the finished `size` x `size` uint8 crops, keyed by everything that decides them (sources, sizes,
rules, split, and each folder's file count and newest modification time), so a changed source is
rebuilt rather than silently reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from tfsr.data.crops import FaceCrops

log = logging.getLogger(__name__)

_SHARD = 8192  # crops per TFRecord file


def cached_crops(cache_dir: str | os.PathLike, name: str, key: dict[str, Any], build: Callable[[], FaceCrops]) -> FaceCrops:
    """Returns the crops stored under `cache_dir` for `key`, or builds, stores and returns them.

    Args:
        cache_dir: the cache root.
        name: a readable prefix of the entry's folder (`hr-train`).
        key: JSON-able description of everything the crops depend on.
        build: makes the crops when they are not cached.
    """
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    entry = Path(cache_dir).expanduser() / f"{name}-{digest}"
    meta_path = entry / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        log.info("reading %d cached crops from %s", meta["count"], entry)
        return FaceCrops.from_array(_read(entry, meta["size"], meta["shards"]), meta.get("skipped", []))
    crops = build().materialise()
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{name}-"))
    shards = _write(tmp, crops.array)
    meta = {"count": len(crops), "size": crops.size, "shards": shards, "skipped": crops.skipped, "key": key}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
    try:
        tmp.rename(entry)
    except OSError:
        # Another process cached the same entry first; theirs is identical.
        shutil.rmtree(tmp, ignore_errors=True)
    return crops


def folder_fingerprint(paths: list[str]) -> dict[str, Any]:
    """File count and newest modification time of each folder or file list: cheap change detection."""
    out = {}
    for p in paths:
        root = Path(p).expanduser()
        files = [root] if root.is_file() else [f for f in root.rglob("*") if f.is_file()]
        out[str(root)] = [len(files), max((f.stat().st_mtime for f in files), default=0.0)]
    return out


def _write(folder: Path, array: np.ndarray) -> list[str]:
    names = []
    n_shards = max(1, -(-len(array) // _SHARD))
    for k in range(n_shards):
        name = f"crops-{k:05d}-of-{n_shards:05d}.tfrecord"
        with tf.io.TFRecordWriter(str(folder / name)) as writer:
            for crop in array[k * _SHARD : (k + 1) * _SHARD]:
                feature = {"crop": tf.train.Feature(bytes_list=tf.train.BytesList(value=[crop.tobytes()]))}
                writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
        names.append(name)
    return names


def _read(folder: Path, size: int, shards: list[str]) -> np.ndarray:
    spec = {"crop": tf.io.FixedLenFeature([], tf.string)}

    def parse(records):
        raw = tf.io.parse_example(records, spec)["crop"]
        return tf.reshape(tf.io.decode_raw(raw, tf.uint8), [-1, size, size, 3])

    ds = tf.data.TFRecordDataset([str(folder / s) for s in shards]).batch(4096).map(parse)
    return np.concatenate([b.numpy() for b in ds] + [np.zeros((0, size, size, 3), np.uint8)])
