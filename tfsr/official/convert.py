"""Strict mapping of the authors' `model.pkl` state_dict onto `OfficialLowToHighGenerator`.

Every key of the file must find its weight and every weight its key, with the exact shape: a file of
another network (or a damaged one) is refused with the offending keys named, never loaded halfway.
"""

from __future__ import annotations

import os
from typing import Iterator, Mapping

import numpy as np
from keras import layers

from tfsr.errors import ModelError
from tfsr.models.official_low_to_high import OfficialLowToHighGenerator
from tfsr.official.torch_pickle import read_state_dict

INPUT_SHAPE = (None, 16, 16, 3)

# How a PyTorch tensor becomes a Keras weight: (Keras attribute, PyTorch -> Keras axes) per tensor name.
_CONV2D = {"weight": ("kernel", (2, 3, 1, 0)), "bias": ("bias", None)}  # OIHW -> HWIO
_CONV_TRANSPOSE_1X1 = {"weight": ("kernel", (2, 3, 0, 1)), "bias": ("bias", None)}  # (in, out, 1, 1) -> HWIO
_BATCH_NORM = {
    "weight": ("gamma", None),
    "bias": ("beta", None),
    "running_mean": ("moving_mean", None),
    "running_var": ("moving_variance", None),
}
# A counter of training steps that PyTorch >= 0.4.1 stores and nothing here uses; older files lack it.
_OPTIONAL_SUFFIX = ".num_batches_tracked"


def _modules(model: OfficialLowToHighGenerator) -> Iterator[tuple[str, layers.Layer, dict]]:
    """(PyTorch module name, Keras layer, tensor mapping) of every module that has weights."""
    yield "layers_in", model.layers_in, _CONV2D
    for g, group in enumerate(model.layers_set_final):
        for b, block in enumerate(group):
            prefix = f"layers_set_final.{g}.{b}"
            yield f"{prefix}.bn1", block.bn1, _BATCH_NORM
            yield f"{prefix}.conv1", block.conv1, _CONV2D
            yield f"{prefix}.bn2", block.bn2, _BATCH_NORM
            yield f"{prefix}.conv2", block.conv2, _CONV2D
            if block.skip is not None:
                yield f"{prefix}.skip", block.skip, _CONV2D
    for u, stage in enumerate(model.layers_set_final_up):
        yield f"layers_set_final_up.{u}.1", stage[1], _BATCH_NORM
        yield f"layers_set_final_up.{u}.3", stage[3], _CONV_TRANSPOSE_1X1
    yield "a1.0", model.a1[0], _CONV2D
    yield "a2.0", model.a2[0], _CONV2D
    for index in (0, 2, 4):
        yield f"main.{index}", model.main[index], _CONV2D


def _targets(model: OfficialLowToHighGenerator) -> tuple[dict[str, tuple], set[str]]:
    """PyTorch key -> (Keras variable, PyTorch -> Keras axes, expected PyTorch shape); the optional keys."""
    targets, optional = {}, set()
    for module, layer, mapping in _modules(model):
        if mapping is _BATCH_NORM:
            optional.add(f"{module}{_OPTIONAL_SUFFIX}")
        for tensor, (attribute, axes) in mapping.items():
            variable = getattr(layer, attribute, None)
            if variable is None:  # a convolution built without bias
                continue
            keras_shape = tuple(variable.shape)
            torch_shape = keras_shape if axes is None else tuple(keras_shape[axes.index(i)] for i in range(4))
            targets[f"{module}.{tensor}"] = (variable, axes, torch_shape)
    return targets, optional


def _listing(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def load_official_weights(
    model: OfficialLowToHighGenerator, state_dict: Mapping[str, np.ndarray], source: str
) -> None:
    """Copies the authors' state_dict into a built `OfficialLowToHighGenerator`, all or nothing.

    Args:
        model: the network to fill; built here for 16x16 inputs if it is not yet.
        state_dict: PyTorch key -> array, as `read_state_dict` returns it.
        source: the file the state_dict came from, for error messages.

    Raises:
        ModelError: keys missing or unexpected, shapes that differ, or non-numeric tensors; the message
            names them. The model is left untouched then.

    Example:
        >>> model = OfficialLowToHighGenerator()  # doctest: +SKIP
        >>> load_official_weights(model, read_state_dict("model.pkl"), "model.pkl")  # doctest: +SKIP
    """
    if not model.built:
        model.build(INPUT_SHAPE)
    targets, optional = _targets(model)
    missing = [key for key in targets if key not in state_dict]
    unexpected = [key for key in state_dict if key not in targets and key not in optional]
    mismatched = [
        f"{key} {tuple(np.shape(state_dict[key]))} (expected {targets[key][2]})"
        for key in targets
        if key in state_dict and tuple(np.shape(state_dict[key])) != targets[key][2]
    ]
    mismatched += [f"{key} {tuple(np.shape(state_dict[key]))} (expected ())"
                   for key in optional if key in state_dict and np.shape(state_dict[key]) != ()]
    not_numeric = [key for key in targets if key in state_dict and state_dict[key].dtype.kind not in "fiu"]
    problems = [
        f"{label}: {_listing(names)}"
        for label, names in (
            ("missing keys", missing),
            ("unexpected keys", unexpected),
            ("shape mismatches", mismatched),
            ("non-numeric tensors", not_numeric),
        )
        if names
    ]
    if problems:
        raise ModelError(f"{source}: not the authors' Low-to-High state_dict; " + "; ".join(problems))
    for key, (variable, axes, _) in targets.items():
        value = np.asarray(state_dict[key], dtype=np.float32)
        variable.assign(value if axes is None else value.transpose(axes))


def convert_official(path: str | os.PathLike[str]) -> OfficialLowToHighGenerator:
    """Builds `OfficialLowToHighGenerator` with the weights of the authors' `model.pkl`, read safely.

    Args:
        path: the authors' `model.pkl` (legacy or zip PyTorch format).

    Returns:
        The built model, in inference mode by default (BatchNorm uses the file's running statistics).

    Raises:
        ModelError: the file is unreadable, refers to code, or does not hold this network's weights.

    Example:
        >>> model = convert_official("model.pkl")  # doctest: +SKIP
        >>> sr = model(lr_faces)  # (B, 16, 16, 3) in [-1, 1] -> (B, 64, 64, 3)  # doctest: +SKIP
    """
    state_dict = read_state_dict(path)
    model = OfficialLowToHighGenerator()
    load_official_weights(model, state_dict, str(path))
    return model
