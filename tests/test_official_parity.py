"""Parity of the converted released network with PyTorch's own outputs (shared `gen_deep` fixture).

The fixture (a random-weight `GEN_DEEP` state_dict in the legacy format, 62 MB, and the PyTorch outputs
for four faces) lives in the project's shared folder beside the repository, not in it; these tests skip
when it is absent. Other tests (the TFLite parity of the export) reuse `converted_fixture_model()` and
`fixture_arrays()`, which live in `conftest.py`.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from conftest import FIXTURE_PKL, converted_fixture_model, fixture_arrays, fixture_dir

from tfsr.official import read_state_dict

ATOL = 1e-5



def nhwc(tap: np.ndarray) -> np.ndarray:
    return tap.transpose(0, 2, 3, 1) if tap.ndim == 4 else tap[None].transpose(0, 2, 3, 1)


def test_converted_model_matches_pytorch_outputs():
    arrays = fixture_arrays()
    output = np.asarray(converted_fixture_model()(arrays["input_nhwc"], training=False))
    np.testing.assert_allclose(output, arrays["output_nhwc"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(output, arrays["output_f64_nhwc"], rtol=0, atol=ATOL)


def test_every_stage_matches_the_pytorch_taps():
    # Stage by stage, so a failure says where the port departs from PyTorch.
    arrays = fixture_arrays()
    model = converted_fixture_model()

    def run(stage, x):
        for layer in stage:
            x = layer(x, training=False)
        return np.asarray(x)

    x = np.asarray(model.layers_in(arrays["input_nhwc"][:1]))
    np.testing.assert_allclose(x, nhwc(arrays["t0_layers_in_img0_nchw"]), atol=ATOL, err_msg="layers_in")
    blocks = run(model.layers_set_final[0], x)
    np.testing.assert_allclose(blocks, nhwc(arrays["t1_group0_blocks_img0_nchw"]), atol=ATOL, err_msg="group 0")
    x = run(model.layers_set_final_up[0], x + blocks)
    np.testing.assert_allclose(x, nhwc(arrays["t2_up0_img0_nchw"]), atol=ATOL, err_msg="up-stage 0")
    blocks = run(model.layers_set_final[1], x)
    np.testing.assert_allclose(blocks, nhwc(arrays["t3_group1_blocks_img0_nchw"]), atol=ATOL, err_msg="group 1")
    x = run(model.layers_set_final_up[1], blocks + np.asarray(model.a1[0](x)))
    np.testing.assert_allclose(x, nhwc(arrays["t4_up1_img0_nchw"]), atol=ATOL, err_msg="up-stage 1")


def test_keras_file_keeps_parity(tmp_path):
    arrays = fixture_arrays()
    path = tmp_path / "official.keras"
    converted_fixture_model().save(path)
    output = keras.saving.load_model(path)(arrays["input_nhwc"], training=False)
    np.testing.assert_allclose(output, arrays["output_nhwc"], rtol=0, atol=ATOL)


def test_reader_agrees_with_torch_load_on_the_fixture():
    folder = fixture_dir()
    torch = pytest.importorskip("torch", reason="cross-check with PyTorch needs the optional torch extra")
    found = read_state_dict(folder / FIXTURE_PKL)
    expected = torch.load(folder / FIXTURE_PKL, weights_only=True)
    assert list(found) == list(expected) and len(found) == 206
    for key, value in expected.items():
        np.testing.assert_array_equal(found[key], value.numpy(), err_msg=key)
