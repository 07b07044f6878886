"""Helpers that several test files share: tiny networks and configs, random faces, run directories.

Kept here rather than in one test file that others import (or reach through `sys.path`), as keras-hub keeps
its `test_case.py`: a test file then depends only on tfsr and this file. Plain functions are imported
(`from conftest import tiny_raw`); fixtures are found by pytest.

The tiny networks keep the paper's shapes (16x16 -> 64x64, three Low-to-High groups) at the narrowest widths
that still exercise every layer, so a test traces and runs them in seconds on 2 CPU cores.
"""

from __future__ import annotations

import collections
import functools
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml

from tfsr.config import Config, config_from_dict
from tfsr.models import LowToHighGenerator, OfficialLowToHighGenerator
from tfsr.official import convert_official
from tfsr.official.torch_pickle import LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION
from tfsr.runs import RunDir

#: Steps of the tiny training runs.
STEPS = 5
#: The GAN's step in a checkpoint.
STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"


def tiny_low_to_high(
    seed: int | None = None, group_filters: tuple[int, int, int] = (8, 8, 8), **kwargs: Any
) -> LowToHighGenerator:
    """A built Low-to-High generator with one block per group.

    Args:
        seed: `keras.utils.set_random_seed` before building, so its weights are the same in every run.
        group_filters: channels of the 16x16, 32x32 and 64x64 groups.
        **kwargs: other `LowToHighGenerator` arguments (`align_corners`, `input_skip`, `name`).
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    g = LowToHighGenerator(group_filters=group_filters, group_blocks=(1, 1, 1), **kwargs)
    g.build((None, 16, 16, 3))
    return g


def random_faces(n: int, size: int = 16, seed: int = 0) -> np.ndarray:
    """`n` float32 faces `[n, size, size, 3]` uniform in [-1, 1] (the networks' range)."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype(np.float32)


def write_run(root: Path, generator: keras.Model, config: dict[str, Any] | None = None) -> Path:
    """A run directory as training leaves it: the generator as its EMA Low-to-High file, and `config.yaml`."""
    run = RunDir(root)
    run.models.mkdir(parents=True, exist_ok=True)
    generator.save(run.model_file("low_to_high", ema=True))
    if config is not None:
        run.config_file.write_text(yaml.safe_dump(config))
    return root


def tiny_raw(**training: Any) -> dict[str, Any]:
    """A stage-1 experiment on the demo faces with the narrowest networks the paper's shapes allow."""
    return {
        "name": "tiny",
        "model": {
            "high_to_low": {"filters": 4, "noise_dim": 4, "blocks_per_group": 1},
            "low_to_high": {"group_filters": [8, 4, 4], "group_blocks": [1, 1, 1]},
            "discriminator": {"filters": 4},
        },
        "data": {"demo": True},
        "training": {
            "stage": "high_to_low",
            "steps": STEPS,
            "steps_per_epoch": 2,
            "batch_size": 10,
            "n_critic": 5,
            "ema_decay": 0.5,
            "checkpoint_every": 1,
            "sample_every": 2,
            **training,
        },
    }


def tiny_config(**training: Any) -> Config:
    """`tiny_raw` as a validated `Config`."""
    return config_from_dict(tiny_raw(**training), "tiny.yaml")


def checkpoint_values(run_dir: Path) -> dict[str, np.ndarray]:
    """Every variable of the newest checkpoint (networks, optimizers, averages, step)."""
    reader = tf.train.load_checkpoint(str(RunDir(run_dir).checkpoints))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map() if "OBJECT_GRAPH" not in name}


def video_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video file, BGR uint8, as OpenCV decodes it."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


class FixedBoxes:
    """A face detector that finds the given `(x, y, w, h, score)` boxes in any picture."""

    def __init__(self, boxes):
        self.boxes = [tuple(b) for b in boxes]

    def detect(self, image):
        return list(self.boxes)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Low-to-High generator saved as `.keras` (seeded: the same weights in every session)."""
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    tiny_low_to_high(seed=3).save(path)
    return path


# ---------------------------------------------------------------- PyTorch files, written without PyTorch
# The torch pickle protocol by hand: the reader's tests, the converter's and the fuzzer's seeds write
# state_dicts in both of PyTorch's formats (legacy and zip) through these.
STORAGE_NAMES = {
    np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float64): "DoubleStorage",
    np.dtype(np.float16): "HalfStorage",
    np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage",
    np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage",
}


class Global:
    """A global written by name (`torch._utils._rebuild_tensor_v2`) without importing it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's REDUCE requires a callable; only its name is ever written
        raise AssertionError(f"{self.module}.{self.name} is a name, not code")


