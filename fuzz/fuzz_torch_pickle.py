"""Coverage-guided fuzzing of `tfsr.official.read_state_dict` with atheris (libFuzzer for Python).

Every input is written to a file and read. An input passes when the reader refuses it with a `ModelError`
or returns a state_dict (an OrderedDict of str -> ndarray) all of whose bytes can be read; anything else (a
crash, a hang past `-timeout`, any other exception, a result of another shape) stops the run and leaves the
input in the working directory as `crash-*` / `timeout-*`.

Seeds: the crafted attack files and the honest files of `tests/test_official_reader.py`, files written by
`torch.save` in both formats when torch is installed, and the released-network fixture's first bytes.

Usage (atheris is a fuzzing-only extra: `pip install atheris`):
    python fuzz/fuzz_torch_pickle.py -max_total_time=1800 -timeout=20 -rss_limit_mb=4096 -max_len=262144
    python fuzz/fuzz_torch_pickle.py -runs=0 fuzz/corpus/   # replay a corpus, e.g. after a change
Prints `stats: runs=N refused=R read=K` every 20,000 inputs and at the end, beside libFuzzer's own lines
(`cov:` = edges covered, `exec/s`).
"""

from __future__ import annotations

import collections
import io
import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["tfsr.official", "pickletools", "zipfile"]):
    import pickletools  # noqa: F401  (instrumented before anything else imports it)
    import zipfile  # noqa: F401

    from tfsr.errors import ModelError
    from tfsr.official.torch_pickle import read_state_dict

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fuzz" / "corpus"
_STATS = collections.Counter()
_WORK = Path(tempfile.mkdtemp(prefix="tfsr-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))


def write_seeds(folder: Path) -> int:
    """Writes the seed corpus: honest and crafted files from the reader's tests, torch's own files."""
    folder.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "tests"))
    import test_official_reader as crafted  # the one place the crafted files are defined

    state, _ = crafted.sample_state()
    crafted.write_legacy(folder / "honest_legacy.pkl", state)
    crafted.write_zip(folder / "honest_zip.pt", state)
    crafted.write_zip(folder / "honest_deflated.pt", state, zipfile.ZIP_DEFLATED)
    for legacy in (False, True):
        for zero_stride in (False, True):
            writer = crafted.legacy_file if legacy else crafted.zip_file
            storages = {"k": np.ones(64 if legacy else 1, np.float32).tobytes()}
            body = crafted.swap_storage_buffer(legacy, zero_stride, n=64)
            writer(folder / f"swap_{'legacy' if legacy else 'zip'}_{zero_stride}.pt", body, storages)
    crafted.zip_file(folder / "rewrite_allowed.pt", crafted.rewrite_allowed_storage_type(), {})
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        generator = torch.Generator().manual_seed(0)
        base = torch.randn(4, 3, generator=generator)
        torch_state = collections.OrderedDict(
            w=torch.randn(2, 3, 3, generator=generator), t=base.t(), h=base.half(), n=torch.tensor(3),
            b=torch.tensor([True, False]), bf=base[0].bfloat16(),
        )
        for zip_format in (False, True):
            torch.save(torch_state, folder / f"torch_{zip_format}.pt", _use_new_zipfile_serialization=zip_format)
        module = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1), torch.nn.BatchNorm2d(2))
        torch.save(module.state_dict(), folder / "torch_module_metadata.pt")  # BUILD with _metadata
        buffer = io.BytesIO()
        torch.save(module.state_dict(), buffer, _use_new_zipfile_serialization=False)
        (folder / "torch_module_legacy.pkl").write_bytes(buffer.getvalue())
    return len(list(folder.iterdir()))


def _check(state) -> None:
    if not (type(state) is collections.OrderedDict and all(
            type(k) is str and type(v) is np.ndarray for k, v in state.items())):
        raise AssertionError(f"read_state_dict returned {type(state).__name__}, not a state_dict")
    for value in state.values():
        value.tobytes()  # reads every byte of every view: an out-of-bounds view faults here


def test_one_input(data: bytes) -> None:
    path = _WORK / "input.pt"
    path.write_bytes(data)
    _STATS["runs"] += 1
    try:
        state = read_state_dict(path)
    except ModelError:
        _STATS["refused"] += 1
    else:
        _check(state)
        _STATS["read"] += 1
    if _STATS["runs"] % 20000 == 0:
        report()


def report() -> None:
    print(f"stats: runs={_STATS['runs']} refused={_STATS['refused']} read={_STATS['read']}", flush=True)


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):  # no corpus folder given: use (and seed) ours
        print(f"seed corpus: {write_seeds(CORPUS)} files in {CORPUS}", flush=True)
        args.append(str(CORPUS))
    import atexit

    atexit.register(report)
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
