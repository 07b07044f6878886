"""Keras and .tflite backends give the same faces; models of the wrong kind are refused before any output."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import FixedBoxes, tiny_low_to_high

from tfsr.cli import main
from tfsr.config import ExportConfig
from tfsr.enhance.backends import KerasSuperResolver, TFLiteSuperResolver, load_super_resolver
from tfsr.enhance.enhancer import Enhancer
from tfsr.errors import ModelError
from tfsr.export.parity import TOLERANCES
from tfsr.models.high_to_low import HighToLowGenerator


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """A tiny Low-to-High generator as .keras, and exported by `tfsr.export` as fp32 and int8 .tflite."""
    from tfsr.export.pipeline import export_generator

    root = tmp_path_factory.mktemp("models")
    tiny_low_to_high(seed=7).save(root / "tiny.keras")
    export_generator(
        root / "tiny.keras", root / "tflite", ["fp32", "int8"], ExportConfig(batch_size=1, representative_size=16)
    )
    files = {"keras": root / "tiny.keras"}
    for fmt in ("fp32", "int8"):
        (files[fmt],) = sorted((root / "tflite").glob(f"*{fmt}*.tflite"))
    return files


def _picture() -> np.ndarray:
    return np.random.default_rng(0).integers(30, 220, (96, 128, 3)).astype(np.uint8)


FACES = [(10, 12, 30, 34, 0.9), (70, 40, 28, 28, 0.8)]


@pytest.mark.parametrize("fmt", ["fp32", "int8"])
def test_keras_and_tflite_give_the_same_faces_within_the_export_tolerance(exported, fmt: str) -> None:
    every_face = {"scale": 1, "min_face": 0, "max_face": 0}  # the faces replaced in place, whatever their size
    keras_enhancer = Enhancer(exported["keras"], detector=FixedBoxes(FACES), **every_face)
    tflite_enhancer = Enhancer(exported[fmt], detector=FixedBoxes(FACES), **every_face)
    assert isinstance(keras_enhancer.super_resolver, KerasSuperResolver)
    assert isinstance(tflite_enhancer.super_resolver, TFLiteSuperResolver)
    assert tflite_enhancer.super_resolver.name == f"tflite-{fmt}"
    image = _picture()
    k_out, k_faces = keras_enhancer.enhance_faces(image)
    t_out, t_faces = tflite_enhancer.enhance_faces(image)
    high_k = np.stack([f.high for f in k_faces])
    high_t = np.stack([f.high for f in t_faces])
    tol = TOLERANCES[fmt]
    assert np.abs(high_k - high_t).max() <= tol.max_abs
    assert np.abs(high_k - high_t).mean() <= tol.mean_abs
    # In pixels: fp32 agrees to rounding; int8 within its tolerance scaled to 0..255.
    diff = np.abs(k_out.astype(int) - t_out.astype(int))
    assert diff.max() <= (1 if fmt == "fp32" else 127.5 * tol.max_abs)
    assert (k_out != image).any()


def test_batches_of_any_size_run_on_both_backends(exported) -> None:
    faces = np.random.default_rng(1).uniform(-1, 1, (5, 16, 16, 3)).astype(np.float32)
    k = load_super_resolver(exported["keras"])
    t = load_super_resolver(exported["fp32"])
    for n in (1, 5, 2):
        np.testing.assert_allclose(k(faces[:n]), t(faces[:n]), atol=TOLERANCES["fp32"].max_abs)


def test_a_high_to_low_generator_is_refused(tmp_path) -> None:
    h2l = HighToLowGenerator(filters=8, blocks_per_group=1)
    h2l.build(((None, 64, 64, 3), (None, 64)))
    with pytest.raises(ModelError, match="High-to-Low"):
        load_super_resolver(h2l)
    h2l.save(tmp_path / "h2l.keras")
    with pytest.raises(ModelError, match="h2l.keras"):
        load_super_resolver(tmp_path / "h2l.keras")


def test_a_foreign_or_damaged_tflite_file_is_refused(tmp_path) -> None:
    import tensorflow as tf

    classifier = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    (tmp_path / "classifier.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(classifier).convert())
    with pytest.raises(ModelError, match="classifier.tflite"):
        load_super_resolver(tmp_path / "classifier.tflite")
    (tmp_path / "junk.tflite").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="junk.tflite"):
        load_super_resolver(tmp_path / "junk.tflite")
    with pytest.raises(ModelError, match="missing.tflite"):
        load_super_resolver(tmp_path / "missing.tflite")


def test_a_model_with_nan_outputs_is_refused() -> None:
    class Broken:
        name = "broken"

        def __call__(self, faces):
            return np.full((len(faces), 64, 64, 3), np.nan, np.float32)

    with pytest.raises(ModelError, match="NaN"):
        load_super_resolver(Broken())
    with pytest.raises(ModelError, match="cannot use"):
        load_super_resolver(42)


def test_cli_refuses_a_wrong_model_before_writing_anything(tmp_path, capsys) -> None:
    import skimage.data

    from tfsr.enhance.pictures import write_picture

    write_picture(tmp_path / "in" / "a.png", skimage.data.astronaut())
    (tmp_path / "classifier.tflite").write_bytes(b"TFL3" * 16)
    code = main(["enhance", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(tmp_path / "classifier.tflite")])
    assert code == 2
    assert "classifier.tflite" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_with_a_tflite_model(exported, tmp_path, capsys) -> None:
    import skimage.data

    from tfsr.enhance.pictures import read_picture, write_picture

    photo = skimage.data.astronaut()
    write_picture(tmp_path / "a.png", photo)
    code = main(["enhance", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "--model", str(exported["int8"]),
                 "--threads", "1", "--scale", "2", "--max-face", "0"])
    assert code == 0, capsys.readouterr().err
    out = read_picture(tmp_path / "b.png")
    assert out.shape == (1024, 1024, 3) and "(1 faces super-resolved)" in capsys.readouterr().out