class Storage:
    def __init__(self, key: str, flat: np.ndarray, view_of: tuple[Storage, int] | None = None) -> None:
        self.key, self.flat, self.view_of = key, flat, view_of


class Tensor:
    """A strided view of a storage, pickled the way torch pickles a tensor."""

    def __init__(self, storage: Storage, offset: int, size: tuple, stride: tuple) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        args = (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())
        return Global("torch._utils", "_rebuild_tensor_v2"), args


def tensor(array: np.ndarray, key: str) -> Tensor:
    contiguous = np.require(array, requirements="C")  # unlike ascontiguousarray, keeps 0-d arrays 0-d
    flat = contiguous.ravel()
    strides = tuple(s // array.itemsize for s in contiguous.strides)
    return Tensor(Storage(key, flat), 0, tuple(array.shape), strides)


class TorchStylePickler(pickle._Pickler):
    """Writes `Global`s as GLOBAL opcodes and storages as persistent ids, as torch's pickler does."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, legacy: bool) -> None:
        super().__init__(file, protocol=2)
        self.legacy = legacy
        self.storages: dict[str, np.ndarray] = {}

    def save_global_by_name(self, obj: Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[Global] = save_global_by_name

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        storage_type = Global("torch", STORAGE_NAMES[obj.flat.dtype])
        if obj.view_of is not None:  # legacy only: a slice of a root storage, which holds the bytes
            root, offset = obj.view_of
            self.storages[root.key] = root.flat
            return ("storage", storage_type, root.key, "cpu", root.flat.size, (obj.key, offset, obj.flat.size))
        self.storages[obj.key] = obj.flat
        record = ("storage", storage_type, obj.key, "cpu", obj.flat.size)
        return record + (None,) if self.legacy else record


def write_legacy(path: Path, obj) -> Path:
    with open(path, "wb") as f:
        for header in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, f, protocol=2)
        pickler = TorchStylePickler(f, legacy=True)
        pickler.dump(obj)
        pickle.dump(list(pickler.storages), f, protocol=2)
        for flat in pickler.storages.values():
            f.write(struct.pack("<q", flat.size) + flat.astype(flat.dtype.newbyteorder("<")).tobytes())
    return path


def write_zip(path: Path, obj, compression: int = zipfile.ZIP_STORED) -> Path:
    buffer = io.BytesIO()
    pickler = TorchStylePickler(buffer, legacy=False)
    pickler.dump(obj)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("weights/data.pkl", buffer.getvalue())
        archive.writestr("weights/byteorder", "little")
        for key, flat in pickler.storages.items():
            archive.writestr(f"weights/data/{key}", flat.tobytes())
    return path


# ------------------------------------------------------------ the released network's fixture (gen_deep)
FIXTURE_PKL = "gen_deep_random_state_legacy.pkl"
FIXTURE_IO = "gen_deep_io.npz"
def fixture_dir() -> Path:
    """The `gen_deep` fixture folder; skips the calling test when it is absent.

    Found under `$TFSR_SHARED_DIR/fixtures/gen_deep`, else `../shared/fixtures/gen_deep` beside the repository.
    """
    shared = Path(os.environ.get("TFSR_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
    folder = shared / "fixtures" / "gen_deep"
    if not (folder / FIXTURE_PKL).is_file() or not (folder / FIXTURE_IO).is_file():
        pytest.skip(f"the released-network fixture is not present at {folder} (set TFSR_SHARED_DIR to its shared/)")
    return folder


@functools.lru_cache(maxsize=1)
def _converted(folder: Path) -> OfficialLowToHighGenerator:
    return convert_official(folder / FIXTURE_PKL)


def converted_fixture_model() -> OfficialLowToHighGenerator:
    """The fixture's weights converted to Keras (built once per test session); skips without the fixture."""
    return _converted(fixture_dir())


def fixture_arrays() -> dict[str, np.ndarray]:
    """The fixture's inputs, PyTorch outputs and taps (see its README); skips without the fixture."""
    with np.load(fixture_dir() / FIXTURE_IO) as data:
        return {key: data[key] for key in data.files}
