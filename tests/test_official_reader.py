"""The code-free PyTorch reader: exact tensors from both formats, refusal of every other global, corruption.

Files are written here without torch, opcode for opcode as `torch.save` writes them (a pure-Python
pickler that emits the torch globals by name); where torch is installed it writes and reads them too.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import Global, Storage, Tensor, TorchStylePickler, tensor, write_legacy, write_zip

from tfsr.errors import ModelError
from tfsr.official.torch_pickle import LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, read_state_dict

def sample_state() -> tuple[collections.OrderedDict, dict[str, np.ndarray]]:
    """Tensors of several dtypes, a transposed (non-contiguous) one and two sharing one storage."""
    rng = np.random.default_rng(0)
    conv = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    shared = np.arange(12, dtype=np.float32)
    shared_storage = Storage("shared", shared)
    expected = {
        "conv.weight": conv,
        "bn.running_var": rng.uniform(0.5, 2.0, 7).astype(np.float64),
        "half": rng.standard_normal((2, 5)).astype(np.float16),
        "bn.num_batches_tracked": np.array(17, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "bytes": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "transposed": shared.reshape(3, 4).T,
        "slice": shared[5:9].reshape(2, 2),
    }
    state = collections.OrderedDict(
        (key, tensor(value, key)) for key, value in expected.items() if key not in ("transposed", "slice")
    )
    state["transposed"] = Tensor(shared_storage, 0, (4, 3), (1, 4))
    state["slice"] = Tensor(shared_storage, 5, (2, 2), (2, 1))
    return state, expected


def assert_same_arrays(found: dict, expected: dict) -> None:
    assert list(found) == list(expected)
    for key, value in expected.items():
        assert found[key].dtype == value.dtype, key
        np.testing.assert_array_equal(found[key], value, err_msg=key)


@pytest.mark.parametrize("writer", [write_legacy, write_zip], ids=["legacy", "zip"])
def test_reads_exact_tensors_of_both_formats(tmp_path, writer):
    state, expected = sample_state()
    found = read_state_dict(writer(tmp_path / "model.pkl", state))
    assert isinstance(found, collections.OrderedDict)
    assert_same_arrays(found, expected)


def test_reads_storage_views_of_old_legacy_files(tmp_path):
    root = Storage("root", np.arange(10, dtype=np.float32))
    view = Storage("view", root.flat[4:8], view_of=(root, 4))
    state = collections.OrderedDict(whole=Tensor(root, 0, (10,), (1,)), part=Tensor(view, 1, (2, 1), (2, 1)))
    found = read_state_dict(write_legacy(tmp_path / "views.pkl", state))
    np.testing.assert_array_equal(found["whole"], np.arange(10, dtype=np.float32))
    np.testing.assert_array_equal(found["part"], [[5.0], [7.0]])

    outside = Storage("outside", np.zeros(4, np.float32), view_of=(root, 8))
    bad = collections.OrderedDict(w=Tensor(outside, 0, (1,), (1,)))
    with pytest.raises(ModelError, match="lies outside storage 'root'"):
        read_state_dict(write_legacy(tmp_path / "bad_view.pkl", bad))


def test_reads_deflated_zip(tmp_path):
    state, expected = sample_state()
    assert_same_arrays(read_state_dict(write_zip(tmp_path / "m.pt", state, zipfile.ZIP_DEFLATED)), expected)


# Payloads that write `marker` when unpickled naively, each with the global the reader must name: they reach
# different dangerous callables through different opcode paths (REDUCE after GLOBAL, STACK_GLOBAL of
# protocol 4, protocol-0 INST).
class Reduce:
    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def payloads(marker: Path) -> dict[str, tuple[str, bytes]]:
    # Protocol 2 spells `builtins` as `__builtin__`: the reader names a global as the file writes it.
    touch = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": ("posix.system", pickle.dumps(Reduce(os.system, f"touch {marker}"), protocol=2)),
        "exec": ("__builtin__.exec", pickle.dumps(Reduce(exec, touch), protocol=2)),
        "eval": ("builtins.eval", pickle.dumps(Reduce(eval, touch), protocol=4)),
        "subprocess": ("subprocess.call", pickle.dumps(Reduce(subprocess.call, ["touch", str(marker)]), protocol=4)),
        "INST": ("os.system", b"(S'touch " + str(marker).encode() + b"'\nios\nsystem\n."),
    }


def torch_style_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    TorchStylePickler(buffer, legacy=True).dump(obj)
    return buffer.getvalue()


class PickledBytes:
    """Splices an already pickled object (minus its PROTO and STOP) into an enclosing pickle."""

    def __init__(self, body: bytes) -> None:
        self.body = body


def _save_spliced(pickler: TorchStylePickler, obj: PickledBytes) -> None:
    body = obj.body[2:] if obj.body[:1] == pickle.PROTO else obj.body
    pickler.write(body[:-1])  # drop STOP


TorchStylePickler.dispatch[PickledBytes] = _save_spliced


def legacy_with_body(path: Path, body: bytes) -> Path:
    with open(path, "wb") as f:
        for header in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(body)
        pickle.dump([], f, protocol=2)
    return path


def body_as_magic_number(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    return path


def zip_with_body(path: Path, body: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", body)
    return path


def body_as_backward_hooks(path: Path, body: bytes) -> Path:
    # Hidden where a tensor's backward hooks go, inside an otherwise valid state_dict.
    state, _ = sample_state()
    rebuild = Global("torch._utils", "_rebuild_tensor_v2")
    storage = Storage("s", np.zeros(2, np.float32))
    state["conv.weight"] = Reduce(rebuild, storage, 0, (2,), (1,), False, PickledBytes(body))
    return write_legacy(path, state)


CONTAINERS = {
    "legacy state_dict": legacy_with_body,
    "legacy magic number": body_as_magic_number,
    "zip data.pkl": zip_with_body,
    "tensor backward hooks": body_as_backward_hooks,
}


@pytest.mark.parametrize("container", list(CONTAINERS))
@pytest.mark.parametrize("payload", list(payloads(Path("m"))))
def test_refuses_code_and_runs_nothing(tmp_path, payload, container):
    naive_marker, marker = tmp_path / "naive_marker", tmp_path / "marker"
    # The payload is live: plain pickle runs it, so only the refusal keeps the marker from appearing.
    pickle.loads(payloads(naive_marker)[payload][1])
    assert naive_marker.exists()

    refused, body = payloads(marker)[payload]
    path = CONTAINERS[container](tmp_path / "model.pkl", body)
    with pytest.raises(ModelError) as err:
        read_state_dict(path)
    assert str(err.value).startswith(f"{path}: refused to load global '{refused}'")
    assert not marker.exists()


def test_refuses_torch_globals_outside_the_allow_list(tmp_path):
    # An allowed module does not admit its other names: `torch.load` would unpickle again, unrestricted.
    body = torch_style_bytes(Reduce(Global("torch", "load"), "other.pkl"))
    with pytest.raises(ModelError, match=r"refused to load global 'torch\.load'"):
        read_state_dict(legacy_with_body(tmp_path / "m.pkl", body))


def tensor_record(storage_numel: int, offset: int, size: tuple, stride: tuple) -> collections.OrderedDict:
    return collections.OrderedDict(w=Tensor(Storage("k", np.zeros(storage_numel, np.float32)), offset, size, stride))


@pytest.mark.parametrize(
    "offset, size, stride, message",
    [
        (0, (3, 3), (3, 1), "overruns its storage"),
        (3, (2,), (1,), "overruns its storage"),
        (0, (2,), (-1,), "non-negative"),
    ],
    ids=["size", "offset", "negative stride"],
)
def test_tensors_outside_their_storage_are_refused(tmp_path, offset, size, stride, message):
    # as_strided would read foreign memory here: the bounds must be checked first.
    state = collections.OrderedDict(w=Tensor(Storage("k", np.zeros(4, np.float32)), offset, size, stride))
    with pytest.raises(ModelError, match=message):
        read_state_dict(write_legacy(tmp_path / "bad.pkl", state))


def test_a_file_that_is_not_a_state_dict_is_refused(tmp_path):
    path = write_legacy(tmp_path / "list.pkl", [tensor(np.ones(2, np.float32), "a")])
    with pytest.raises(ModelError, match=r"list\.pkl: holds a list, not a state_dict"):
        read_state_dict(path)


def test_truncated_and_foreign_files_are_model_errors(tmp_path):
    state, _ = sample_state()
    whole = write_legacy(tmp_path / "whole.pkl", state).read_bytes()
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(whole[:-10])
    with pytest.raises(ModelError, match=r"truncated\.pkl: corrupt PyTorch weights file: file ends inside storage"):
        read_state_dict(truncated)

    text = tmp_path / "notes.txt"
    text.write_text("not weights\n")
    with pytest.raises(ModelError, match="not a PyTorch weights file"):
        read_state_dict(text)
    with pytest.raises(ModelError, match="no such file"):
        read_state_dict(tmp_path / "absent.pkl")


def test_huge_storage_claim_is_refused_before_allocating(tmp_path):
    # 2**40 float32 elements (4 TiB) in a file of a few hundred bytes.
    huge = collections.OrderedDict(w=Tensor(Storage("k", np.zeros(1, np.float32)), 0, (1,), (1,)))
    path = write_legacy(tmp_path / "huge.pkl", huge)
    data = path.read_bytes().replace(b"K\x01N", b"\x8a\x06\x00\x00\x00\x00\x00\x01N", 1)  # numel 1 -> 2**40
    path.write_bytes(data)
    with pytest.raises(ModelError, match="more than the file holds"):
        read_state_dict(path)


def test_random_corruption_only_ever_raises_model_error(tmp_path):
    state, _ = sample_state()
    clean = bytearray(write_legacy(tmp_path / "clean.pkl", state).read_bytes())
    rng = np.random.default_rng(1)
    path = tmp_path / "mutated.pkl"
    outcomes = collections.Counter()
    for _ in range(300):
        mutated = bytearray(clean)
        for position in rng.integers(0, len(mutated), size=3):
            mutated[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(mutated))
        try:
            read_state_dict(path)
            outcomes["read"] += 1
        except ModelError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0




def test_matches_torch_load_on_files_torch_writes(tmp_path):
    torch = pytest.importorskip("torch", reason="cross-check with PyTorch needs the optional torch extra")
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(6, 5, generator=generator)
    state = collections.OrderedDict(
        conv=torch.randn(4, 3, 3, 3, generator=generator),
        double=torch.randn(3, generator=generator, dtype=torch.float64),
        half=torch.randn(2, 2, generator=generator).half(),
        bfloat16=torch.randn(5, generator=generator).bfloat16(),
        steps=torch.tensor(7),
        mask=torch.tensor([True, False]),
        transposed=base.t(),
        row=base[2],
        column=base[:, 1],
        parameter=torch.nn.Parameter(torch.randn(3, generator=generator)),
    )
    for zip_format in (False, True):
        path = tmp_path / f"torch_{'zip' if zip_format else 'legacy'}.pt"
        torch.save(state, path, _use_new_zipfile_serialization=zip_format)
        found = read_state_dict(path)
        expected = torch.load(path, weights_only=True)
        assert list(found) == list(expected)
        for key, value in expected.items():
            value = value.detach()
            if value.dtype == torch.bfloat16:
                np.testing.assert_array_equal(found[key].astype(np.float32), value.float().numpy(), err_msg=key)
            else:
                assert found[key].dtype == value.numpy().dtype, key
                np.testing.assert_array_equal(found[key], value.numpy(), err_msg=key)


# --- Crafted files that name only allowed globals and attack through other opcodes --------------------------
# Each is assembled opcode by opcode. Before the reader interpreted pickles itself, the first made
# `read_state_dict` return a view outside its buffer (the process died reading it), the second wrote file bytes
# through such a view, and the third rewrote the allow-list's `torch.FloatStorage` for every later load.
class Asm:
    """A tiny pickle assembler: each method appends the opcodes that push one thing."""

    def __init__(self) -> None:
        self.out = bytearray(pickle.PROTO + b"\x02")

    def raw(self, data: bytes) -> "Asm":
        self.out += data
        return self

    def glob(self, module: str, name: str) -> "Asm":
        return self.raw(pickle.GLOBAL + f"{module}\n{name}\n".encode())

    def str(self, text: str) -> "Asm":
        data = text.encode()
        return self.raw(pickle.BINUNICODE + struct.pack("<I", len(data)) + data)

    def int(self, value: int) -> "Asm":
        return self.raw(pickle.BININT + struct.pack("<i", value))

    def ints(self, *values: int) -> "Asm":
        self.raw(pickle.MARK)
        for value in values:
            self.int(value)
        return self.raw(pickle.TUPLE)

    def put(self, slot: int) -> "Asm":
        return self.raw(pickle.BINPUT + bytes([slot]))

    def get(self, slot: int) -> "Asm":
        return self.raw(pickle.BINGET + bytes([slot]))

    def storage(self, key: str, numel: int, legacy: bool) -> "Asm":
        self.raw(pickle.MARK).str("storage").glob("torch", "FloatStorage").str(key).str("cpu").int(numel)
        if legacy:
            self.raw(pickle.NONE)
        return self.raw(pickle.TUPLE + pickle.BINPERSID)

    def stored(self, slot: int, key: str, numel: int, legacy: bool) -> "Asm":
        """A storage kept in memo `slot` only (not left on the stack), for tensors to refer to."""
        return self.storage(key, numel, legacy).put(slot).raw(pickle.POP)

    def tensor(self, storage_slot: int, size: tuple, stride: tuple) -> "Asm":
        self.glob("torch._utils", "_rebuild_tensor_v2").raw(pickle.MARK).get(storage_slot).int(0)
        return self.ints(*size).ints(*stride).raw(pickle.NEWFALSE + pickle.NONE + pickle.TUPLE + pickle.REDUCE)

    def state_dict(self) -> "Asm":
        return self.glob("collections", "OrderedDict").raw(pickle.EMPTY_TUPLE + pickle.REDUCE)

    def bytes(self) -> bytes:
        return bytes(self.out + pickle.STOP)


def swap_storage_buffer(legacy: bool, zero_stride: bool, n: int = 1 << 20) -> bytes:
    """A state_dict whose storage's buffer is swapped (BUILD) for a view of it: with `zero_stride`, a stride-0
    view of `n` elements over one, as the attack has it; else a plain one-element view, so that only the
    BUILD rule stands in the way."""
    size, stride = ((n,), (0,)) if zero_stride else ((1,), (1,))
    asm = Asm().state_dict()
    asm.str("zero").stored(9, "k", 1, legacy).tensor(9, size, stride).put(10).raw(pickle.SETITEM)
    asm.get(9).raw(pickle.EMPTY_DICT).str("array").get(10).raw(pickle.SETITEM + pickle.BUILD + pickle.POP)
    return asm.str("wide").tensor(9, (n,), (1,)).raw(pickle.SETITEM).bytes()


def rewrite_allowed_storage_type() -> bytes:
    """BUILD on the allowed global itself: `torch.FloatStorage` would read as int8 in every later load."""
    asm = Asm().state_dict().glob("torch", "FloatStorage").raw(pickle.EMPTY_DICT)
    asm.str("dtype").glob("torch", "CharStorage").raw(pickle.SETITEM + pickle.BUILD + pickle.POP)
    return asm.bytes()


def legacy_file(path: Path, body: bytes, storages: dict[str, bytes]) -> Path:
    with open(path, "wb") as f:
        for header in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(body)
        pickle.dump(list(storages), f, protocol=2)
        for data in storages.values():
            f.write(struct.pack("<q", len(data) // 4) + data)
    return path


def zip_file(path: Path, body: bytes, storages: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", body)
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data)
    return path


def read_in_child(path: Path) -> subprocess.CompletedProcess:
    """Reads `path` in a fresh process, so a memory fault shows as a failed test instead of ending the suite."""
    code = (
        "import sys\nfrom tfsr.errors import ModelError\nfrom tfsr.official import read_state_dict\n"
        "try:\n    state = read_state_dict(sys.argv[1])\n    print('READ', sum(float(v.sum()) for v in state.values()))\n"
        "except ModelError as err:\n    print('REFUSED', err)\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("zero_stride", [True, False], ids=["attack", "build only"])
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_a_storage_buffer_cannot_be_swapped_for_an_out_of_bounds_view(tmp_path, legacy, zero_stride):
    body = swap_storage_buffer(legacy, zero_stride)
    # The legacy attack also ships n elements, which the storage fill would write through the swapped view.
    storages = {"k": np.ones(1 << 20 if legacy else 1, np.float32).tobytes()}
    path = (legacy_file if legacy else zip_file)(tmp_path / "swap.pt", body, storages)
    child = read_in_child(path)
    assert child.returncode == 0, f"the reader crashed the process (exit {child.returncode}): {child.stderr[-500:]}"
    assert child.stdout.startswith("REFUSED"), child.stdout
    assert ("overlaps itself" if zero_stride else "refused: BUILD on a _Storage") in child.stdout


def test_the_allowed_globals_cannot_be_rewritten(tmp_path):
    path = zip_file(tmp_path / "rewrite.pt", rewrite_allowed_storage_type(), {})
    with pytest.raises(ModelError, match="refused: BUILD on a _StorageType"):
        read_state_dict(path)
    # A later, honest file still reads float32 as float32.
    state, expected = sample_state()
    assert_same_arrays(read_state_dict(write_zip(tmp_path / "honest.pt", state)), expected)


@pytest.mark.parametrize(
    "size, stride",
    [((4,), (0,)), ((3, 3), (1, 1)), ((2, 2, 2), (2, 1, 2))],
    ids=["stride 0", "rows overlap", "3-d overlap"],
)
def test_zero_stride_and_overlapping_views_are_refused(tmp_path, size, stride):
    # Inside the storage's bounds, but such a view holds more elements than the storage: refused.
    state = collections.OrderedDict(w=Tensor(Storage("k", np.zeros(16, np.float32)), 0, size, stride))
    with pytest.raises(ModelError, match="overlaps itself"):
        read_state_dict(write_zip(tmp_path / "overlap.pt", state))


def test_build_is_allowed_only_for_plain_state_dict_metadata(tmp_path):
    state, expected = sample_state()
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 2})])
    assert_same_arrays(read_state_dict(write_legacy(tmp_path / "meta.pkl", state)), expected)

    for bad in ({"_metadata": {"conv": {"version": state["conv.weight"]}}}, {"_metadata": {}, "other": 1}):
        state.__dict__.clear()
        state.__dict__.update(bad)
        with pytest.raises(ModelError, match="refused: .*(_metadata|state other than)"):
            read_state_dict(write_legacy(tmp_path / "bad_meta.pkl", state))


@pytest.mark.parametrize(
    "tail, message",
    [
        # SETITEM into a tensor (ndarray.__setitem__ would write into the weights)
        (lambda a: a.get(10).int(0).int(7).raw(pickle.SETITEM + pickle.POP), "SETITEM into a ndarray"),
        # APPEND onto a tensor
        (lambda a: a.get(10).int(7).raw(pickle.APPEND + pickle.POP), "APPEND to a ndarray"),
        # BUILD on a tensor (ndarray.__setstate__ would reshape it over new bytes)
        (lambda a: a.get(10).raw(pickle.EMPTY_TUPLE + pickle.BUILD + pickle.POP), "BUILD on a ndarray"),
        # object construction through NEWOBJ, which never goes through a global check
        (lambda a: a.get(8).raw(pickle.EMPTY_TUPLE + pickle.NEWOBJ + pickle.POP), "opcode NEWOBJ"),
        # REDUCE on something that is not an allowed callable (a storage type)
        (lambda a: a.glob("torch", "FloatStorage").raw(pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.POP), "REDUCE calls"),
    ],
    ids=["setitem", "append", "build", "newobj", "reduce"],
)
def test_opcodes_that_mutate_or_construct_are_refused(tmp_path, tail, message):
    asm = Asm().state_dict().put(8).str("w").stored(9, "k", 4, False).tensor(9, (4,), (1,)).put(10)
    asm.raw(pickle.SETITEM)
    path = zip_file(tmp_path / "mutate.pt", tail(asm).bytes(), {"k": np.arange(4, dtype=np.float32).tobytes()})
    with pytest.raises(ModelError, match=f"refused: {message}"):
        read_state_dict(path)


def test_each_zip_storage_is_read_once(tmp_path):
    import tracemalloc

    # 300 tensors over one 1 MiB storage: 300 MiB if each reference read the storage again.
    asm = Asm().state_dict().raw(pickle.MARK)
    for i in range(300):
        asm.str(f"t{i}").stored(9, "k", 1 << 18, False).tensor(9, (1 << 18,), (1,))
    path = zip_file(tmp_path / "shared.pt", asm.raw(pickle.SETITEMS).bytes(), {"k": bytes(1 << 20)})
    tracemalloc.start()
    state = read_state_dict(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(state) == 300 and all(np.shares_memory(state["t0"], v) for v in state.values())
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_oversized_zip_pickle_is_refused(tmp_path, monkeypatch):
    from tfsr.official import torch_pickle

    state, _ = sample_state()
    path = write_zip(tmp_path / "big.pt", state)
    monkeypatch.setattr(torch_pickle, "MAX_DATA_PKL_BYTES", 256)
    with pytest.raises(ModelError, match="more than a weights pickle needs"):
        read_state_dict(path)


def test_legacy_storages_together_may_not_claim_more_than_the_file(tmp_path):
    # Each storage alone fits the file; all of them together would allocate 100x its size.
    asm = Asm().state_dict().raw(pickle.MARK)
    for i in range(100):
        asm.str(f"t{i}").stored(9, f"k{i}", 64, True).tensor(9, (1,), (1,))
    body = asm.raw(pickle.SETITEMS).bytes()
    path = legacy_file(tmp_path / "claims.pkl", body, {})
    with pytest.raises(ModelError, match="more than the file holds"):
        read_state_dict(path)
