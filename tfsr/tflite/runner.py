"""Running an exported Low-to-High `.tflite` file from Python with LiteRT (XNNPACK on the CPU).

Example:
    >>> from tfsr.tflite.runner import TFLiteGenerator
    >>> g = TFLiteGenerator("export/demo_fp32.tflite", num_threads=2)  # doctest: +SKIP
    >>> sr = g(lr)  # lr: float32 [N, 16, 16, 3] in [-1, 1] -> float32 [N, 64, 64, 3] in [-1, 1]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from tfsr.errors import ModelError
from tfsr.tflite.metadata import HR_SIZE, LR_SIZE, TFLITE_IDENTIFIER, read_metadata

# A flatbuffer's file identifier sits after its 4-byte root offset.
_IDENTIFIER_SLICE = slice(4, 8)


class TFLiteGenerator:
    """A `.tflite` Low-to-High generator behind the same call as the Keras one.

    Any batch size works: the interpreter's batch dimension is resized when it changes (the convolutions,
    bilinear resizes and element-wise ops of the generator do not depend on it). int8 inputs and outputs
    are quantised and dequantised here, so callers always see float32 in [-1, 1].

    Args:
        path: the `.tflite` file.
        num_threads: CPU threads of the interpreter (XNNPACK).

    Attributes:
        path: the file.
        metadata: its `tfsr` metadata (embedded or sidecar), or None for a foreign file.
        format: `fp32`, `fp16`, `dynamic` or `int8` (from the metadata, `unknown` without it).
        batch_size: the batch the file was exported for.

    Raises:
        ModelError: the file is missing, not a TFLite model, or does not map (B, 16, 16, 3) to
            (B, 64, 64, 3).

    Example:
        >>> g = TFLiteGenerator("export/demo_int8.tflite")  # doctest: +SKIP
        >>> g(np.zeros((3, 16, 16, 3), np.float32)).shape  # doctest: +SKIP
        (3, 64, 64, 3)
    """

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 2) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such .tflite file")
        content = self.path.read_bytes()
        if len(content) < 8 or content[_IDENTIFIER_SLICE] != TFLITE_IDENTIFIER:
            raise ModelError(f"{self.path}: not a TFLite model (no TFL3 flatbuffer identifier)")
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_content=content, num_threads=int(num_threads))
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"{self.path}: corrupt or unsupported TFLite model ({' '.join(str(err).split())})") from None
        try:
            self.metadata = read_metadata(self.path, content)
        except Exception:  # noqa: BLE001 - a damaged metadata buffer must not hide a working model
            self.metadata = None
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(
                f"{self.path}: expected one input and one output, got {len(inputs)} and {len(outputs)}"
            )
        self._input, self._output = inputs[0], outputs[0]
        in_shape, out_shape = tuple(self._input["shape"]), tuple(self._output["shape"])
        if len(in_shape) != 4 or in_shape[1:] != (LR_SIZE, LR_SIZE, 3):
            raise ModelError(f"{self.path}: input shape {in_shape} is not (B, {LR_SIZE}, {LR_SIZE}, 3)")
        if len(out_shape) != 4 or out_shape[1:] != (HR_SIZE, HR_SIZE, 3):
            raise ModelError(f"{self.path}: output shape {out_shape} is not (B, {HR_SIZE}, {HR_SIZE}, 3)")
        for role, detail in (("input", self._input), ("output", self._output)):
            if detail["dtype"] not in (np.float32, np.int8, np.uint8):
                raise ModelError(f"{self.path}: {role} dtype {np.dtype(detail['dtype']).name} is not float32 or int8")
        self.batch_size = int(in_shape[0])
        self.format = str((self.metadata or {}).get("format", "unknown"))
        self._current_batch = self.batch_size

    @property
    def input_dtype(self) -> np.dtype:
        """dtype of the file's input tensor (float32, or int8 for an int8-I/O model)."""
        return np.dtype(self._input["dtype"])

    @property
    def io_quantization(self) -> dict[str, dict[str, float]]:
        """`{"input" | "output": {"scale", "zero_point"}}` of the int8 tensors; empty for float I/O."""
        return {
            role: {"scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])}
            for role, d in (("input", self._input), ("output", self._output))
            if np.dtype(d["dtype"]) != np.float32
        }

    def _resize(self, batch: int) -> None:
        if batch == self._current_batch:
            return
        self._interpreter.resize_tensor_input(self._input["index"], [batch, LR_SIZE, LR_SIZE, 3], strict=False)
        self._interpreter.allocate_tensors()
        self._current_batch = batch

    def _quantise(self, x: np.ndarray) -> np.ndarray:
        dtype = self.input_dtype
        if dtype == np.float32:
            return x
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(dtype)

    def _dequantise(self, y: np.ndarray) -> np.ndarray:
        if y.dtype == np.float32:
            return y
        scale, zero_point = self._output["quantization"]
        return ((y.astype(np.float32) - zero_point) * scale).astype(np.float32)

    def __call__(self, batch: Any) -> np.ndarray:
        """Super-resolves `batch`: float32 `[N, 16, 16, 3]` in [-1, 1] -> float32 `[N, 64, 64, 3]`.

        Raises:
            ValueError: `batch` is not `[N, 16, 16, 3]` with N >= 1.
        """
        x = np.asarray(batch, dtype=np.float32)
        if x.ndim != 4 or x.shape[1:] != (LR_SIZE, LR_SIZE, 3) or x.shape[0] < 1:
            raise ValueError(f"expected a batch of shape (N, {LR_SIZE}, {LR_SIZE}, 3), got {x.shape}")
        self._resize(x.shape[0])
        self._interpreter.set_tensor(self._input["index"], np.ascontiguousarray(self._quantise(x)))
        self._interpreter.invoke()
        # Copied: the interpreter reuses its output buffer on the next call.
        return self._dequantise(np.array(self._interpreter.get_tensor(self._output["index"])))

    def __repr__(self) -> str:
        return f"TFLiteGenerator({str(self.path)!r}, format={self.format!r}, batch_size={self.batch_size})"
