"""The released network's Keras model, the strict state_dict mapping and `tfsr convert-official`.

The state_dicts here are built from the published layout (the design notes' list of `GEN_DEEP` modules),
not from the code under test; the numeric layout checks compare each converted layer with numpy
arithmetic on the PyTorch-layout tensors.
"""

from __future__ import annotations

import collections
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import tensor, write_legacy

from tfsr.cli import main
from tfsr.errors import ModelError
from tfsr.models import OfficialLowToHighGenerator
from tfsr.official import convert_official, load_official_weights


def batch_norm(prefix: str, channels: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        f"{prefix}.weight": rng.uniform(0.5, 1.5, channels),
        f"{prefix}.bias": rng.uniform(-0.2, 0.2, channels),
        f"{prefix}.running_mean": rng.uniform(-0.2, 0.2, channels),
        f"{prefix}.running_var": rng.uniform(0.5, 1.5, channels),
        f"{prefix}.num_batches_tracked": np.array(0, np.int64),
    }


def conv(prefix: str, out: int, inp: int, k: int, rng: np.random.Generator, bias: bool = True) -> dict:
    weights = {f"{prefix}.weight": rng.normal(0, (inp * k * k) ** -0.5, (out, inp, k, k))}
    return {**weights, f"{prefix}.bias": rng.uniform(-0.1, 0.1, out)} if bias else weights


def published_state_dict(seed: int = 0) -> "collections.OrderedDict[str, np.ndarray]":
    """A random state_dict with the keys and PyTorch shapes of the authors' `model.pkl`."""
    rng = np.random.default_rng(seed)
    state = dict(conv("layers_in", 256, 3, 3, rng, bias=False))
    for g, widths in enumerate([[256] * 13, [256, 128, 128, 128]]):
        for b, (inp, out) in enumerate(zip(widths[:-1], widths[1:])):
            p = f"layers_set_final.{g}.{b}"
            state.update(batch_norm(f"{p}.bn1", inp, rng) | conv(f"{p}.conv1", out, inp, 3, rng, bias=False))
            state.update(batch_norm(f"{p}.bn2", out, rng) | conv(f"{p}.conv2", out, out, 3, rng, bias=False))
            if inp != out:
                state.update(conv(f"{p}.skip", out, inp, 1, rng))
    for u, channels in enumerate([256, 128]):
        state.update(batch_norm(f"layers_set_final_up.{u}.1", channels, rng))
        # ConvTranspose2d stores (in, out, kH, kW): here in == out, so only the values tell the layouts apart.
        state.update(conv(f"layers_set_final_up.{u}.3", channels, channels, 1, rng))
    state.update(conv("a1.0", 128, 256, 1, rng) | conv("a2.0", 96, 128, 1, rng))
    state.update(conv("main.0", 96, 128, 3, rng, bias=False) | conv("main.2", 96, 96, 1, rng))
    state.update(conv("main.4", 3, 96, 1, rng))
    return collections.OrderedDict(
        (k, v if v.dtype == np.int64 else v.astype(np.float32)) for k, v in state.items()
    )


@pytest.fixture(scope="module")
def state() -> collections.OrderedDict:
    return published_state_dict()


@pytest.fixture(scope="module")
def model(state) -> OfficialLowToHighGenerator:
    model = OfficialLowToHighGenerator()
    load_official_weights(model, state, "published.pkl")
    return model


def test_published_layout_and_parameter_counts(state, model):
    assert len(state) == 206
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 15_490_403 == sum(v.size for k, v in state.items() if "running" not in k and "tracked" not in k)
    assert trainable - model.a2[0].count_params() == 15_478_019
    batch_norms = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(batch_norms) == 32
    assert {(bn.epsilon, bn.momentum) for bn in batch_norms} == {(1e-5, 0.9)}
    assert all(stage[0].align_corners for stage in model.layers_set_final_up)


def test_each_layout_convention_matches_numpy_on_the_pytorch_tensors(state, model):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5, 256)).astype(np.float32)

    # Conv2d OIHW: cross-correlation with zero padding 1.
    w = state["layers_in.weight"]
    image = x[..., :3]
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(image, ((0, 0), (1, 1), (1, 1), (0, 0))), (3, 3), (1, 2))
    expected = np.einsum("nyxiab,oiab->nyxo", windows, w)
    np.testing.assert_allclose(model.layers_in(image), expected, atol=1e-4)

    # ConvTranspose2d 1x1, weight (in, out, 1, 1).
    w, b = state["layers_set_final_up.0.3.weight"], state["layers_set_final_up.0.3.bias"]
    expected = np.einsum("nyxi,io->nyxo", x, w[:, :, 0, 0]) + b
    np.testing.assert_allclose(model.layers_set_final_up[0][3](x), expected, atol=1e-4)

    # Conv2d 1x1 (the shortcut of the first 256 -> 128 block), weight (out, in, 1, 1).
    w, b = state["layers_set_final.1.0.skip.weight"], state["layers_set_final.1.0.skip.bias"]
    expected = np.einsum("nyxi,oi->nyxo", x, w[:, :, 0, 0]) + b
    np.testing.assert_allclose(model.layers_set_final[1][0].skip(x), expected, atol=1e-4)

    # BatchNorm in inference: running statistics, PyTorch's eps 1e-5.
    p = "layers_set_final_up.0.1"
    expected = (x - state[f"{p}.running_mean"]) / np.sqrt(state[f"{p}.running_var"] + 1e-5) * state[
        f"{p}.weight"
    ] + state[f"{p}.bias"]
    np.testing.assert_allclose(model.layers_set_final_up[0][1](x, training=False), expected, atol=1e-5)


