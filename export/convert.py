"""Keras Low-to-High generator -> `.tflite` bytes, one format at a time, builtin operators only.

The generator is first written as a SavedModel whose one signature has a fixed input shape
`(batch, 16, 16, 3)` (GPU delegates want static shapes), then converted by `tf.lite.TFLiteConverter`
from that SavedModel. Two routes are avoided on purpose: `from_concrete_functions([fn], model)`
silently produces NaN here, and Keras' own LiteRT export allows Flex ops, which the GPU delegate rejects.

Formats:
    fp32: float32 everywhere (the reference; XNNPACK on CPUs).
    fp16: float16 weights, float32 compute on the CPU; the GPU delegate computes in float16 (its target).
    dynamic: int8 weights, activations quantised on the fly (CPU-friendly, no calibration).
    int8: full integer, calibrated on representative faces; float or int8 input/output; optionally with
        some operator types kept in float (`float_ops`).

Example:
    >>> saved = write_saved_model(generator, batch_size=1, directory="/tmp/sm")  # doctest: +SKIP
    >>> tflite = convert_saved_model(saved, "int8", representative=faces)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from tfsr.errors import ConfigError, DataError
from tfsr.tflite.metadata import FORMATS, LR_SIZE

SIGNATURE = "serving_default"
INPUT_NAME = "lr_faces"


def check_formats(formats: Sequence[str], where: str = "--formats") -> list[str]:
    """The requested formats in canonical order, without repeats.

    Raises:
        ConfigError: a name is not one of `FORMATS`, or none is given.
    """
    names = [f.strip() for f in formats if f.strip()]
    unknown = [f for f in names if f not in FORMATS]
    if unknown:
        raise ConfigError(f"{where}: unknown format(s) {', '.join(unknown)} (known: {', '.join(FORMATS)})")
    if not names:
        raise ConfigError(f"{where}: no format given (known: {', '.join(FORMATS)})")
    return [f for f in FORMATS if f in names]


def write_saved_model(model: object, batch_size: int, directory: str | Path) -> Path:
    """Writes `model` in inference mode as a SavedModel with one `(batch_size, 16, 16, 3)` float32 signature."""
    import keras
    import tensorflow as tf

    directory = Path(directory)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        SIGNATURE,
        lambda faces: model(faces, training=False),
        input_signature=[tf.TensorSpec((batch_size, LR_SIZE, LR_SIZE, 3), tf.float32, name=INPUT_NAME)],
    )
    archive.write_out(str(directory), verbose=False)
    return directory


def _batches(faces: np.ndarray, batch_size: int) -> Iterator[list[np.ndarray]]:
    # The calibrator feeds the signature as it is: every sample must have the fixed batch size.
    for start in range(0, len(faces) - batch_size + 1, batch_size):
        yield [faces[start : start + batch_size].astype(np.float32)]


def convert_saved_model(
    saved_model: str | Path,
    fmt: str,
    representative: np.ndarray | None = None,
    int8_io: bool = False,
    batch_size: int = 1,
    float_ops: Sequence[str] = (),
) -> bytes:
    """Converts a SavedModel written by `write_saved_model` to one `.tflite` format.

    Args:
        saved_model: the SavedModel directory.
        fmt: one of `FORMATS`.
        representative: float32 `[N, 16, 16, 3]` faces in [-1, 1] that calibrate `int8` (N >= batch_size).
        int8_io: for `int8`, make the input and output tensors int8 too (float32 otherwise).
        batch_size: the signature's batch (how the faces are grouped for calibration).
        float_ops: for `int8`, TFLite operator types (`ADD`, `MUL`, ...) left in float between QUANTIZE and
            DEQUANTIZE operators.

    Returns:
        The flatbuffer.

    Raises:
        ConfigError: unknown format, or a `float_ops` type that the model does not contain.
        DataError: `int8` without enough representative faces.
    """
    import tensorflow as tf

    (fmt,) = check_formats([fmt], where="format")
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=[SIGNATURE])
    # Builtin operators only: a Flex (SELECT_TF_OPS) fallback would make the file unusable on the GPU.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if fmt != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if fmt == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    elif fmt == "int8":
        if representative is None or len(representative) < batch_size:
            got = 0 if representative is None else len(representative)
            raise DataError(f"int8 calibration needs at least {batch_size} representative face(s), got {got}")
        faces = np.asarray(representative, dtype=np.float32)
        converter.representative_dataset = lambda: _batches(faces, batch_size)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if float_ops:
            return _int8_with_float_ops(converter, faces, batch_size, [op.upper() for op in float_ops], int8_io)
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    with _quiet_converter():
        return bytes(converter.convert())


def _int8_with_float_ops(
    converter: object, faces: np.ndarray, batch_size: int, float_ops: list[str], int8_io: bool
) -> bytes:
    """Calibrates, then quantises every operator except those of the `float_ops` types.

    TensorFlow's QuantizationDebugger is the public route to the quantiser's operator deny-list; it also
    runs its (discarded) per-layer statistics on a couple of faces.
    """
    import tensorflow as tf

    from tfsr.export.gpu_ops import op_counts

    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=float_ops, fully_quantize=int8_io)
    with _quiet_converter(), warnings.catch_warnings():
        # The debugger runs its statistics on tf.lite.Interpreter, whose deprecation warning is not ours.
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated", category=UserWarning)
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: _batches(faces[: 2 * batch_size], batch_size), debug_options=options
        )
        tflite = bytes(debugger.get_nondebug_quantized_model())
    ops = op_counts(tflite)
    missing = [op for op in float_ops if op not in ops]
    if missing:
        raise ConfigError(
            f"export.int8_float_ops: {', '.join(missing)} not in this model (its operators: {', '.join(sorted(ops))})"
        )
    return tflite


@contextlib.contextmanager
def _quiet_converter() -> Iterator[None]:
    """Sends what the converter's C++ code writes to stderr (dozens of INFO lines per file, which ignore
    TF_CPP_MIN_LOG_LEVEL) to a temporary file, and shows it only when the conversion fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
