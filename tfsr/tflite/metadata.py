"""What travels with each `.tflite` file: tensor layout, normalisation, format and the model it came from.

The same JSON document is stored twice: inside the flatbuffer (a `Model.metadata` entry named `tfsr`, so it
cannot get separated from the weights) and beside it as `<file>.tflite.json` (for people and for the Android
app's asset loader). `read_metadata` prefers the embedded copy.

Example:
    >>> meta = build_metadata(fmt="fp32", batch_size=1, source={"model": "runs/demo"})
    >>> meta["input"]["range"], meta["output"]["shape"]
    ([-1.0, 1.0], [1, 64, 64, 3])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from tfsr import __version__
from tfsr.errors import ModelError
from tfsr.faces.framing import INPUT_SIDE, OUTPUT_SIDE

METADATA_NAME = "tfsr"
SIDECAR_SUFFIX = ".json"
SCHEMA_VERSION = 1
#: The file's input and output sides: the generator's, under the names the export code has always used.
LR_SIZE = INPUT_SIDE
HR_SIZE = OUTPUT_SIDE
TFLITE_IDENTIFIER = b"TFL3"
#: The export formats, in the order `tfsr export` writes them; the config's `export.formats` is typed by it.
ExportFormat = Literal["fp32", "fp16", "dynamic", "int8"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)


def _image(shape: list[int], dtype: str, quantization: dict[str, float] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "shape": shape,
        "layout": "NHWC",
        "colour": "RGB",
        "range": [-1.0, 1.0],
        "dtype": dtype,
    }
    if quantization is not None:
        # real = scale * (q - zero_point); the runner applies this on both sides.
        spec["quantization"] = quantization
    return spec


def build_metadata(
    fmt: str,
    batch_size: int,
    source: dict[str, Any],
    io_dtype: str = "float32",
    input_quantization: dict[str, float] | None = None,
    output_quantization: dict[str, float] | None = None,
    float_ops: list[str] | None = None,
) -> dict[str, Any]:
    """The metadata document of one exported file.

    Args:
        fmt: one of `FORMATS`.
        batch_size: the fixed batch of the file's signature.
        source: where the weights came from (model path, variant, run config).
        io_dtype: dtype of the input and output tensors (`float32` or `int8`).
        input_quantization: `{"scale", "zero_point"}` of an int8 input.
        output_quantization: the same for an int8 output.
        float_ops: operator types an int8 file keeps in float (recorded only when there are some).

    Returns:
        A JSON-able dict.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "producer": f"tfsr {__version__}",
        "task": "face super-resolution x4 (Low-to-High generator)",
        "format": fmt,
        "batch_size": int(batch_size),
        "input": _image([int(batch_size), LR_SIZE, LR_SIZE, 3], io_dtype, input_quantization),
        "output": _image([int(batch_size), HR_SIZE, HR_SIZE, 3], io_dtype, output_quantization),
        "source": source,
        **({"int8_float_ops": list(float_ops)} if float_ops else {}),
    }


def embed_metadata(tflite: bytes, metadata: dict[str, Any]) -> bytes:
    """Returns the flatbuffer `tflite` with `metadata` stored as its `tfsr` metadata entry (replacing any)."""
    from ai_edge_litert import schema_py_generated as schema
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(metadata, sort_keys=True).encode(), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    kept = [m for m in (model.metadata or []) if _name(m.name) != METADATA_NAME]
    model.metadata = [*kept, entry]
    builder = flatbuffers.Builder(len(tflite) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_IDENTIFIER)
    return bytes(builder.Output())


def _name(raw: bytes | str | None) -> str:
    return raw.decode() if isinstance(raw, bytes) else (raw or "")


def embedded_metadata(tflite: bytes | bytearray) -> dict[str, Any] | None:
    """The `tfsr` metadata stored in a flatbuffer, or None when it has none."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(tflite, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if _name(entry.Name()) == METADATA_NAME:
            data = model.Buffers(entry.Buffer()).DataAsNumpy()
            try:
                return json.loads(bytes(data).decode())
            except (UnicodeDecodeError, json.JSONDecodeError, TypeError):
                return None
    return None


def sidecar_path(tflite_path: str | Path) -> Path:
    """`<file>.tflite.json` beside a `.tflite` file."""
    path = Path(tflite_path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def write_sidecar(tflite_path: str | Path, metadata: dict[str, Any]) -> Path:
    """Writes the metadata JSON beside a `.tflite` file; returns its path."""
    path = sidecar_path(tflite_path)
    path.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return path


def read_metadata(tflite_path: str | Path, tflite: bytes | bytearray | None = None) -> dict[str, Any] | None:
    """The metadata of a `.tflite` file: the embedded copy, else the sidecar, else None.

    Raises:
        ModelError: a sidecar exists but is not valid JSON.
    """
    if tflite is not None:
        meta = embedded_metadata(tflite)
        if meta is not None:
            return meta
    sidecar = sidecar_path(tflite_path)
    if not sidecar.is_file():
        return None
    try:
        return json.loads(sidecar.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"{sidecar}: unreadable metadata ({err})") from None
