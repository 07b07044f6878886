"""`tfsr evaluate --paired-lr`: real LR/HR pairs matched by name, bicubic and bilinear reference rows, the
files without a partner reported, and every metric but FID measured when there are no Inception weights."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfsr.cli import main
from tfsr.config import HighToLowConfig, LowToHighConfig, ModelConfig
from tfsr.errors import DataError
from tfsr.evaluation import metrics
from tfsr.evaluation.folders import ImagePairs
from tfsr.evaluation.generators import LowToHigh
from tfsr.evaluation.inception import KERAS_WEIGHTS_FILE
from tfsr.evaluation.table1 import evaluate_model, format_markdown, load_evaluation_sets
from tfsr.models import build_low_to_high

TINY = ModelConfig(
    high_to_low=HighToLowConfig(filters=8, noise_dim=4, blocks_per_group=1),
    low_to_high=LowToHighConfig(group_filters=[8, 8, 8], group_blocks=[1, 1, 1]),
)
# HR faces a..f; LR partners of a..e only, plus one LR face ("c_extra") that has no HR partner. "c_extra"
# sorts between "c" and "d", so pairing by position instead of by name would pair d with c_extra's face.
HR_NAMES = ["a", "b", "c", "d", "e", "f"]
LR_NAMES = ["a", "b", "c", "c_extra", "d", "e"]


def _write(folder: Path, names: list[str], images: np.ndarray, suffix: str = ".png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, x in zip(names, images):
        Image.fromarray(x).save(folder / f"{name}{suffix}")
    return folder


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    """HR faces that are 4x nearest-neighbour enlargements of their LR partners, so that nearest-neighbour
    upsampling is a perfect "model" and any mismatched pair shows as a finite PSNR."""
    root = tmp_path_factory.mktemp("paired")
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (len(LR_NAMES), 16, 16, 3), dtype=np.uint8)
    lr = dict(zip(LR_NAMES, small))
    lr["f"] = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)  # f's HR face exists, its LR file does not
    hr = {name: lr[name].repeat(4, axis=0).repeat(4, axis=1) for name in HR_NAMES}
    return {
        "root": root,
        "lr": lr,
        "hr": hr,
        # The LR side in another format: names are matched without their extension.
        "paired_lr": _write(root / "pairs_lr", LR_NAMES, small, ".bmp"),
        "paired_hr": _write(root / "pairs_hr", HR_NAMES, np.stack([hr[n] for n in HR_NAMES])),
        "lr_test": _write(root / "lr_test", ["0", "1", "2"], small[:3]),
        "hr_ref": _write(root / "hr_ref", HR_NAMES, np.stack([hr[n] for n in HR_NAMES])),
    }


def _nearest_upsampler(monkeypatch) -> None:
    """`LowToHigh.load` returns 4x nearest-neighbour enlargement, whatever the path."""
    net = keras.Sequential([keras.Input((None, None, 3)), keras.layers.UpSampling2D(4, interpolation="nearest")])
    monkeypatch.setattr(LowToHigh, "load", classmethod(lambda cls, path: cls(net, Path(path), "keras")))


def _direct(upsampled: np.ndarray, hr: np.ndarray) -> dict[str, float]:
    return {"psnr_rgb": metrics.psnr(upsampled, hr, "rgb"), "psnr_y": metrics.psnr(upsampled, hr, "y"),
            "ssim_rgb": metrics.ssim(upsampled, hr, "rgb"), "ssim_y": metrics.ssim(upsampled, hr, "y")}


def test_pairs_are_matched_by_name_and_scored_with_bicubic_and_bilinear_rows(faces, monkeypatch):
    _nearest_upsampler(monkeypatch)
    sets = load_evaluation_sets(faces["lr_test"], faces["hr_ref"], faces["paired_hr"], paired_lr=faces["paired_lr"])
    pairs = sets.paired_lr
    assert pairs.names == ["a", "b", "c", "d", "e"]
    assert pairs.unmatched_hr == ["f.png"] and pairs.unmatched_lr == ["c_extra.bmp"]
    np.testing.assert_array_equal(pairs.lr, np.stack([faces["lr"][n] for n in pairs.names]))

    results = evaluate_model("nearest.keras", sets, None, fid_skipped="no weights here")
    real = results["real_pairs"]
    # The perfect model reproduces every HR partner: only correctly matched pairs can give this.
    assert real["model"]["psnr_rgb"] == np.inf and real["model"]["psnr_y"] == np.inf
    assert real["model"]["ssim_rgb"] == pytest.approx(1.0) and real["model"]["ssim_y"] == pytest.approx(1.0)
    # The reference rows are the metrics of plain tf.image.resize of the same LR faces.
    lr = tf.constant(pairs.lr.astype(np.float32) / 127.5 - 1.0)
    hr = np.stack([faces["hr"][n] for n in pairs.names])
    for method in ("bicubic", "bilinear"):
        up = np.clip(tf.image.resize(lr, (64, 64), method).numpy(), -1.0, 1.0)
        for key, value in _direct(up, hr).items():
            assert real[method][key] == pytest.approx(value, abs=1e-9), (method, key)
        assert real[method]["psnr_y"] < 40
    assert real["bicubic"] != real["bilinear"]
    # FID was skipped, and says why; the bilinear-pairs PSNR of the whole --paired-hr folder is still there.
    assert results["fid_sr_vs_hr"] is None and results["fid_skipped"] == "no weights here"
    assert results["protocol"]["fid"] is None and results["sets"]["lr_test"]["key"] is None
    # (the bilinear sample points of a 4x nearest enlargement fall inside its blocks: this one is perfect too)
    assert results["psnr_y"] == np.inf and results["sets"]["paired_hr"]["images"] == 6
    assert results["sets"]["paired_lr"]["unmatched_lr"] == ["c_extra.bmp"]

    table = format_markdown(results)
    assert "| Real pairs (5 faces) | PSNR RGB / Y | SSIM RGB / Y |" in table
    assert "| nearest.keras | inf / inf | 1.0000 / 1.0000 |" in table
    bicubic = real["bicubic"]
    assert (f"| Bicubic upsampling | {bicubic['psnr_rgb']:.2f} / {bicubic['psnr_y']:.2f} | "
            f"{bicubic['ssim_rgb']:.4f} / {bicubic['ssim_y']:.4f} |") in table
    assert "| Bilinear upsampling |" in table
    assert "FID skipped: no weights here." in table and "High-to-Low outputs" not in table
    assert "Note: --paired-lr: 1 face of" in table and "(f.png)" in table and "(c_extra.bmp)" in table


def test_paired_lr_mistakes_name_the_folder_or_file(faces, tmp_path):
    def sets(paired_lr, paired_hr=faces["paired_hr"]):
        return load_evaluation_sets(faces["lr_test"], faces["hr_ref"], paired_hr, paired_lr=paired_lr)

    empty = tmp_path / "empty_lr"
    empty.mkdir()
    with pytest.raises(DataError, match=r"--paired-lr .*empty_lr: no images"):
        sets(empty)
    with pytest.raises(DataError, match=r"--paired-lr .*missing_lr: no such folder"):
        sets(tmp_path / "missing_lr")
    others = _write(tmp_path / "others", ["x", "y"], np.zeros((2, 16, 16, 3), np.uint8))
    with pytest.raises(DataError, match=r"--paired-lr .*others: no image has the name of one in --paired-hr "
                                        r".*pairs_hr .*--paired-lr has x, y, --paired-hr has a, b, c and 3 more"):
        sets(others)
    wrong = _write(tmp_path / "wrong_lr", ["a"], np.zeros((1, 16, 16, 3), np.uint8))
    _write(wrong, ["b"], np.zeros((1, 20, 20, 3), np.uint8))
    with pytest.raises(DataError, match=r"wrong_lr/b.png: image is 20x20, expected 16x16 \(1/4 of the 64x64 "
                                        r"--paired-hr faces\)"):
        sets(wrong)
    twice = _write(tmp_path / "twice", ["a"], np.zeros((1, 16, 16, 3), np.uint8), ".bmp")
    _write(twice, ["a"], np.zeros((1, 16, 16, 3), np.uint8))
    with pytest.raises(DataError, match=r"twice: a.bmp and a.png have the same name"):
        sets(twice)
    with pytest.raises(DataError, match=r"--paired-lr .*needs --paired-hr"):
        sets(faces["paired_lr"], paired_hr=None)


def test_unmatched_notice_names_the_first_files_and_counts_the_rest():
    pairs = ImagePairs(hr=np.zeros((1, 64, 64, 3), np.uint8), lr=np.zeros((1, 16, 16, 3), np.uint8), names=["a"],
                       root=Path("lr"), hr_root=Path("hr"), label="--paired-lr",
                       unmatched_hr=[f"{i:02d}.png" for i in range(12)], unmatched_lr=[])
    assert pairs.unmatched_notice() == ("--paired-lr: 12 faces of hr without an LR partner (00.png, 01.png, 02.png, "
                                        "03.png, 04.png, 05.png, 06.png, 07.png, 08.png, 09.png and 2 more); "
                                        "measuring the 1 matched pair")
    pairs.unmatched_hr = []
    assert pairs.unmatched_notice() is None


def test_cli_without_inception_weights_skips_fid_with_a_notice_and_measures_the_rest(faces, tmp_path, monkeypatch,
                                                                                      capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # no cached Inception-v3 weights there
    keras.utils.set_random_seed(1)
    model = build_low_to_high(TINY)
    model_file = tmp_path / "l2h.keras"
    model.save(model_file)
    out = tmp_path / "out"
    args = ["evaluate", str(model_file), "--lr-test", str(faces["lr_test"]), "--hr-ref", str(faces["hr_ref"]),
            "--paired-hr", str(faces["paired_hr"]), "--paired-lr", str(faces["paired_lr"]), "--offline",
            "--output", str(out), "--cache-dir", ""]
    assert main(args) == 0
    captured = capsys.readouterr()
    notices = captured.err.strip().splitlines()
    assert len(notices) == 2, captured.err  # the unmatched files, then FID, one line each
    assert "c_extra.bmp" in notices[0] and "f.png" in notices[0]
    assert notices[1].startswith("tfsr evaluate: FID skipped, PSNR/SSIM still measured:")
    assert KERAS_WEIGHTS_FILE in notices[1] and "--inception-weights FILE" in notices[1]

    results = json.loads((out / "eval.json").read_text())
    for key in ("fid_sr_vs_hr", "fid_bilinear_vs_real_lr", "fid_high_to_low_vs_real_lr"):
        assert results[key] is None, key
    assert KERAS_WEIGHTS_FILE in results["fid_skipped"]
    # The model's row is its own output on the matched LR faces, scored directly.
    assert results["sets"]["paired_lr"]["pairs"] == 5
    names = ["a", "b", "c", "d", "e"]
    lr = np.stack([faces["lr"][n] for n in names]).astype(np.float32) / 127.5 - 1.0
    sr = np.asarray(model(lr, training=False))
    hr = np.stack([faces["hr"][n] for n in names])
    for key, value in _direct(sr, hr).items():
        assert results["real_pairs"]["model"][key] == pytest.approx(value, abs=1e-4), key
    assert np.isfinite(results["psnr_rgb"]) and np.isfinite(results["ssim_y"])
    table = (out / "eval.md").read_text()
    assert "| l2h.keras | - |" in table and "| Bicubic upsampling |" in table and "FID skipped:" in table
    assert table.strip() in captured.out


def test_cli_named_inception_weights_that_are_missing_stay_an_error(faces, tmp_path, capsys):
    rc = main(["evaluate", str(tmp_path / "l2h.keras"), "--lr-test", str(faces["lr_test"]), "--hr-ref",
               str(faces["hr_ref"]), "--inception-weights", str(tmp_path / "typo.h5")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "typo.h5: no such Inception-v3 weights file" in err
