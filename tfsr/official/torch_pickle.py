"""A restricted reader of PyTorch weight files that never runs code from the file and cannot be made to
touch memory outside the buffers it allocates.

`torch.save` writes pickles, and unpickling a file from the internet naively can call any importable
function (`os.system`, `builtins.exec`, ...) or, through BUILD, rewrite the attributes of any object on the
stack. A file of weights needs none of that. `read_state_dict` interprets the pickle itself
(`tfsr.official.pickle_machine`): only plain data, an ordered dict, tensor reconstruction and storage types,
BUILD only to give an `OrderedDict` its `_metadata`. torch is not needed.

What it guarantees, for any input file:
- no code from the file runs, and no global outside the allow-list is even looked up;
- no object made by the reader is changed by the file after it is made: storages and storage types are
  immutable, BUILD reaches only a fresh `OrderedDict` (checked plain `_metadata`), SETITEM only dicts;
- every tensor is a view whose bytes are proven to lie inside the buffer of its storage, computed in bytes
  from the buffer numpy really holds; views with a zero stride over several elements or with overlapping
  elements are refused, so a tensor never holds more elements than its storage;
- allocation is bounded by the file: legacy storages together may not claim more bytes than the file holds,
  a zip's `data.pkl` is at most 64 MiB, and each zip storage is read once however often it is referenced;
- every failure is a `ModelError` naming the file.
It is fuzzed with atheris (`fuzz/fuzz_torch_pickle.py`); see docs/security.md.

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
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import ml_dtypes
import numpy as np

from tfsr.errors import ModelError
from tfsr.official.pickle_machine import RefusedPickle, ShortRead, run_pickle

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
# A state_dict's pickle holds names and tensor records only (the released network's is 28 KiB).
MAX_DATA_PKL_BYTES = 64 * 2**20

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


class _Damaged(Exception):
    """A structural problem in the file, reported as a ModelError with the file's name."""


# What garbled bytes can raise inside genops, the stack machine, struct, zipfile and zlib: all of it means
# a damaged file. The list is closed on purpose (no bare `Exception`): the fuzzer's job is to find anything
# else, which would be a bug of ours.
_CORRUPTION_ERRORS = (
    _Damaged, EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error, MemoryError,
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, UnicodeError,
)


