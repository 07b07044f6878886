"""`tfsr benchmark real-world`: the sets, the verdict, bad settings, and the whole experiment at --quick size."""

from __future__ import annotations

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
    lost_psnr = real_world.verdict(_rows(19.0, 0.6))
    assert not lost_psnr["reproduced"] and not lost_psnr["best_psnr_y_on_real_lr"]
    lost_realism = real_world.verdict(_rows(21.0, 0.9))
    assert not lost_realism["reproduced"] and lost_realism["best_psnr_y_on_real_lr"]


def test_bad_settings_fail_in_one_line(capsys):
    assert main(["benchmark", "real-world", "--quick", "--set", "low_to_high_steps=many"]) == 2
    assert "low_to_high_steps must be an integer" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--set", "colour=3"]) == 2
    assert "KEY one of" in capsys.readouterr().err
    assert main(["benchmark", "real-world", "--quick", "--degradation", "nope"]) == 2
    assert "unknown 'nope'" in capsys.readouterr().err


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
    assert [r["method"] for r in rows[:4]] == [m.title for m in METHODS]
    for r in rows[:5]:
        assert np.isfinite(r["psnr_y"]) and 0 < r["ssim_rgb"] <= 1, r
    for r in rows[:4] + rows[5:]:
        assert 0 <= r["two_sample_accuracy"] <= 1, r
    for key in ["high_to_low"] + [m.key for m in METHODS]:
        assert any((tmp_path / "work" / "runs" / key / "models").glob("*.keras")), key
    assert set(results["verdict"]) == {"best_psnr_y_on_real_lr", "most_realistic_inputs", "reproduced"}
    printed = capsys.readouterr().out
    assert "| Low-to-High trained on bilinear |" in printed and "reproduced in miniature:" in printed
