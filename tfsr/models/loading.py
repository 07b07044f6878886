"""Loading a trained generator from a run directory, a `.keras` file or (Low-to-High) a `.tflite` file.

`load_low_to_high` is the one way to open "any Low-to-High generator a user can name": `tfsr enhance`
(`tfsr.enhance.backends.load_super_resolver`) and `tfsr evaluate` (`tfsr.evaluation.generators.LowToHigh`)
both go through it, so they accept the same paths and fail with the same messages.
"""

from __future__ import annotations

from pathlib import Path

import keras

from tfsr.errors import ModelError
from tfsr.models.high_to_low import HighToLowGenerator
from tfsr.faces.framing import INPUT_SIDE, OUTPUT_SIDE
from tfsr.runs import GeneratorKind, RunDir
from tfsr.tflite.runner import TFLiteGenerator


def generator_path(run_dir: str | Path, kind: GeneratorKind, ema: bool = True) -> Path:
    """The `.keras` file of one generator inside a run directory (live weights, or their moving average)."""
    return RunDir(Path(run_dir)).model_file(kind, ema)


def _is_kind(model: keras.Model, kind: GeneratorKind) -> bool:
    if kind == "high_to_low":
        return isinstance(model, HighToLowGenerator)
    if isinstance(model, HighToLowGenerator):
        return False
    # A Low-to-High generator of any variant maps (B, h, w, 3) to (B, 4h, 4w, 3).
    try:
        out = model.compute_output_shape((1, INPUT_SIDE, INPUT_SIDE, 3))
    except Exception:  # noqa: BLE001 - any failure means it is not an image-to-image network of ours
        return False
    return tuple(out) == (1, OUTPUT_SIDE, OUTPUT_SIDE, 3)


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
        # The custom layers the file names are registered: importing this module imported `tfsr` first.
        model = keras.saving.load_model(file, compile=False)
    except Exception as err:  # noqa: BLE001 - corrupt zips, unknown classes and bad configs all land here
        hint = ""
        if "could not be loaded" in str(err) and "variables" in str(err):
            # Keras' own words for weights that no longer fit the layers: the file is whole, the layers changed.
            hint = (" - its weights do not fit this version's layers: it was probably saved by another tfsr "
                    "version (retrain it, or load it with the version that wrote it)")
        said = " ".join(str(err).split())  # Keras' message spans lines; ours is one
        raise ModelError(f"{file}: cannot load the model{hint} ({type(err).__name__}: {said})") from None
    if not _is_kind(model, kind):
        raise ModelError(f"{file}: holds a {type(model).__name__}, not a {kind.replace('_', '-')} generator")
    return model


def load_low_to_high(
    path: str | Path, ema: bool = True, num_threads: int = 2
) -> keras.Model | TFLiteGenerator:
    """A Low-to-High generator from a `.tflite` file (LiteRT), a `.keras` file or a training run directory.

    Args:
        path: the file or run directory (`~` is expanded).
        ema: from a run directory, the moving average of the weights (the default downstream of training).
        num_threads: CPU threads of a `.tflite` file's interpreter.

    Returns:
        The Keras model, or a `TFLiteGenerator` for a `.tflite` file; both map `(N, 16, 16, 3)` in [-1, 1]
        to `(N, 64, 64, 3)`.

    Raises:
        ModelError: the path is missing, unreadable, or holds another kind of network.

    Example:
        >>> g = load_low_to_high("export/demo_int8.tflite")  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    if path.suffix.lower() == ".tflite":
        return TFLiteGenerator(path, num_threads=num_threads)
    return load_generator(path, "low_to_high", ema=ema)
