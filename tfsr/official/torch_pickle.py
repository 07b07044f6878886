"""A restricted reader of PyTorch weight files that never runs code from the file.

`torch.save` writes pickles, and unpickling a file from the internet naively can call any importable
function (`os.system`, `builtins.exec`, ...). A file of weights needs none of that: only an ordered dict,
tensor reconstruction and storage types. `read_state_dict` admits exactly those globals, maps them to
numpy reconstructions written here, and refuses every other global with a `ModelError` before anything is
called. torch is not needed.

Two on-disk formats are read:

- legacy (PyTorch < 1.6, the format of the authors' `model.pkl`): five pickles in a row (magic number,
  protocol version, sys_info, the object whose tensors refer to storages by persistent id, the list of
  storage keys), then each storage's raw bytes prefixed by its int64 element count;
- zip (PyTorch >= 1.6): `<archive>/data.pkl` plus one raw entry `<archive>/data/<key>` per storage.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import IO, Any, Callable

import ml_dtypes
import numpy as np

from tfsr.errors import ModelError

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

_STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype(np.float32),
    "DoubleStorage": np.dtype(np.float64),
    "HalfStorage": np.dtype(np.float16),
    "BFloat16Storage": np.dtype(ml_dtypes.bfloat16),
    "LongStorage": np.dtype(np.int64),
    "IntStorage": np.dtype(np.int32),
    "ShortStorage": np.dtype(np.int16),
    "CharStorage": np.dtype(np.int8),
    "ByteStorage": np.dtype(np.uint8),
    "BoolStorage": np.dtype(np.bool_),
}


# What garbled bytes can raise while being unpickled or parsed (after the restricted unpickler has refused
# every global): all of it means a damaged file, reported as a ModelError.
_CORRUPTION_ERRORS = (
    pickle.UnpicklingError, EOFError, zipfile.BadZipFile, ValueError, TypeError, KeyError, AttributeError,
    IndexError, OverflowError, RecursionError, struct.error, MemoryError,
)


class _StorageType:
    """What `torch.<X>Storage` unpickles to here: only its element type is used."""

    def __init__(self, name: str, dtype: np.dtype) -> None:
        self.name = name
        self.dtype = dtype


class _Storage:
    """A flat buffer of one dtype; tensors are strided views of it.

    In the legacy format the bytes come after the pickle that refers to them, so the buffer is allocated
    first and filled once the tensors (views of it) already exist.
    """

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _rebuild_tensor(
    storage: _Storage,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> np.ndarray:
    """The numpy stand-in for `torch._utils._rebuild_tensor_v2`."""
    del requires_grad, backward_hooks, metadata  # training state; a weights reader has no use for it
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("tensor rebuilt from something that is not a storage")
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)):
        raise pickle.UnpicklingError(f"tensor size {size!r} and stride {stride!r} do not match")
    values = (storage_offset, *size, *stride)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise pickle.UnpicklingError(f"tensor offset/size/stride must be non-negative integers: {values!r}")
    flat = storage.array
    if 0 in size:
        return np.zeros(size, flat.dtype)
    # as_strided reads raw memory: prove the last element lies inside the storage before making the view.
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise pickle.UnpicklingError(
            f"tensor of size {size} (stride {stride}, offset {storage_offset}) overruns its storage of "
            f"{flat.size} elements"
        )
    return np.lib.stride_tricks.as_strided(
        flat[storage_offset:], shape=size, strides=tuple(s * flat.itemsize for s in stride)
    )


def _rebuild_parameter(data: np.ndarray, requires_grad: bool = False, backward_hooks: Any = None) -> np.ndarray:
    """The numpy stand-in for `torch._utils._rebuild_parameter`: a parameter is just its tensor here."""
    del requires_grad, backward_hooks
    return data


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name, dtype) for name, dtype in _STORAGE_DTYPES.items()},
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose only reachable callables are those of `_ALLOWED_GLOBALS`.

    Every callable a pickle can invoke (REDUCE, NEWOBJ, INST, OBJ, BUILD's `__setstate__`, EXT codes) is
    first fetched through `find_class`, so refusing there refuses before anything runs.
    """

    def __init__(
        self,
        file: IO[bytes],
        source: str,
        persistent_load: Callable[[Any], _Storage] | None = None,
        allow_globals: bool = True,
    ) -> None:
        super().__init__(file)
        self._source = source
        self._persistent_load = persistent_load
        self._allow_globals = allow_globals

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED_GLOBALS.get((module, name)) if self._allow_globals else None
        if found is None:
            raise ModelError(
                f"{self._source}: refused to load global '{module}.{name}': a weights file may only "
                "hold tensors, and this one asks to import other code (corrupt or malicious file?)"
            )
        return found

    def persistent_load(self, pid: Any) -> _Storage:
        if self._persistent_load is None:
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return self._persistent_load(pid)


