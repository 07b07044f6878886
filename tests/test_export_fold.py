"""BatchNorm folding before conversion (export.fold): the folded network equals the original in inference
mode, BatchNorms that cannot fold are kept, and the converted file has no MUL left."""

from __future__ import annotations

import numpy as np
import pytest

from tfsr.errors import ConfigError
from tfsr.export.fold import fold_batch_norms
from tfsr.models import OfficialLowToHighGenerator


def _generator(seed: int = 0, negative_scale: bool = False) -> OfficialLowToHighGenerator:
    """The released layout with random BatchNorm statistics (Keras init would make every BatchNorm x -> x)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = OfficialLowToHighGenerator()
    model.build((None, 16, 16, 3))
    rng = np.random.default_rng(seed)
    bns = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 32
    for bn in bns:
        n = bn.gamma.shape[0]
        bn.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n), rng.normal(0, 0.2, n), rng.uniform(0.5, 2.0, n)])
    if negative_scale:  # one channel of a BatchNorm that follows a residual sum
        bn1 = model.layers_set_final[0][4].bn1
        gamma = np.asarray(bn1.gamma).copy()
        gamma[3] = -0.7
        bn1.gamma.assign(gamma)
    return model


def test_folded_generator_equals_the_original_in_inference_mode():
    model = _generator()
    folded = fold_batch_norms(model)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    reference = np.asarray(model(x, training=False))
    assert folded.folded_batch_norms == 17 and folded.kept_batch_norms == 0  # 15 bn1 + 2 after the resizes
    np.testing.assert_allclose(np.asarray(folded(x)), reference, atol=1e-5 * np.abs(reference).max() + 1e-6)


def test_a_batch_norm_with_a_negative_scale_is_kept_and_the_output_still_equal():
    model = _generator(negative_scale=True)
    folded = fold_batch_norms(model)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    reference = np.asarray(model(x, training=False))
    assert (folded.folded_batch_norms, folded.kept_batch_norms) == (16, 1)
    np.testing.assert_allclose(np.asarray(folded(x)), reference, atol=1e-5 * np.abs(reference).max() + 1e-6)


def test_only_the_released_layout_is_folded():
    import keras

    with pytest.raises(ConfigError, match="released layout"):
        fold_batch_norms(keras.Sequential([keras.layers.Conv2D(3, 3)]))


def test_converted_folded_file_has_no_mul_and_matches_keras(tmp_path):
    from tfsr.export.convert import convert_saved_model, write_saved_model
    from tfsr.export.gpu_ops import op_counts
    from tfsr.tflite.runner import TFLiteGenerator

    model = _generator(seed=3)
    folded = fold_batch_norms(model)
    tflite = convert_saved_model(write_saved_model(folded, 1, tmp_path / "saved"), "fp32")
    ops = op_counts(tflite)
    # The unfolded file has 17 MUL (the BatchNorms after a sum or a resize) next to its 38 convolutions.
    assert "MUL" not in ops and ops["CONV_2D"] == 38, ops
    path = tmp_path / "folded.tflite"
    path.write_bytes(tflite)
    x = np.random.default_rng(4).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    reference = np.asarray(model(x, training=False))
    np.testing.assert_allclose(TFLiteGenerator(path, 1)(x), reference, atol=1e-4)