def test_num_batches_tracked_is_optional(state, model):
    without = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(without) == 206 - 32
    other = OfficialLowToHighGenerator()
    load_official_weights(other, without, "old.pkl")
    x = np.random.default_rng(2).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(other(x), model(x))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.pop("main.4.bias"), "missing keys: main.4.bias"),
        (lambda s: s.update({"extra.weight": np.zeros(3, np.float32)}), "unexpected keys: extra.weight"),
        (lambda s: s.update({"a2.0.weight": np.zeros((96, 64, 1, 1), np.float32)}),
         r"shape mismatches: a2\.0\.weight \(96, 64, 1, 1\) \(expected \(96, 128, 1, 1\)\)"),
        (lambda s: s.update({"layers_set_final_up.1.1.num_batches_tracked": np.zeros(2, np.int64)}),
         r"shape mismatches: layers_set_final_up\.1\.1\.num_batches_tracked \(2,\) \(expected \(\)\)"),
    ],
    ids=["missing", "unexpected", "a2 shape", "counter shape"],
)
def test_wrong_keys_are_named_and_nothing_is_loaded(state, edit, message):
    broken = dict(state)
    edit(broken)
    model = OfficialLowToHighGenerator()
    model.build((None, 16, 16, 3))
    before = [np.array(w) for w in model.weights]
    with pytest.raises(ModelError, match=rf"^broken\.pkl: not the authors' Low-to-High state_dict; {message}"):
        load_official_weights(model, broken, "broken.pkl")
    assert all(np.array_equal(b, np.array(w)) for b, w in zip(before, model.weights))


def test_config_and_keras_file_round_trip(tmp_path, model):
    config = model.get_config()
    rebuilt = OfficialLowToHighGenerator.from_config(config)
    assert rebuilt.get_config() == config
    path = tmp_path / "official.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is OfficialLowToHighGenerator
    x = np.random.default_rng(3).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    y = np.asarray(model(x))
    assert y.shape == (2, 64, 64, 3) and np.all(np.abs(y) <= 1)
    np.testing.assert_array_equal(loaded(x), y)


def write_state(path: Path, state: dict) -> Path:
    """Writes arrays as a legacy PyTorch state_dict file, one storage per tensor."""
    return write_legacy(path, collections.OrderedDict((k, tensor(v, k)) for k, v in state.items()))


@pytest.fixture(scope="module")
def published_pkl(tmp_path_factory, state):
    return write_state(tmp_path_factory.mktemp("published") / "model.pkl", state)


def test_cli_writes_a_keras_file_that_reproduces_the_weights(tmp_path, capsys, published_pkl, model):
    out = tmp_path / "models" / "official.keras"
    assert main(["convert-official", str(published_pkl), "-o", str(out)]) == 0
    assert "15,490,403 parameters (15,478,019 used" in capsys.readouterr().out
    assert sorted(p.name for p in out.parent.iterdir()) == ["official.keras"]
    x = np.random.default_rng(4).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(keras.saving.load_model(out)(x), model(x))


def test_cli_failures_write_nothing_and_keep_the_old_file(tmp_path, capsys, state):
    out = tmp_path / "official.keras"
    out.write_bytes(b"previous model")
    nan_state = dict(state)
    nan_state["main.4.bias"] = np.full(3, np.nan, np.float32)
    nan_pkl = write_state(tmp_path / "nan.pkl", nan_state)
    corrupt = tmp_path / "corrupt.pkl"
    corrupt.write_bytes(b"\x80\x02 definitely not weights")
    for source, message in [(nan_pkl, "non-finite outputs"), (corrupt, "not a PyTorch weights file")]:
        assert main(["convert-official", str(source), "-o", str(out)]) == 2
        assert message in capsys.readouterr().err
        assert out.read_bytes() == b"previous model"
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    assert main(["convert-official", str(corrupt), "-o", str(tmp_path / "official.h5")]) == 2
    assert "must be a .keras file" in capsys.readouterr().err


def test_convert_official_reads_the_file_it_is_given(published_pkl, model):
    x = np.random.default_rng(5).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(convert_official(published_pkl)(x), model(x))
