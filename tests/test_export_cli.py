"""`tfsr export` end to end on a tiny generator: files, metadata, report, and bad input that writes nothing."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from conftest import tiny_low_to_high, write_run

from tfsr.cli import main
from tfsr.errors import ModelError
from tfsr.export import pipeline
from tfsr.tflite.runner import TFLiteGenerator
from tfsr.models import load_generator


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    g = tiny_low_to_high(group_filters=(16, 8, 8), align_corners=True, name="low_to_high")
    return write_run(tmp_path_factory.mktemp("runs") / "tiny_run", g, {"name": "tiny", "export": {"batch_size": 3}})


def _export(*argv):
    return main(["export", *map(str, argv), "-q"])


def test_run_dir_export_writes_checked_files(run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _export(run_dir, "-o", out, "--formats", "int8,fp32") == 0
    names = {p.name for p in out.iterdir()}
    models = ["tiny_run_fp32.tflite", "tiny_run_int8.tflite", "tiny_run_fp32_b3.tflite", "tiny_run_int8_b3.tflite"]
    assert names == {*models, *(m + ".json" for m in models), "report.md", "report.json"}
    assert capsys.readouterr().out.strip().endswith("report.md")

    report = json.loads((out / "report.json").read_text())
    assert [r["file"] for r in report["rows"]] == [models[0], models[1], models[2], models[3]]
    assert all(r["gpu_ok"] and r["parity_ok"] for r in report["rows"])
    int8 = next(r for r in report["rows"] if r["format"] == "int8")
    assert 10 < int8["psnr"] < 100 and 0 < int8["ssim"] <= 1
    assert "| tiny_run_int8.tflite | int8 | 1 |" in (out / "report.md").read_text()

    keras_model = load_generator(run_dir, "low_to_high")
    faces = np.random.default_rng(3).uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    batched = TFLiteGenerator(out / "tiny_run_fp32_b3.tflite")
    assert batched.batch_size == 3 and batched.format == "fp32"
    np.testing.assert_allclose(batched(faces), keras_model(faces, training=False).numpy(), atol=1e-4)
    meta = json.loads((out / "tiny_run_int8.tflite.json").read_text())
    assert meta == TFLiteGenerator(out / "tiny_run_int8.tflite").metadata
    assert meta["source"]["variant"] == "paper" and meta["source"]["run_config"]["name"] == "tiny"
    assert meta["input"]["shape"] == [1, 16, 16, 3] and meta["output"]["shape"] == [1, 64, 64, 3]


def test_int8_can_keep_operator_types_in_float(run_dir, tmp_path):
    from tfsr.export.gpu_ops import operators

    out = tmp_path / "out"
    assert _export(run_dir, "-o", out, "--formats", "int8", "--set", "export.int8_float_ops=[add]") == 0
    tflite = (out / "tiny_run_int8.tflite").read_bytes()
    ops = operators(tflite)
    adds = [op for op in ops if op.name == "ADD"]
    convs = [op for op in ops if op.name == "CONV_2D"]
    assert adds and all(dtype == "FLOAT32" for op in adds for dtype, _, _ in op.inputs)
    assert convs and all(op.inputs[0][0] == "INT8" for op in convs)
    assert {"QUANTIZE", "DEQUANTIZE"} <= {op.name for op in ops}
    report = json.loads((out / "report.json").read_text())
    row = report["rows"][0]
    assert row["float_ops"] == ["ADD"] and row["gpu_ok"] and row["parity_ok"]
    assert any("ADD kept in float" in note for note in report["notes"])
    assert TFLiteGenerator(out / "tiny_run_int8.tflite").metadata["int8_float_ops"] == ["ADD"]


def _assert_untouched(out, parent):
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not [p for p in parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"


@pytest.mark.parametrize(
    "case, message",
    [
        ("unknown_format", "unknown format"),
        ("no_generator", "no low_to_high generator"),
        ("corrupt", "cannot load the model"),
        ("other_version", "saved by another tfsr version"),
        ("empty_lr_dir", "no readable image"),
        ("absent_float_op", "SOFTMAX not in this model"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(case, message, run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    model, extra = run_dir, []
    if case == "unknown_format":
        extra = ["--formats", "fp32,int4"]
    elif case == "no_generator":
        model = tmp_path / "empty_run"
        (model / "models").mkdir(parents=True)
    elif case == "corrupt":
        model = tmp_path / "broken.keras"
        model.write_bytes(b"PK\x03\x04 not really a zip")
    elif case == "other_version":
        # A whole file whose layers no longer fit its weights (as after a change of a layer's variables).
        model = tmp_path / "other.keras"
        with zipfile.ZipFile(run_dir / "models" / "low_to_high_ema.keras") as source:
            files = {name: source.read(name) for name in source.namelist()}
        config = json.loads(files["config.json"])
        config["config"]["group_filters"] = [8, 8, 8]
        files["config.json"] = json.dumps(config).encode()
        with zipfile.ZipFile(model, "w") as target:
            for name, data in files.items():
                target.writestr(name, data)
    elif case == "absent_float_op":
        extra = ["--formats", "int8", "--set", "export.int8_float_ops=[SOFTMAX]"]
    else:
        (tmp_path / "lr").mkdir()
        (tmp_path / "lr" / "note.txt").write_text("no images here")
        extra = ["--formats", "int8", "--lr-dir", tmp_path / "lr"]
    assert _export(model, "-o", out, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    _assert_untouched(out, tmp_path)


def test_a_gate_failure_writes_nothing(run_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    monkeypatch.setattr(pipeline, "gpu_problems", lambda tflite: ["CUSTOM:FlexCumprod v1: a Flex op"])
    with pytest.raises(ModelError, match="FlexCumprod"):
        pipeline.export_generator(run_dir, out, ["fp32"])
    _assert_untouched(out, tmp_path)
