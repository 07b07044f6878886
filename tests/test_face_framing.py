"""One face framing and one pixel convention everywhere, and tfsr/faces below everything that uses it.

The model must be fed faces framed like its training crops: `tfsr prepare`, the training sources
(`data.crop_margin`), `tfsr enhance` and the Android app all read one constant, `tfsr.faces.FACE_MARGIN`
(the app's Kotlin and Java copies are read from their source here).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from tfsr import faces
from tfsr.config import Config, DataConfig
from tfsr.data.prepare import PrepareOptions
from tfsr.enhance.enhancer import DEFAULT_MARGIN

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tfsr"


def _kotlin_or_java_constant(path: Path, name: str) -> float:
    match = re.search(rf"\b{name}\s*=\s*([0-9.]+)", path.read_text())
    assert match, f"{path}: no {name} constant"
    return float(match.group(1))


def _cli_default(command: str, flag: str) -> float:
    import importlib

    parser = argparse.ArgumentParser()
    importlib.import_module(f"tfsr.commands.{command}").add_arguments(parser)
    return next(a.default for a in parser._actions if flag in a.option_strings)


def test_training_crops_enhance_and_the_android_app_frame_faces_alike() -> None:
    framings = {
        "tfsr.faces.FACE_MARGIN": faces.FACE_MARGIN,
        "data.crop_margin (training sources)": DataConfig.crop_margin,
        "data.crop_margin of a whole default Config": Config().data.crop_margin,
        "tfsr prepare": PrepareOptions().margin,
        "tfsr prepare --margin": _cli_default("prepare", "--margin"),
        "Enhancer": DEFAULT_MARGIN,
        "tfsr enhance --margin": _cli_default("enhance", "--margin"),
        "FacePipeline.kt": _kotlin_or_java_constant(
            REPO / "android_demo/app/src/main/java/dev/tfsr/demo/FacePipeline.kt", "MARGIN"
        ),
        "ModelPathTest.java": _kotlin_or_java_constant(
            REPO / "android_demo/modeltest/src/test/java/dev/tfsr/modeltest/ModelPathTest.java", "MARGIN"
        ),
        "make_fixture.py": _kotlin_or_java_constant(REPO / "android_demo/modeltest/make_fixture.py", "MARGIN"),
    }
    assert set(framings.values()) == {0.25}, framings


def test_data_crop_margin_default_is_the_faces_constant_not_a_copy() -> None:
    # A second 0.25 typed into the schema would agree today and drift tomorrow: the default must *be* the name.
    source = (PACKAGE / "config" / "schema.py").read_text()
    data_config = next(
        n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == "DataConfig"
    )
    default = next(
        s.value for s in data_config.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.target.id == "crop_margin"
    )
    assert ast.unparse(default) == "FACE_MARGIN", f"data.crop_margin defaults to {ast.unparse(default)}"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.startswith("tfsr")}


def test_tfsr_faces_and_pixels_import_nothing_above_them() -> None:
    for path in [*sorted((PACKAGE / "faces").glob("*.py")), PACKAGE / "pixels.py"]:
        above = {n for n in _imports(path) if not n.startswith(("tfsr.faces", "tfsr.pixels"))}
        assert not above, f"{path.relative_to(REPO)} imports {above}"


@pytest.mark.parametrize("layer", ["data", "faces"])
def test_data_and_faces_never_import_enhance(layer: str) -> None:
    for path in sorted((PACKAGE / layer).glob("*.py")):
        assert not {n for n in _imports(path) if n.startswith("tfsr.enhance")}, path.relative_to(REPO)


def test_one_pixel_conversion_tfsr_pixels() -> None:
    copies = {
        str(path.relative_to(REPO))
        for root in (PACKAGE, REPO / "export", REPO / "benchmarks")
        for path in root.rglob("*.py")
        if path != PACKAGE / "pixels.py" and re.search(r"127\.5(?!\w)", _code_only(path))
    }
    assert not copies, f"use tfsr.pixels.to_unit / to_uint8 in {sorted(copies)}"


def _code_only(path: Path) -> str:
    """The file without its docstrings and comments (they may explain the convention)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body[0] = ast.Pass()
    return ast.unparse(tree)
