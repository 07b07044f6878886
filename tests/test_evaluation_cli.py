"""`tfsr evaluate`: run dirs, `.keras` and `.tflite` models, real Inception-v3 weights from a file, the cache,
and clear errors for bad folders."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import yaml
from PIL import Image

from tfsr.cli import main
from tfsr.config import HighToLowConfig, LowToHighConfig, ModelConfig
from tfsr.errors import DataError
from tfsr.evaluation import fid, metrics
from tfsr.evaluation.fid import FidProtocol, KerasFeatures
from tfsr.evaluation.table1 import evaluate_model, format_markdown, load_evaluation_sets
from tfsr.models import build_high_to_low, build_low_to_high

TINY = ModelConfig(
    high_to_low=HighToLowConfig(filters=8, noise_dim=4, blocks_per_group=1),
    low_to_high=LowToHighConfig(group_filters=[8, 8, 8], group_blocks=[1, 1, 1]),
)
SMALL = FidProtocol(image_size=16)


def _write(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, x in enumerate(images):
        Image.fromarray(x).save(folder / f"{i:03d}.png")
    return folder


def _tiny_features():
    """A fixed random conv net: 16x16 images -> 6 features."""
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [keras.Input((16, 16, 3)), keras.layers.Conv2D(6, 3, strides=2), keras.layers.GlobalAveragePooling2D()]
    )
    return KerasFeatures(net, "tiny-conv", 16)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    rng = np.random.default_rng(0)
    # Smooth faces-like images: low-frequency noise upsampled, so downsampling keeps structure.
    base = rng.integers(0, 256, (14, 8, 8, 3), dtype=np.uint8)
    hr = np.stack([np.asarray(Image.fromarray(b).resize((64, 64), Image.BILINEAR)) for b in base])
    hr_ref = _write(root / "hr_ref", hr[:8])
    paired = _write(root / "paired", hr[8:12])
    # The "real" LR test set is the bilinear protocol applied to the reference faces, saved as PNG.
    lr = fid.quantise(metrics.bilinear_inputs(hr[:8]))
    lr_test = _write(root / "lr_test", lr)

    keras.utils.set_random_seed(1)
    l2h, h2l = build_low_to_high(TINY), build_high_to_low(TINY)
    l2h_file, h2l_file = root / "l2h.keras", root / "h2l.keras"
    l2h.save(l2h_file)
    h2l.save(h2l_file)
    run = root / "run"
    (run / "models").mkdir(parents=True)
    l2h.save(run / "models" / "low_to_high_ema.keras")
    (run / "config.yaml").write_text(yaml.safe_dump({"training": {"stage": "low_to_high",
                                                                   "high_to_low_run": str(h2l_file)}}))
    return {"root": root, "hr_ref": hr_ref, "paired": paired, "lr_test": lr_test, "l2h": l2h, "l2h_file": l2h_file,
            "run": run, "hr": hr, "lr": lr}


def test_evaluation_compares_the_right_sets(setup):
    sets = load_evaluation_sets(setup["lr_test"], setup["hr_ref"], setup["paired"])
    results = evaluate_model(setup["l2h_file"], sets, _tiny_features(), protocol=SMALL)
    # The LR test set *is* the bilinear downsampling of the reference: that FID vanishes, nothing else does.
    assert abs(results["fid_bilinear_vs_real_lr"]) < 1e-6
    assert results["fid_sr_vs_hr"] > 1e-3
    assert results["fid_high_to_low_vs_real_lr"] is None  # a bare .keras file has no High-to-Low
    expected_sr = np.asarray(setup["l2h"](metrics.bilinear_inputs(setup["hr"][8:12]), training=False))
    assert results["psnr_y"] == pytest.approx(metrics.psnr(expected_sr, setup["hr"][8:12], "y"), abs=1e-4)
    assert results["sets"]["lr_test"]["images"] == 8 and results["sets"]["hr_reference"]["size"] == 64
    table = format_markdown(results)
    assert "| High-to-Low outputs | - |" in table and "l2h.keras" in table


def test_run_directory_brings_its_high_to_low_and_tflite_matches_keras(setup, tmp_path):
    from tfsr.export.convert import convert_saved_model, write_saved_model

    sets = load_evaluation_sets(setup["lr_test"], setup["hr_ref"], setup["paired"])
    extractor = _tiny_features()
    from_run = evaluate_model(setup["run"], sets, extractor, protocol=SMALL)
    assert from_run["high_to_low"].endswith("h2l.keras")
    assert from_run["fid_high_to_low_vs_real_lr"] > 0

    saved = write_saved_model(setup["l2h"], 1, tmp_path / "sm")
    tflite = tmp_path / "l2h.tflite"
    tflite.write_bytes(convert_saved_model(saved, "fp32"))
    lite = evaluate_model(tflite, sets, extractor, protocol=SMALL)
    assert lite["runtime"] == "litert"
    bigger = _write(tmp_path / "lr32", np.zeros((2, 32, 32, 3), np.uint8))
    hr128 = _write(tmp_path / "hr128", np.zeros((2, 128, 128, 3), np.uint8))
    with pytest.raises(DataError, match="lr32: faces are 32x32, .*l2h.tflite takes 16x16"):
        evaluate_model(tflite, load_evaluation_sets(bigger, hr128), extractor, protocol=SMALL)
    assert lite["psnr_rgb"] == pytest.approx(from_run["psnr_rgb"], abs=0.05)
    assert lite["fid_sr_vs_hr"] == pytest.approx(from_run["fid_sr_vs_hr"], rel=0.05, abs=1e-3)


def test_bad_folders_are_named_in_the_error(setup, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty: no images"):
        load_evaluation_sets(empty, setup["hr_ref"])
    with pytest.raises(DataError, match="no such folder"):
        load_evaluation_sets(tmp_path / "missing", setup["hr_ref"])
    with pytest.raises(DataError, match=r"holds 8 images, exactly 5 were asked for"):
        load_evaluation_sets(setup["lr_test"], setup["hr_ref"], num_images=5)
    few_hr = _write(tmp_path / "few_hr", setup["hr"][:3])
    with pytest.raises(DataError, match=r"few_hr.*holds 3 images, at least 8"):
        load_evaluation_sets(setup["lr_test"], few_hr)
    wrong = _write(tmp_path / "wrong_hr", list(setup["hr"][:7]) + [np.zeros((48, 48, 3), np.uint8)])
    with pytest.raises(DataError, match=r"wrong_hr/007.png: image is 48x48, expected 64x64"):
        load_evaluation_sets(setup["lr_test"], wrong)
    mixed = _write(tmp_path / "mixed_lr", [setup["lr"][0], np.zeros((20, 16, 3), np.uint8)])
    with pytest.raises(DataError, match=r"mixed_lr/001.png: image is 16x20, expected 16x16 like 000.png"):
        load_evaluation_sets(mixed, setup["hr_ref"])


def test_cli_reports_bad_input_in_one_line(setup, tmp_path, capsys):
    rc = main(["evaluate", str(setup["run"]), "--lr-test", str(tmp_path / "nope"), "--hr-ref", str(setup["hr_ref"]),
               "--offline"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "nope: no such folder" in err and "Traceback" not in err


def test_cli_writes_json_and_markdown_and_caches_folder_statistics(setup, tmp_path, capsys, monkeypatch):
    # The CLI's feature network is Inception-v3 (its loading is tested in test_evaluation_fid.py); a small
    # network on the same 299x299 input keeps this test fast while every other step runs for real.
    asked = []

    def fake_inception(weights, allow_download):
        asked.append((weights, allow_download))
        keras.utils.set_random_seed(3)
        net = keras.Sequential([keras.Input((299, 299, 3)), keras.layers.Conv2D(5, 8, strides=8),
                                keras.layers.GlobalAveragePooling2D()])
        return KerasFeatures(net, "small-299", 299)

    monkeypatch.setattr("tfsr.evaluation.inception.inception_v3", fake_inception)
    small_lr = _write(tmp_path / "lr4", setup["lr"][:4])
    args = ["evaluate", str(setup["run"]), "--lr-test", str(small_lr), "--hr-ref", str(setup["hr_ref"]),
            "--paired-hr", str(setup["paired"]), "--num-images", "4", "--inception-weights", "w.h5", "--offline",
            "--cache-dir", str(tmp_path / "cache"), "--output", str(tmp_path / "out"), "--batch-size", "3"]
    assert main(args) == 0
    assert asked == [("w.h5", False)]
    results = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert results["protocol"]["fid"]["features"] == "small-299"
    assert results["protocol"]["fid"]["image_size"] == 299
    for key in ("fid_sr_vs_hr", "fid_bilinear_vs_real_lr", "fid_high_to_low_vs_real_lr", "psnr_y", "ssim_rgb"):
        assert np.isfinite(results[key]), key
    assert results["sets"]["hr_reference"]["images"] == 4  # as many as the LR test set
    assert "strongly biased" in results["warning"]
    assert sorted(p.suffix for p in (tmp_path / "cache").iterdir()) == [".npz", ".npz"]
    assert "| Bilinear downsampling |" in (tmp_path / "out" / "eval.md").read_text()
    assert "wrote" in capsys.readouterr().out
    # A second run reads the folders' statistics from the cache and reproduces every number.
    monkeypatch.setattr("tfsr.evaluation.table1.image_statistics", _counting(fid.image_statistics, calls := []))
    assert main(args) == 0
    assert len(calls) == 3  # SR outputs, bilinear and High-to-Low outputs; not the two folders
    again = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert again["fid_sr_vs_hr"] == pytest.approx(results["fid_sr_vs_hr"], rel=1e-6)
    assert again["fid_high_to_low_vs_real_lr"] == pytest.approx(results["fid_high_to_low_vs_real_lr"], rel=1e-6)


def _counting(fn, calls):
    def wrapped(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    return wrapped