def _dtype_of(storage_type: Any, little_endian: bool) -> np.dtype:
    if not isinstance(storage_type, _StorageType):
        raise pickle.UnpicklingError(f"storage of unknown type {storage_type!r}")
    dtype = storage_type.dtype
    return dtype.newbyteorder("<" if little_endian else ">") if dtype.itemsize > 1 else dtype


def _check_storage_pid(pid: Any, lengths: tuple[int, ...]) -> tuple:
    if not (isinstance(pid, tuple) and len(pid) in lengths and pid[0] == "storage"):
        raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
    key, numel = pid[2], pid[4]
    if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
        raise pickle.UnpicklingError(f"malformed storage record {pid!r}")
    return pid


def _read_exact(file: IO[bytes], nbytes: int, what: str) -> bytes:
    data = file.read(nbytes)
    if len(data) != nbytes:
        raise pickle.UnpicklingError(f"file ends inside {what} ({len(data)} of {nbytes} bytes)")
    return data


def _load_legacy(file: IO[bytes], source: str) -> Any:
    def plain(what: str) -> Any:
        # The header pickles are plain numbers, dicts and lists: no global at all is admitted there.
        try:
            return _RestrictedUnpickler(file, source, allow_globals=False).load()
        except EOFError:
            raise pickle.UnpicklingError(f"file ends before its {what}") from None

    not_torch = f"{source}: not a PyTorch weights file (neither a zip archive nor the legacy magic number)"
    try:
        magic = plain("magic number")
    except _CORRUPTION_ERRORS:
        raise ModelError(not_torch) from None
    if magic != LEGACY_MAGIC_NUMBER:
        raise ModelError(not_torch)
    protocol = plain("protocol version")
    if protocol != LEGACY_PROTOCOL_VERSION:
        raise ModelError(f"{source}: unsupported legacy PyTorch protocol version {protocol!r}")
    sys_info = plain("sys_info")
    little_endian = bool(sys_info.get("little_endian", True)) if isinstance(sys_info, dict) else True
    file_size = os.fstat(file.fileno()).st_size

    roots: dict[str, _Storage] = {}

    def persistent_load(pid: Any) -> _Storage:
        _, storage_type, key, _location, numel, view = _check_storage_pid(pid, (6,))
        dtype = _dtype_of(storage_type, little_endian)
        if key not in roots:
            # Refuse sizes the file cannot hold before allocating, so a crafted count cannot exhaust memory.
            if numel * dtype.itemsize > file_size:
                raise pickle.UnpicklingError(f"storage '{key}' claims {numel} elements, more than the file holds")
            roots[key] = _Storage(np.zeros(numel, dtype))
        root = roots[key]
        if root.array.dtype != dtype:
            raise pickle.UnpicklingError(f"storage '{key}' is used with two dtypes")
        if view is None:
            return root
        # PyTorch < 0.4 could save a storage that is a slice of another: (view key, offset, numel) in elements.
        _view_key, offset, view_numel = view
        in_bounds = isinstance(offset, int) and isinstance(view_numel, int) and 0 <= offset <= offset + view_numel
        if not (in_bounds and offset + view_numel <= root.array.size):
            raise pickle.UnpicklingError(f"storage view {view!r} lies outside storage '{key}'")
        return _Storage(root.array[offset : offset + view_numel])

    obj = _RestrictedUnpickler(file, source, persistent_load).load()
    keys = plain("storage key list")
    if not (isinstance(keys, list) and sorted(keys) == sorted(roots)):
        raise pickle.UnpicklingError("the storage key list does not match the storages the tensors use")
    for key in keys:
        array = roots[key].array
        (numel,) = struct.unpack("<q" if little_endian else ">q", _read_exact(file, 8, f"storage '{key}' header"))
        if numel != array.size:
            raise pickle.UnpicklingError(f"storage '{key}' holds {numel} elements, its tensors expect {array.size}")
        array[:] = np.frombuffer(_read_exact(file, array.nbytes, f"storage '{key}'"), array.dtype)
    return obj


