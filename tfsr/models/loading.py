"""Loading a trained generator from a run directory or a `.keras` file, checking that it is the right kind."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import keras

from tfsr.errors import ModelError

GeneratorKind = Literal["high_to_low", "low_to_high"]

# Where a training run keeps its generators: RUN_DIR/models/<kind>[_ema].keras
MODELS_SUBDIR = "models"


def generator_path(run_dir: str | Path, kind: GeneratorKind, ema: bool = True) -> Path:
    """The `.keras` file of one generator inside a run directory (live weights, or their moving average)."""
    return Path(run_dir) / MODELS_SUBDIR / f"{kind}{'_ema' if ema else ''}.keras"


def _is_kind(model: keras.Model, kind: GeneratorKind) -> bool:
    from tfsr.models.high_to_low import HighToLowGenerator

    if kind == "high_to_low":
        return isinstance(model, HighToLowGenerator)
    if isinstance(model, HighToLowGenerator):
        return False
    # A Low-to-High generator of any variant maps (B, h, w, 3) to (B, 4h, 4w, 3).
    try:
        out = model.compute_output_shape((1, 16, 16, 3))
    except Exception:  # noqa: BLE001 - any failure means it is not an image-to-image network of ours
        return False
    return tuple(out) == (1, 64, 64, 3)


def load_generator(path: str | Path, kind: GeneratorKind, ema: bool = True) -> keras.Model:
    """Loads a generator of the given kind.

    Args:
        path: a training run directory (its `models/<kind>[_ema].keras` is used) or a `.keras` file.
        kind: `high_to_low` or `low_to_high`.
        ema: from a run directory, take the exponential moving average of the weights (the default for
            everything downstream of training) rather than the live weights.

    Returns:
        The Keras model, built.

    Raises:
        ModelError: the path is missing, not a loadable `.keras` file, or holds another kind of network.

    Example:
        >>> g = load_generator("runs/demo_low_to_high", "low_to_high")  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        file = generator_path(path, kind, ema)
        if not file.is_file():
            fallback = generator_path(path, kind, not ema)
            if not fallback.is_file():
                raise ModelError(f"{path}: this run has no {kind} generator (looked for {file.name} in {file.parent})")
            file = fallback
    elif path.is_file():
        file = path
    else:
        raise ModelError(f"{path}: no such model file or run directory")
    if file.suffix != ".keras":
        raise ModelError(f"{file}: expected a .keras model file")
    try:
        import tfsr  # noqa: F401  (registers the custom layers the file refers to)

        model = keras.saving.load_model(file, compile=False)
    except Exception as err:  # noqa: BLE001 - corrupt zips, unknown classes and bad configs all land here
        raise ModelError(f"{file}: cannot load the model ({type(err).__name__}: {err})") from None
    if not _is_kind(model, kind):
        raise ModelError(f"{file}: holds a {type(model).__name__}, not a {kind.replace('_', '-')} generator")
    return model
