"""The committed golden vectors of the Android core still equal what tfsr.faces and tfsr.pixels compute.

The Java tests (android_demo/core/run_tests.sh) check the Java core against the same files, so a change
on either side without regenerating them (android_demo/tools/make_golden.py) fails one of the two.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_golden", REPO / "android_demo" / "tools" / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


def _committed(function: str) -> list[tuple[str, dict]]:
    path = make_golden.GOLDEN_DIR / f"{function}.txt"
    assert path.is_file(), f"{path} is missing: run android_demo/tools/make_golden.py"
    return list(make_golden.parse(path.read_text()))


@pytest.mark.parametrize("function", sorted(make_golden.COMPUTE))
def test_committed_outputs_equal_tfsr_faces_now(function: str) -> None:
    cases = _committed(function)
    assert cases, f"no cases for {function}"
    for name, case in cases:
        inputs = {k: v for k, v in case.items() if not k.startswith("expect")}
        computed = make_golden.COMPUTE[function](inputs)
        assert sorted(computed) == sorted(k for k in case if k.startswith("expect")), name
        for key, value in computed.items():
            stored = case[key]
            assert stored.shape == value.shape and stored.dtype == value.dtype, f"{function}/{name}/{key}"
            if value.dtype.kind == "f":
                np.testing.assert_allclose(stored, value, rtol=0, atol=1e-6, err_msg=f"{function}/{name}/{key}")
            else:
                np.testing.assert_array_equal(stored, value, err_msg=f"{function}/{name}/{key}")


def test_committed_files_hold_every_case_and_stay_small() -> None:
    written = make_golden.golden_texts()
    on_disk = sorted(p.name for p in make_golden.GOLDEN_DIR.glob("*.txt"))
    assert on_disk == sorted(written)
    for file_name, text in written.items():
        names = [name for name, _ in make_golden.parse(text)]
        assert names == [name for name, _ in _committed(file_name[: -len(".txt")])], file_name
    assert sum(p.stat().st_size for p in make_golden.GOLDEN_DIR.glob("*.txt")) < 1_000_000


def test_text_format_round_trips_values_exactly() -> None:
    case = {
        "a": np.array([[0.1, -1e-30], [np.nan, 1.0]], np.float32),
        "b": np.array([0, 255], np.uint8),
        "n": 7,
        "m": 0.25,
    }
    (name, back), = make_golden.parse(make_golden.format_case("x", case))
    assert name == "x" and back["n"] == 7 and back["m"] == 0.25
    np.testing.assert_array_equal(back["a"], case["a"])
    assert back["a"].dtype == np.float32 and back["b"].dtype == np.uint8
    np.testing.assert_array_equal(back["b"], case["b"])
