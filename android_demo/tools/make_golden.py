"""Write the golden vectors that keep the Android core (Java) equal to tfsr.faces and tfsr.pixels (numpy).

Usage (from the repository root, with the project's Python):
    .venv/bin/python android_demo/tools/make_golden.py

Writes one text file per function under `android_demo/core/src/test/resources/golden/`. Format, one
record per line, whitespace separated:

    case <name>
    <key> <type> <shape> <value> <value> ...
    end

`type` is `u8`, `i32`, `f32` or `f64`; `shape` is `HxWxC`-style (`-` for a scalar); values are in
row-major order, floats in their shortest round-tripping decimal form (`NaN` for not-a-number). Keys
starting with `expect_` are outputs; the others are the function's inputs. `tests/test_android_golden.py`
recomputes every output from the stored inputs, so a change on either side fails a test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO / "android_demo" / "core" / "src" / "test" / "resources" / "golden"

if str(REPO) not in sys.path:  # run as a script from a checkout without tfsr installed
    sys.path.insert(0, str(REPO))

from tfsr import faces as fc  # noqa: E402
from tfsr.pixels import to_uint8  # noqa: E402

Case = dict[str, np.ndarray | float | int]

_TYPES = {"u8": np.uint8, "i32": np.int32, "f32": np.float32, "f64": np.float64}


def _u8(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _f32(rng: np.random.Generator, *shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return rng.uniform(low, high, shape).astype(np.float32)


def _portrait(side: int) -> np.ndarray:
    """A real face (the astronaut's) shrunk to `side x side` RGBA, so one case looks like a camera frame."""
    from skimage import data

    face = fc.crop_square(data.astronaut(), 150, 20, 150)
    rgb = to_uint8(fc.area_resize(fc.rgba_to_rgb_float(face), side, side))
    alpha = np.full((side, side, 1), 255, np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def _inputs(rng: np.random.Generator) -> dict[str, list[tuple[str, Case]]]:
    """The inputs of every case, by function name."""
    image = _u8(rng, 20, 24, 4)
    return {
        "rgba_to_rgb_float": [("rgba", {"rgba": _u8(rng, 5, 7, 4)}), ("rgb", {"rgba": _u8(rng, 3, 4, 3)})],
        "square_box": [
            (f"box{i}", {"box": np.array(box, np.float64), "margin": margin, "image_hw": np.array(hw, np.int32)})
            for i, (box, margin, hw) in enumerate(
                [
                    ((10, 20, 30, 40), 0.5, (100, 100)),
                    ((0, 0, 5, 5), 0.5, (100, 100)),
                    ((0, 0, 3, 3), 0.0, (100, 100)),
                    ((0, 0, 4, 3), 0.1, (100, 100)),
                    ((0, 0, 30, 30), 0.0, (10, 20)),
                    ((-7.25, 300.5, 41.5, 38.0), 0.25, (480, 640)),
                    ((612.8, 401.1, 55.3, 70.9), 0.3, (480, 640)),
                    ((1.0, 1.0, 0.2, 0.3), 0.0, (4, 4)),
                ]
                + [
                    (tuple(rng.uniform([-50, -50, 5, 5], [700, 500, 300, 300])), float(rng.uniform(0, 1)), (480, 640))
                    for _ in range(8)
                ]
            )
        ],
        "crop_square": [
            (name, {"image": image, "x0": x0, "y0": y0, "side": side})
            for name, x0, y0, side in [
                ("inside", 3, 4, 9),
                ("top_left", -4, -6, 12),
                ("bottom_right", 18, 15, 10),
                ("larger_than_image", -5, -3, 30),
                ("outside", 40, -20, 3),
                ("one_pixel", 0, 0, 1),
            ]
        ],
        "area_resize": [
            (f"{h}x{w}x{c}_to_{oh}x{ow}", {"img": _f32(rng, h, w, c), "out_h": oh, "out_w": ow})
            for h, w, c, oh, ow in [
                (4, 4, 1, 2, 2),
                (3, 3, 1, 2, 2),
                (37, 29, 3, 16, 16),
                (23, 40, 3, 16, 16),
                (7, 1, 2, 3, 1),
                (2, 2, 3, 5, 3),
                (16, 16, 3, 16, 16),
            ]
        ],
        "resize_bilinear": [
            (f"{h}x{w}x{c}_to_{oh}x{ow}", {"img": _f32(rng, h, w, c), "out_h": oh, "out_w": ow})
            for h, w, c, oh, ow in [(2, 2, 1, 5, 7), (8, 8, 3, 21, 21), (1, 3, 1, 2, 6), (9, 9, 3, 4, 4)]
        ],
        "resize_to_side": [
            (f"{s}_to_{side}", {"face": _f32(rng, s, s, 3), "side": side})
            for s, side in [(32, 24), (16, 11), (16, 16), (16, 23)]
        ],
        "to_pixels": [
            (
                "values",
                {
                    "x": np.concatenate(
                        [
                            np.array([-1, 1, 0, -2, 3, np.nan, 0.5 / 127.5 - 1, 1.5 / 127.5 - 1], np.float32),
                            _f32(rng, 200, low=-1.1, high=1.1),
                        ]
                    )
                },
            )
        ],
        "feather_mask": [
            (f"{side}_{feather}", {"side": side, "feather": feather})
            for side, feather in [(1, 0.3), (8, 0.25), (17, 0.15), (40, 0.5), (9, 0.0), (33, 0.1)]
        ],
        "paste": [
            (
                name,
                {
                    "image": image,
                    "face": face,
                    "x0": x0,
                    "y0": y0,
                    "mask": mask,
                },
            )
            for name, face, x0, y0, mask in [
                ("float_inside", _f32(rng, 10, 10, 3, low=-1.2, high=1.2), 5, 4, fc.feather_mask(10, 0.3)),
                ("u8_inside", _u8(rng, 10, 10, 3), 5, 4, _f32(rng, 10, 10, low=0.0, high=1.0)),
                ("float_top_left", _f32(rng, 12, 12, 3), -5, -3, fc.feather_mask(12, 0.2)),
                ("float_bottom_right", _f32(rng, 12, 12, 3), 17, 13, _f32(rng, 12, 12, low=0.0, high=1.0)),
                ("u8_outside", _u8(rng, 4, 4, 3), 30, 2, np.ones((4, 4), np.float32)),
            ]
        ],
        "face_input": [
            ("portrait", {"image": _portrait(50), "box": np.array([12.5, 9.0, 26.0, 31.5]), "margin": 0.2}),
            ("edge", {"image": _u8(rng, 30, 40, 4), "box": np.array([-3.0, 20.0, 14.0, 12.0]), "margin": 0.4}),
            ("small", {"image": _u8(rng, 30, 40, 3), "box": np.array([20.0, 5.0, 9.0, 11.0]), "margin": 0.1}),
        ],
        "paste_face": [
            (
                f"side{side}_at_{x0}_{y0}",
                {"image": image, "enhanced": _f32(rng, 16, 16, 3), "x0": x0, "y0": y0, "side": side, "feather": feather},
            )
            for x0, y0, side, feather in [(4, 3, 10, 0.2), (2, 2, 16, 0.15), (-6, 5, 23, 0.25), (15, -2, 13, 0.0)]
        ],
    }


def _face_input(case: Case) -> Case:
    image = case["image"]
    x0, y0, side = fc.square_box(case["box"], case["margin"], image.shape[:2])
    return {
        "expect_square": np.array([x0, y0, side], np.int32),
        "expect_input": fc.face_input(image, x0, y0, side),
    }


#: How each function's outputs are computed from a case's inputs.
COMPUTE: dict[str, Callable[[Case], Case]] = {
    "rgba_to_rgb_float": lambda c: {"expect": fc.rgba_to_rgb_float(c["rgba"])},
    "square_box": lambda c: {
        "expect": np.array(fc.square_box(c["box"], c["margin"], c["image_hw"]), np.int32)
    },
    "crop_square": lambda c: {"expect": fc.crop_square(c["image"], c["x0"], c["y0"], c["side"])},
    "area_resize": lambda c: {"expect": fc.area_resize(c["img"], c["out_h"], c["out_w"])},
    "resize_bilinear": lambda c: {"expect": fc.resize_bilinear(c["img"], c["out_h"], c["out_w"])},
    "resize_to_side": lambda c: {"expect": fc.resize_to_side(c["face"], c["side"])},
    "to_pixels": lambda c: {"expect": to_uint8(c["x"])},
    "feather_mask": lambda c: {"expect": fc.feather_mask(c["side"], c["feather"])},
    "paste": lambda c: {"expect": fc.paste(c["image"], c["face"], c["x0"], c["y0"], c["mask"])},
    "face_input": _face_input,
    "paste_face": lambda c: {
        "expect": fc.paste_face(c["image"], c["enhanced"], c["x0"], c["y0"], c["side"], c["feather"])
    },
}


def _type_of(value: np.ndarray | float | int) -> str:
    if isinstance(value, np.ndarray):
        return {np.dtype(t): name for name, t in _TYPES.items()}[value.dtype]
    return "i32" if isinstance(value, int) else "f64"


def _format_value(kind: str, value: float | int) -> str:
    if kind in ("u8", "i32"):
        return str(int(value))
    if np.isnan(value):
        return "NaN"
    # numpy's str() of a float32 / float64 is the shortest decimal that reads back to the same value.
    return str(_TYPES[kind](value))


def format_case(name: str, case: Case) -> str:
    """One case as text: `case <name>`, a line per key, `end`."""
    lines = [f"case {name}"]
    for key, value in case.items():
        kind = _type_of(value)
        array = np.asarray(value)
        shape = "x".join(str(d) for d in array.shape) or "-"
        values = " ".join(_format_value(kind, v) for v in array.reshape(-1).tolist())
        lines.append(f"{key} {kind} {shape} {values}")
    lines.append("end")
    return "\n".join(lines)


def parse(text: str) -> Iterator[tuple[str, Case]]:
    """Read back what `format_case` wrote: `(name, case)` pairs; scalars come back as int or float."""
    name: str | None = None
    case: Case = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(" ")
        if head == "case":
            name, case = rest, {}
        elif head == "end":
            yield name, case
        else:
            kind, shape, *values = rest.split(" ")
            array = np.array([float(v) for v in values], np.float64).astype(_TYPES[kind])
            if shape == "-":
                case[head] = int(array[0]) if kind in ("u8", "i32") else float(array[0])
            else:
                case[head] = array.reshape([int(d) for d in shape.split("x")])


def golden_texts() -> dict[str, str]:
    """File name -> text of every golden file, computed with the current tfsr.faces."""
    texts = {}
    for function, cases in _inputs(np.random.default_rng(20180908)).items():
        header = f"# {function}: written by android_demo/tools/make_golden.py, do not edit.\n"
        body = "\n".join(format_case(name, {**case, **COMPUTE[function](case)}) for name, case in cases)
        texts[f"{function}.txt"] = header + body + "\n"
    return texts


def main() -> int:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    texts = golden_texts()
    for file_name, text in texts.items():
        (GOLDEN_DIR / file_name).write_text(text)
    total = sum(len(text) for text in texts.values())
    print(f"wrote {len(texts)} files, {total / 1024:.0f} KiB, to {GOLDEN_DIR.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