class _StorageType:
    """What `torch.<X>Storage` unpickles to here: an immutable record of its element type."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: np.dtype) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dtype)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("storage types are immutable")

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class _Storage:
    """A flat, C-contiguous buffer of one dtype that tensors view; its buffer cannot be replaced.

    In the legacy format the bytes come after the pickle that refers to them, so the buffer is allocated
    first and filled once the tensors (views of it) already exist.
    """

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        if not (array.ndim == 1 and array.flags.c_contiguous):
            raise _Damaged("a storage must be one contiguous buffer")
        object.__setattr__(self, "array", array)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("storages are immutable")


def _check_view(size: tuple[int, ...], stride: tuple[int, ...]) -> None:
    """Refuses zero strides and self-overlapping views, so a view never has more elements than memory."""
    dims = sorted((s, n) for n, s in zip(size, stride) if n > 1)
    span = 1  # elements covered by the dimensions with smaller strides
    for s, n in dims:
        if s < span:
            raise _Damaged(f"tensor of size {size} with stride {stride} overlaps itself")
        span = s * n


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
    if type(storage) is not _Storage:
        raise _Damaged("tensor rebuilt from something that is not a storage")
    if not (type(size) is tuple and type(stride) is tuple and len(size) == len(stride)):
        raise _Damaged(f"tensor size {size!r:.80} and stride {stride!r:.80} do not match")
    values = (storage_offset, *size, *stride)
    if not all(type(v) is int and v >= 0 for v in values):
        raise _Damaged(f"tensor offset/size/stride must be non-negative integers: {values!r:.120}")
    flat = storage.array
    if 0 in size:
        return np.zeros(size, flat.dtype)
    _check_view(size, stride)
    # as_strided reads raw memory: prove in bytes, against the buffer numpy holds, that the view's first
    # and last bytes lie inside it before making the view.
    itemsize = flat.dtype.itemsize
    last_byte = (storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1) * itemsize
    if not (flat.flags.c_contiguous and flat.strides == (itemsize,) and flat.nbytes == flat.size * itemsize):
        raise _Damaged("a storage is not one contiguous buffer")
    if last_byte > flat.nbytes:
        raise _Damaged(
            f"tensor of size {size} (stride {stride}, offset {storage_offset}) overruns its storage of "
            f"{flat.size} elements"
        )
    return np.lib.stride_tricks.as_strided(
        flat[storage_offset:], shape=size, strides=tuple(s * itemsize for s in stride)
    )


def _rebuild_parameter(data: np.ndarray, requires_grad: bool = False, backward_hooks: Any = None) -> np.ndarray:
    """The numpy stand-in for `torch._utils._rebuild_parameter`: a parameter is just its tensor here."""
    del requires_grad, backward_hooks
    if type(data) is not np.ndarray:
        raise _Damaged("a parameter rebuilt from something that is not a tensor")
    return data


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name, dtype) for name, dtype in _STORAGE_DTYPES.items()},
}
_CALLABLES = (collections.OrderedDict, _rebuild_tensor, _rebuild_parameter)
_METADATA_VALUES = (int, float, str, bool, type(None))


def _find_global(source: str, allow: bool):
    def find(module: str, name: str) -> Any:
        found = _ALLOWED_GLOBALS.get((module, name)) if allow else None
        if found is None:
            raise ModelError(
                f"{source}: refused to load global '{module}.{name}': a weights file may only "
                "hold tensors, and this one asks to import other code (corrupt or malicious file?)"
            )
        return found

    return find


def _build_state_dict(target: Any, state: Any) -> None:
    """BUILD as a `state_dict` needs it: `_metadata` (module name -> plain version record), nothing else.

    The metadata is checked and then dropped: tfsr reads tensors, not module versions.
    """
    if type(target) is not collections.OrderedDict:
        raise RefusedPickle(f"BUILD on a {type(target).__name__}: only a state_dict's OrderedDict takes a state")
    if not (type(state) is dict and set(state) == {"_metadata"}):
        raise RefusedPickle(f"BUILD with a state other than {{'_metadata': ...}}: {state!r:.80}")
    metadata = state["_metadata"]
    plain = type(metadata) in (dict, collections.OrderedDict) and all(
        type(key) is str and type(record) is dict
        and all(type(k) is str and type(v) in _METADATA_VALUES for k, v in record.items())
        for key, record in metadata.items()
    )
    if not plain:
        raise RefusedPickle("a state_dict's _metadata holds something other than plain version records")


def _unpickle(stream: IO[bytes] | ShortRead, source: str, persistent_load: Any = None, allow_globals: bool = True) -> Any:
    return run_pickle(
        stream,
        _find_global(source, allow_globals),
        callables=_CALLABLES if allow_globals else (),
        persistent_load=persistent_load,
        build=_build_state_dict if allow_globals else None,
    )


def _dtype_of(storage_type: Any, little_endian: bool) -> np.dtype:
    if type(storage_type) is not _StorageType:
        raise _Damaged(f"storage of unknown type {storage_type!r:.80}")
    dtype = storage_type.dtype
    return dtype.newbyteorder("<" if little_endian else ">") if dtype.itemsize > 1 else dtype


def _check_storage_pid(pid: Any, lengths: tuple[int, ...]) -> tuple:
    if not (type(pid) is tuple and len(pid) in lengths and type(pid[0]) is str and pid[0] == "storage"):
        raise _Damaged(f"unsupported persistent id {pid!r:.80}")
    key, numel = pid[2], pid[4]
    if not (type(key) is str and type(numel) is int and numel >= 0):
        raise _Damaged(f"malformed storage record {pid!r:.80}")
    return pid


def _read_exact(file: IO[bytes], nbytes: int, what: str) -> bytes:
    data = file.read(nbytes)
    if len(data) != nbytes:
        raise _Damaged(f"file ends inside {what} ({len(data)} of {nbytes} bytes)")
    return data


def _load_legacy(file: IO[bytes], source: str) -> Any:
    file_size = os.fstat(file.fileno()).st_size

    def plain(what: str) -> Any:
        # The header pickles are plain numbers, dicts and lists: no global at all is admitted there.
        try:
            return _unpickle(ShortRead(file, file_size - file.tell()), source, allow_globals=False)
        except (EOFError, ValueError):
            raise _Damaged(f"file ends or breaks before its {what}") from None

    not_torch = f"{source}: not a PyTorch weights file (neither a zip archive nor the legacy magic number)"
    try:
        magic = plain("magic number")
    except (RefusedPickle, *_CORRUPTION_ERRORS):
        raise ModelError(not_torch) from None
    if magic != LEGACY_MAGIC_NUMBER:
        raise ModelError(not_torch)
    protocol = plain("protocol version")
    if protocol != LEGACY_PROTOCOL_VERSION:
        raise ModelError(f"{source}: unsupported legacy PyTorch protocol version {protocol!r:.40}")
    sys_info = plain("sys_info")
    little_endian = bool(sys_info.get("little_endian", True)) if type(sys_info) is dict else True

    roots: dict[str, _Storage] = {}
    claimed = [0]  # bytes all storages claim together; the file must hold them

    def persistent_load(pid: Any) -> _Storage:
        _, storage_type, key, _location, numel, view = _check_storage_pid(pid, (6,))
        dtype = _dtype_of(storage_type, little_endian)
        if key not in roots:
            # Refuse sizes the file cannot hold before allocating, so crafted counts cannot exhaust memory.
            claimed[0] += numel * dtype.itemsize
            if claimed[0] > file_size:
                raise _Damaged(f"storage '{key}' claims {numel} elements, more than the file holds")
            roots[key] = _Storage(np.zeros(numel, dtype))
        root = roots[key]
        if root.array.dtype != dtype:
            raise _Damaged(f"storage '{key}' is used with two dtypes")
        if view is None:
            return root
        # PyTorch < 0.4 could save a storage that is a slice of another: (view key, offset, numel) in elements.
        if not (type(view) is tuple and len(view) == 3):
            raise _Damaged(f"malformed storage view {view!r:.80}")
        _view_key, offset, view_numel = view
        in_bounds = type(offset) is int and type(view_numel) is int and 0 <= offset <= offset + view_numel
        if not (in_bounds and offset + view_numel <= root.array.size):
            raise _Damaged(f"storage view {view!r:.80} lies outside storage '{key}'")
        return _Storage(root.array[offset : offset + view_numel])

    obj = _unpickle(ShortRead(file, file_size - file.tell()), source, persistent_load)
    keys = plain("storage key list")
    if not (type(keys) is list and all(type(k) is str for k in keys) and sorted(keys) == sorted(roots)):
        raise _Damaged("the storage key list does not match the storages the tensors use")
    for key in keys:
        array = roots[key].array
        (numel,) = struct.unpack("<q" if little_endian else ">q", _read_exact(file, 8, f"storage '{key}' header"))
        if numel != array.size:
            raise _Damaged(f"storage '{key}' holds {numel} elements, its tensors expect {array.size}")
        array[:] = np.frombuffer(_read_exact(file, array.nbytes, f"storage '{key}'"), array.dtype)
    return obj


def _checked_entry(archive: zipfile.ZipFile, name: str, limit: int | None = None) -> zipfile.ZipInfo:
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:  # torch never encrypts; zipfile would ask for a password
        raise _Damaged(f"'{name}' is encrypted")
    # Deflate cannot exceed ~1032:1, so a bigger claim is a zip bomb aimed at memory.
    if info.file_size > 1100 * max(info.compress_size, 1):
        raise _Damaged(f"'{name}' claims an impossible compression ratio")
    if limit is not None and info.file_size > limit:
        raise _Damaged(f"'{name}' is {info.file_size} bytes, more than a weights pickle needs ({limit})")
    return info


def _load_zip(path: Path, source: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ModelError(f"{source}: a zip that is not a PyTorch weights file (no single '<name>/data.pkl')")
        prefix = pickles[0][: -len("data.pkl")]
        little_endian = True
        if f"{prefix}byteorder" in names:
            little_endian = archive.read(_checked_entry(archive, f"{prefix}byteorder", 16)).strip() != b"big"
        storages: dict[str, _Storage] = {}

        def persistent_load(pid: Any) -> _Storage:
            _, storage_type, key, _location, numel = _check_storage_pid(pid, (5,))
            dtype = _dtype_of(storage_type, little_endian)
            if key in storages:  # read each storage once, however many tensors refer to it
                storage = storages[key]
                if storage.array.dtype != dtype or storage.array.size != numel:
                    raise _Damaged(f"storage '{key}' is used with two dtypes or sizes")
                return storage
            entry = f"{prefix}data/{key}"
            if entry not in names:
                raise _Damaged(f"storage '{key}' has no data entry in the archive")
            info = _checked_entry(archive, entry)
            if info.file_size != numel * dtype.itemsize:
                raise _Damaged(
                    f"storage '{key}' holds {info.file_size} bytes, its record says {numel} x {dtype.itemsize}"
                )
            storages[key] = _Storage(np.frombuffer(archive.read(info), dtype).copy())
            return storages[key]

        pickle_bytes = archive.read(_checked_entry(archive, pickles[0], MAX_DATA_PKL_BYTES))
        return _unpickle(io.BytesIO(pickle_bytes), source, persistent_load)


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
            refers to any global other than tensor reconstruction (the message names the global), or uses
            pickle operations a weights file never needs.

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
    except RefusedPickle as err:
        raise ModelError(f"{source}: refused: {err} (corrupt or malicious file?)") from None
    except _CORRUPTION_ERRORS as err:
        raise ModelError(f"{source}: corrupt PyTorch weights file: {err}") from None
    except OSError as err:
        raise ModelError(f"{source}: cannot be read: {err}") from None
    if not (type(obj) in (dict, collections.OrderedDict)
            and all(type(k) is str and type(v) is np.ndarray for k, v in obj.items())):
        raise ModelError(f"{source}: holds a {type(obj).__name__}, not a state_dict (a mapping of names to tensors)")
    return collections.OrderedDict(obj)
