"""The exported float32 `.tflite` of the authors' converted network reproduces PyTorch's outputs.

Uses the shared `gen_deep` fixture (random-weight `GEN_DEEP` state_dict and its PyTorch outputs) through the
official-parity helpers; skips with their reason when the fixture folder is absent.
"""

from __future__ import annotations

import numpy as np

from conftest import converted_fixture_model, fixture_arrays
from tfsr.export.convert import convert_saved_model, write_saved_model
from tfsr.export.gpu_ops import gpu_problems, op_counts
from tfsr.tflite.runner import TFLiteGenerator


def test_fp32_tflite_of_the_converted_network_matches_pytorch(tmp_path):
    model = converted_fixture_model()
    arrays = fixture_arrays()
    tflite = convert_saved_model(write_saved_model(model, 1, tmp_path / "saved"), "fp32")
    assert gpu_problems(tflite) == []
    # The official layout's corner-aligned bilinear x2 stages survive conversion as RESIZE_BILINEAR.
    assert op_counts(tflite)["RESIZE_BILINEAR"] == 2
    (tmp_path / "official_fp32.tflite").write_bytes(tflite)
    out = TFLiteGenerator(tmp_path / "official_fp32.tflite", num_threads=2)(arrays["input_nhwc"])
    np.testing.assert_allclose(out, arrays["output_nhwc"], atol=1e-4, rtol=0)
