"""The house has one arrow direction: no room of tfsr imports a room above it, even inside a function.

Read statically (no import runs), from every module of `tfsr/` and of the deployment stage `export/`
(installed as `tfsr.export`), so a back-edge cannot hide in a function body either. The layers are the
README's ("Layout"), bottom first; rooms on one line may import each other's modules only where the line
says so (`SIBLINGS`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Bottom first. A module may import its own room and any room on a lower line.
LAYERS: list[set[str]] = [
    {"errors", "pixels", "atomic", "startup"},
    {"faces", "tflite", "runs"},
    {"config"},
    {"layers"},
    {"models", "official"},
    {"data"},
    {"training"},
    {"enhance", "evaluation"},
    {"experiments"},
    {"export"},
    {"commands", "cli"},
]
#: Imports between rooms of one line that are allowed, and why.
SIBLINGS: dict[tuple[str, str], str] = {
    ("official", "models"): "the authors' weights convert into the official Low-to-High network",
    ("tflite", "faces"): "a .tflite file's tensors are the generator's input and output sides (faces.INPUT_SIDE)",
}
#: Imports inside functions are kept for heavy optional dependencies only, and for the command modules,
#: which import what one subcommand needs when it runs. Everything else imports at the top.
LAZY_ALLOWED_TARGETS = {
    "tfsr.faces.detection": "loads OpenCV's face detector (YuNet weights)",
    "tfsr.enhance.enhancer": "`tfsr.Enhancer` is loaded on first use (OpenCV and the detector)",
}
LAZY_ALLOWED_ROOMS = {"commands", "cli"}
#: Lazy imports in the deployment stage that its owners have not hoisted yet (keep this list shrinking).
LAZY_KNOWN = {
    ("tfsr.export.pipeline", "tfsr.models"),
    ("tfsr.export.pipeline", "tfsr.config"),
    ("tfsr.export.quantize", "tfsr.data"),
    ("tfsr.export.quantize", "tfsr.data.demo"),
    ("tfsr.export.quantize", "tfsr.data.images"),
    ("tfsr.export.convert", "tfsr.export.gpu_ops"),
    ("tfsr.export.fold", "tfsr.models.official_low_to_high"),
}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted((REPO / "tfsr").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in sorted((REPO / "export").glob("*.py")):
        mods["tfsr.export" + ("" if path.stem == "__init__" else f".{path.stem}")] = path
    return mods


MODULES = _modules()


def _room(module: str) -> str:
    return module.split(".")[1] if "." in module else "tfsr"


def _rank(room: str) -> int:
    return next(i for i, rooms in enumerate(LAYERS) if room in rooms)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """`(module, inside_a_function)` for every import of a tfsr module in the file."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from tfsr import faces` imports the module tfsr.faces; `from tfsr import __version__` the root.
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            names = subs or [node.module]
        else:
            continue
        found += [(n, id(node) not in top) for n in names if n in MODULES]
    return found


EDGES = [(m, target, lazy) for m, path in MODULES.items() for target, lazy in _imports(path)]


def test_every_room_has_a_layer() -> None:
    rooms = {_room(m) for m in MODULES} - {"tfsr"}
    assert rooms <= set().union(*LAYERS), f"put these rooms in LAYERS: {sorted(rooms - set().union(*LAYERS))}"


def test_no_room_imports_a_room_above_it() -> None:
    upward = []
    for module, target, _ in EDGES:
        a, b = _room(module), _room(target)
        if "tfsr" in (a, b) or a == b:
            continue  # the package root (registration, __version__) is neither above nor below
        if _rank(b) > _rank(a) or (_rank(b) == _rank(a) and (a, b) not in SIBLINGS):
            upward.append(f"{module} -> {target}")
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_the_package_root_is_imported_only_for_its_version() -> None:
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "tfsr" and module != "tfsr":
                plain = {a.name for a in node.names} - {f.split(".")[1] for f in MODULES if f.count(".") == 1}
                assert plain <= {"__version__"}, f"{module} imports {plain} from the tfsr package root"


def test_imports_are_at_the_top_unless_heavy_and_optional() -> None:
    hidden = sorted(
        f"{module} -> {target}"
        for module, target, lazy in EDGES
        if lazy
        and _room(module) not in LAZY_ALLOWED_ROOMS
        and target not in LAZY_ALLOWED_TARGETS
        and (module, target) not in LAZY_KNOWN
        and module != "tfsr"
    )
    assert not hidden, "move these imports to the top of the module:\n" + "\n".join(hidden)


@pytest.mark.parametrize("room", ["tflite", "runs", "faces", "pixels", "atomic"])
def test_the_lowest_rooms_need_nothing_above_errors(room: str) -> None:
    allowed = {"errors", "pixels", room} | ({"faces"} if room == "tflite" else set())
    for module, target, _ in EDGES:
        if _room(module) == room:
            assert _room(target) in allowed | {"tfsr"}, f"{module} imports {target}"


def test_the_checker_sees_a_back_edge_inside_a_function(tmp_path: Path) -> None:
    # The test above must fail when someone hides `from tfsr.training import ...` in a data function.
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from tfsr.training.runner import run_training\n    return run_training\n")
    (edge,) = _imports(probe)
    assert edge == ("tfsr.training.runner", True)
    assert _rank(_room(edge[0])) > _rank("data")
