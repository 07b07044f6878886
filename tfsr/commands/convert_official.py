"""Convert the authors' released Low-to-High weights (model.pkl) into a Keras .keras model.

The PyTorch file is read without running any code from it (only tensors are admitted). The converted
model is checked (finite outputs, identical after a save/load round trip) before the .keras file appears
at its final path, so a failure never leaves a half-written model behind. `tfsr export` and `tfsr enhance`
take the result like any Low-to-High generator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tfsr.atomic import replacing
from tfsr.errors import ModelError

# A fixed probe: the check must not depend on a seed the user could change.
_PROBE_SHAPE = (2, 16, 16, 3)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model_pkl", type=Path, help="the authors' model.pkl (a PyTorch state_dict, legacy or zip format)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .keras file to write")


def _check_and_save(model, output: Path) -> None:
    import keras

    probe = np.random.default_rng(0).uniform(-1.0, 1.0, _PROBE_SHAPE).astype(np.float32)
    expected = np.asarray(model(probe, training=False))
    if not np.all(np.isfinite(expected)):
        raise ModelError(f"{output}: the converted weights give non-finite outputs; the weights file is damaged")
    with replacing(output) as temporary:
        model.save(temporary)
        reloaded = np.asarray(keras.saving.load_model(temporary)(probe, training=False))
        if not np.array_equal(reloaded, expected):
            raise ModelError(f"{output}: the saved model does not reproduce the converted one; nothing was written")


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    if output.suffix != ".keras":
        raise ModelError(f"{output}: the output must be a .keras file")
    from tfsr.official.convert import convert_official

    model = convert_official(args.model_pkl)
    _check_and_save(model, output)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    unused = model.a2[0].count_params()
    statistics = model.count_params() - trainable
    print(
        f"{output}: {type(model).__name__}, {trainable:,} parameters ({trainable - unused:,} used by the forward "
        f"pass, {unused:,} in the unused a2 kept from the file) plus {statistics:,} BatchNorm statistics"
    )
    return 0
