"""TFLiteGenerator: any batch, int8 I/O, metadata, and clear errors for bad files."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
import tensorflow as tf

from conftest import random_faces, tiny_low_to_high

from tfsr.errors import ModelError
from tfsr.export.convert import convert_saved_model, write_saved_model
from tfsr.tflite.metadata import build_metadata, embed_metadata, embedded_metadata, read_metadata, write_sidecar
from tfsr.tflite.runner import TFLiteGenerator

FACES = random_faces(5, seed=1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    g = tiny_low_to_high(group_filters=(16, 8, 8))
    out = tmp_path_factory.mktemp("runner")
    with tempfile.TemporaryDirectory() as d:
        saved = write_saved_model(g, 1, d)
        (out / "fp32.tflite").write_bytes(convert_saved_model(saved, "fp32"))
        (out / "int8io.tflite").write_bytes(convert_saved_model(saved, "int8", FACES, int8_io=True))
    return g, out


def test_float_model_matches_keras_at_any_batch(tiny):
    g, out = tiny
    runner = TFLiteGenerator(out / "fp32.tflite", num_threads=1)
    expected = g(FACES, training=False).numpy()
    for n in (1, 3, 5, 1):
        y = runner(FACES[:n])
        assert y.shape == (n, 64, 64, 3) and y.dtype == np.float32
        np.testing.assert_allclose(y, expected[:n], atol=1e-4)
    assert runner.batch_size == 1 and runner.input_dtype == np.float32 and runner.io_quantization == {}


def test_int8_io_is_quantised_and_dequantised(tiny):
    g, out = tiny
    runner = TFLiteGenerator(out / "int8io.tflite")
    assert runner.input_dtype == np.int8
    assert set(runner.io_quantization) == {"input", "output"}
    y = runner(FACES)
    assert y.dtype == np.float32 and np.all(np.abs(y) <= 1.0 + 1e-2)
    # 8-bit everywhere: close to the float network on average, not bit-exact.
    assert np.mean(np.abs(y - g(FACES, training=False).numpy())) < 0.1


def test_metadata_embedded_then_sidecar(tiny, tmp_path):
    _, out = tiny
    raw = (out / "fp32.tflite").read_bytes()
    assert embedded_metadata(raw) is None
    meta = build_metadata("fp32", 1, {"model": "tiny"})
    with_meta = embed_metadata(raw, meta)
    assert embedded_metadata(with_meta) == meta
    (tmp_path / "m.tflite").write_bytes(with_meta)
    runner = TFLiteGenerator(tmp_path / "m.tflite")
    assert runner.format == "fp32" and runner.metadata["input"]["range"] == [-1.0, 1.0]
    np.testing.assert_array_equal(runner(FACES[:2]), TFLiteGenerator(out / "fp32.tflite")(FACES[:2]))
    (tmp_path / "plain.tflite").write_bytes(raw)
    write_sidecar(tmp_path / "plain.tflite", build_metadata("fp16", 1, {"model": "x"}))
    assert read_metadata(tmp_path / "plain.tflite", raw)["format"] == "fp16"
    assert TFLiteGenerator(tmp_path / "plain.tflite").format == "fp16"


def test_bad_files_raise_model_error(tiny, tmp_path):
    _, out = tiny
    with pytest.raises(ModelError, match="no such"):
        TFLiteGenerator(tmp_path / "missing.tflite")
    (tmp_path / "garbage.tflite").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="not a TFLite model"):
        TFLiteGenerator(tmp_path / "garbage.tflite")
    raw = (out / "fp32.tflite").read_bytes()
    (tmp_path / "truncated.tflite").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ModelError, match="truncated.tflite"):
        TFLiteGenerator(tmp_path / "truncated.tflite")


def test_wrong_shape_model_is_refused(tmp_path):
    module = tf.Module()
    module.f = tf.function(lambda x: tf.tanh(x), input_signature=[tf.TensorSpec((1, 8, 8, 3), tf.float32)])
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(module, d, signatures={"serving_default": module.f})
        (tmp_path / "small.tflite").write_bytes(tf.lite.TFLiteConverter.from_saved_model(d).convert())
    with pytest.raises(ModelError, match="input shape"):
        TFLiteGenerator(tmp_path / "small.tflite")


def test_wrong_batch_shape_is_a_value_error(tiny):
    _, out = tiny
    runner = TFLiteGenerator(out / "fp32.tflite")
    with pytest.raises(ValueError, match="16, 16, 3"):
        runner(np.zeros((2, 32, 32, 3), np.float32))