def _load_zip(path: Path, source: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        pickles = [name for name in archive.namelist() if name.count("/") == 1 and name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ModelError(f"{source}: a zip that is not a PyTorch weights file (no single '<name>/data.pkl')")
        prefix = pickles[0][: -len("data.pkl")]
        little_endian = True
        if f"{prefix}byteorder" in archive.namelist():
            little_endian = archive.read(f"{prefix}byteorder").strip() != b"big"

        def persistent_load(pid: Any) -> _Storage:
            _, storage_type, key, _location, numel = _check_storage_pid(pid, (5,))
            dtype = _dtype_of(storage_type, little_endian)
            try:
                info = archive.getinfo(f"{prefix}data/{key}")
            except KeyError:
                raise pickle.UnpicklingError(f"storage '{key}' has no data entry in the archive") from None
            # Deflate cannot exceed ~1032:1, so a bigger claim is a zip bomb aimed at memory.
            if info.file_size > 1100 * info.compress_size:
                raise pickle.UnpicklingError(f"storage '{key}' claims an impossible compression ratio")
            if info.file_size != numel * dtype.itemsize:
                raise pickle.UnpicklingError(
                    f"storage '{key}' holds {info.file_size} bytes, its record says {numel} x {dtype.itemsize}"
                )
            return _Storage(np.frombuffer(archive.read(info), dtype).copy())

        return _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), source, persistent_load).load()


def read_state_dict(path: str | os.PathLike[str]) -> "collections.OrderedDict[str, np.ndarray]":
    """Reads a PyTorch `state_dict` file into numpy arrays without running any code from the file.

    Args:
        path: a file written by `torch.save(module.state_dict(), path)`, in the legacy (PyTorch < 1.6) or
            zip format.

    Returns:
        The parameter and buffer names mapped to arrays, in the file's order. Arrays may share memory
        where the file's tensors shared storage.

    Raises:
        ModelError: the file is missing, not a PyTorch file, corrupt, not a mapping of names to tensors,
            or refers to any global other than tensor reconstruction (the message names the global).

    Example:
        >>> state = read_state_dict("model.pkl")  # doctest: +SKIP
        >>> state["layers_in.weight"].shape  # doctest: +SKIP
        (256, 3, 3, 3)
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ModelError(f"{source}: {'not a regular file' if path.exists() else 'no such file'}")
    try:
        if zipfile.is_zipfile(path):
            obj = _load_zip(path, source)
        else:
            with open(path, "rb") as file:
                obj = _load_legacy(file, source)
    except ModelError:
        raise
    except _CORRUPTION_ERRORS as err:
        raise ModelError(f"{source}: corrupt PyTorch weights file: {err}") from None
    if not (isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items())):
        raise ModelError(f"{source}: holds a {type(obj).__name__}, not a state_dict (a mapping of names to tensors)")
    return collections.OrderedDict(obj)
