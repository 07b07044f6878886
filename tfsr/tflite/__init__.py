"""The `.tflite` file as the library reads it: its `tfsr` metadata and a LiteRT runner.

`tfsr export` (the deployment stage, top-level `export/`, installed as `tfsr.export`) *writes* these
files; `tfsr enhance` and `tfsr evaluate` only *read and run* them. What reading needs lives here, below
`enhance` and `evaluation`, so that the library never imports the stage above it: the stage imports this
package, never the other way round.

- `metadata`: the metadata schema (`FORMATS`, tensor layout), building, embedding and reading it.
- `runner`: `TFLiteGenerator`, a `.tflite` Low-to-High generator behind the Keras generator's call.

Example:
    >>> from tfsr.tflite import FORMATS
    >>> FORMATS
    ('fp32', 'fp16', 'dynamic', 'int8')
"""

from __future__ import annotations

from tfsr.tflite.metadata import FORMATS, ExportFormat, read_metadata
from tfsr.tflite.runner import TFLiteGenerator

__all__ = ["FORMATS", "ExportFormat", "TFLiteGenerator", "read_metadata"]
