"""`tfsr benchmark real-world`: the sets, the verdict, bad settings, and the whole experiment at --quick size."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from tfsr.cli import main
from tfsr.errors import ConfigError
from tfsr.experiments import real_world
from tfsr.experiments.real_world import METHODS, QUICK


def test_sets_are_disjoint_and_made_by_the_hidden_chain():
    sets = real_world.make_sets(QUICK)
    assert len(sets.hr_train) == 16 and len(sets.real_lr) == 16 and len(sets.test_hr) == 8
    assert sets.test_lr.shape == (8, 16, 16, 3) and sets.test_lr.dtype == np.uint8
    train = {x.tobytes() for x in sets.hr_train}
    assert not any(x.tobytes() in train for x in sets.test_hr)
    # The test LR faces are the hidden chain applied to the ground truth, repeatably.
    np.testing.assert_array_equal(sets.test_lr, real_world.degrade(sets.test_hr, QUICK.degradation, 12))
    # ... and not a plain downsampling of it.
    bilinear = real_world.degrade(sets.test_hr, "bilinear", 12)
    assert np.mean(np.abs(sets.test_lr.astype(int) - bilinear)) > 2
    with pytest.raises(ConfigError, match="unknown 'nope'"):
        real_world.make_sets(real_world.BenchmarkSettings(degradation="nope"))


def _rows(full_psnr, full_accuracy):
    rows = [{"method": m.title, "psnr_y": 20.0, "two_sample_accuracy": 0.8} for m in METHODS]
    rows[0].update(psnr_y=full_psnr, two_sample_accuracy=full_accuracy)
    return rows


def test_verdict_needs_both_better_psnr_and_more_realistic_inputs():
    assert real_world.verdict(_rows(21.0, 0.6))["reproduced"]
    # Bicubic counts as a row to beat.
    beaten_by_bicubic = _rows(21.0, 0.6) + [{"method": real_world.BICUBIC, "psnr_y": 21.5, "two_sample_accuracy": None}]
    assert not real_world.verdict(beaten_by_bicubic)["best_psnr_y_on_real_lr"]
    lost_psnr = real_world.verdict(_rows(19.0, 0.6))
    assert not lost_psnr["reproduced"] and not lost_psnr["best_psnr_y_on_real_lr"]
    lost_realism = real_world.verdict(_rows(21.0, 0.9))
    assert not lost_realism["reproduced"] and lost_realism["best_psnr_y_on_real_lr"]


def test_the_pixel_only_ablation_is_a_fourth_method_on_request():
    assert [m.key for m in QUICK.methods()] == ["full", "bilinear", "blur_bilinear"]
    assert [m.key for m in dataclasses.replace(QUICK, pixel_only=True).methods()] == [m.key for m in METHODS]


def test_rows_of_seeds_average_to_mean_and_spread():
    a = [{"method": "m", "psnr_y": 20.0, "two_sample_accuracy": None}]
    b = [{"method": "m", "psnr_y": 22.0, "two_sample_accuracy": None}]
    (row,) = real_world.aggregate([a, b])
    assert row["psnr_y"] == 21.0 and row["psnr_y_std"] == 1.0 and row["two_sample_accuracy"] is None


def test_bad_settings_fail_in_one_line(capsys):
    assert main(["benchmark", "real-world", "--quick", "--set", "low_to_high_steps=many"]) == 2
    assert "low_to_high_steps must be an integer" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--set", "colour=3"]) == 2
    assert "KEY one of" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--degradation", "nope"]) == 2
    assert "unknown 'nope'" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--set", "pixel_only=yes"]) == 2
    assert "pixel_only must be 0 or 1" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--set", "repeats=0"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_settings_follow_quick_and_overrides():
    import argparse

    from tfsr.commands import benchmark

    parser = argparse.ArgumentParser()
    benchmark.add_arguments(parser)
    args = parser.parse_args(["real-world", "--quick", "--set", "learning_rate=1e-3", "--set", "low_to_high_steps=7",
                              "--degradation", "blur_bilinear"])
    settings = benchmark.settings_from_args(args)
    assert settings.learning_rate == 1e-3 and settings.low_to_high_steps == 7
    assert settings.degradation == "blur_bilinear" and settings.max_images == QUICK.max_images
    cfg = real_world._config(settings, "x", {"demo": True}, {"stage": "high_to_low", "steps": 7})
    assert cfg.training.g_optimizer.learning_rate == 1e-3 and cfg.training.ema_decay == settings.ema_decay
    assert cfg.data.augment.rotation == 0 and cfg.data.augment.flip


def test_quick_benchmark_trains_every_method_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["benchmark", "real-world", "--quick", "--work-dir", str(tmp_path / "work"), "--output", str(out)]) == 0
    results = json.loads(out.read_text())
    rows = results["rows"]
    methods = QUICK.methods()
    assert [r["method"] for r in rows[:4]] == [m.title for m in methods] + [real_world.BICUBIC]
    for r in rows[:4]:
        assert np.isfinite(r["psnr_y"]) and 0 < r["ssim_rgb"] <= 1, r
    for r in rows[:3] + rows[4:]:
        assert 0 <= r["two_sample_accuracy"] <= 1, r
    for key in ["high_to_low"] + [m.key for m in methods]:
        assert any((tmp_path / "work" / "seed0" / "runs" / key / "models").glob("*.keras")), key
    assert set(results["verdict"]) == {"best_psnr_y_on_real_lr", "most_realistic_inputs", "reproduced"}
    printed = capsys.readouterr().out
    assert "| Low-to-High trained on bilinear |" in printed and "reproduced in miniature:" in printed
    # Two seeds, each its own runs; the table's numbers are their mean, with the spread beside them.
    assert len(results["rows_by_seed"]) == 2 and "over 2 seed(s)" in printed
    for key in [m.key for m in methods]:
        assert (tmp_path / "work" / "seed1" / "runs" / key / "models").is_dir(), key
    for i, row in enumerate(rows[:4]):
        values = [seed_rows[i]["psnr_y"] for seed_rows in results["rows_by_seed"]]
        assert row["psnr_y"] == pytest.approx(np.mean(values)) and row["psnr_y_std"] == pytest.approx(np.std(values))
    # Every stage-2 run scored itself as it trained, and the mean curves are drawn.
    for title, curve in results["curves"].items():
        assert "0" in curve and len(curve) >= 2 and all(np.isfinite(v) for v in curve.values()), title
    assert (tmp_path / "work" / "psnr_by_update.png").stat().st_size > 1000
