"""The whole export: load the generator, convert every format at batch 1 and batch N, gate, measure, report.

Files land in OUT_DIR only at the end, after every gate has passed: everything is built in a temporary
folder beside OUT_DIR and then moved into place, so a failure (a bad model, an empty representative set,
an operator the GPU delegate refuses, a parity miss) leaves OUT_DIR as it was.

Layout of OUT_DIR for a model `demo`:
    demo_fp32.tflite        (1, 16, 16, 3) -> (1, 64, 64, 3); one file per format, as the phone loads it
    demo_fp32_b8.tflite     (8, 16, 16, 3) -> (8, 64, 64, 3); the batched signature (export.batch_size)
    demo_fp32.tflite.json   metadata sidecar (also embedded in the file)
    report.md, report.json  GPU-op gate, parity and quality per file

Example:
    >>> result = export_generator("runs/demo_stage2", "exported/")  # doctest: +SKIP
    >>> [p.name for p in result.files][:2]  # doctest: +SKIP
    ['demo_stage2_fp32.tflite', 'demo_stage2_fp32.tflite.json']
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tfsr.config import ExportConfig
from tfsr.errors import ModelError
from tfsr.export.convert import check_formats, convert_saved_model, write_saved_model
from tfsr.export.gpu_ops import gpu_problems, op_counts
from tfsr.export.parity import compare, within
from tfsr.export.quantize import representative_faces
from tfsr.export.report import quality_notes, write_report
from tfsr.runs import RunDir
from tfsr.tflite.metadata import build_metadata, embed_metadata, write_sidecar
from tfsr.tflite.runner import TFLiteGenerator


@dataclass
class ExportResult:
    """What an export wrote.

    Args:
        out_dir: the output folder.
        files: every file written there (models, sidecars, reports).
        report: the report's data (as in `report.json`).
    """

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def file_name(model_name: str, fmt: str, batch_size: int = 1) -> str:
    """`<model>_<format>.tflite`, or `<model>_<format>_b<N>.tflite` for the batched signature."""
    return f"{model_name}_{fmt}{'' if batch_size == 1 else f'_b{batch_size}'}.tflite"


def _run_config(path: Path) -> dict[str, Any] | None:
    return RunDir(path).stored_config() if path.is_dir() else None


def _source(path: Path, model: Any, run_config: dict[str, Any] | None) -> dict[str, Any]:
    from tfsr.models import OfficialLowToHighGenerator

    return {
        "model": str(path.resolve()),
        "class": type(model).__name__,
        "variant": "official" if isinstance(model, OfficialLowToHighGenerator) else "paper",
        "weights": "ema" if path.is_dir() else "file",
        "run_config": run_config,
    }


def _run_native(runner: TFLiteGenerator, faces: np.ndarray) -> np.ndarray:
    """Runs `faces` through a file in chunks of its own batch size (padding the last), as a phone would."""
    n = runner.batch_size
    padded = np.concatenate([faces, np.repeat(faces[-1:], (-len(faces)) % n, axis=0)])
    return np.concatenate([runner(padded[i : i + n]) for i in range(0, len(padded), n)])[: len(faces)]


def export_generator(
    model_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] | None = None,
    config: ExportConfig | None = None,
    lr_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    progress: Any = None,
) -> ExportResult:
    """Exports a Low-to-High generator to `.tflite` files with metadata, gates and a report.

    Args:
        model_path: a training run directory (its EMA Low-to-High generator) or a `.keras` file.
        out_dir: where the files go (created if needed).
        formats: formats to write (default: `config.formats`).
        config: the export settings (batch size, calibration size, int8 I/O); defaults if None, or the run
            directory's own `export` section when it has one.
        lr_dir: a folder of real low-resolution face crops to calibrate int8 (default: the demo set).
        name: file-name stem (default: the run directory's name or the `.keras` file's stem).
        progress: a callable taking one line of text, for progress messages.

    Returns:
        What was written.

    Raises:
        ConfigError: an unknown format.
        DataError: an empty or unreadable representative set.
        ModelError: a missing/corrupt model or one that is not a Low-to-High generator; or a converted file
            that fails the GPU-operator gate or its parity tolerance (nothing is written then).
    """
    from tfsr.models import load_generator

    say = progress or (lambda _line: None)
    path = Path(model_path)
    run_config = _run_config(path)
    if config is None:
        config = _config_from_run(run_config)
    fmts = check_formats(list(formats) if formats is not None else list(config.formats))
    model = load_generator(path, "low_to_high", ema=True)
    name = name or (path.name if path.is_dir() else path.stem)
    source = _source(path, model, run_config)

    calibration = (
        representative_faces(config.representative_size, lr_dir, split="train") if "int8" in fmts else None
    )
    held_out = representative_faces(None, None, split="test")
    reference = np.asarray(model.predict(held_out, batch_size=8, verbose=0))
    batch_sizes = sorted({1, int(config.batch_size)})

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-export-", dir=out_dir.parent))
    try:
        rows, written = [], []
        for batch in batch_sizes:
            say(f"writing the SavedModel for batch {batch}")
            saved = write_saved_model(model, batch, work / f"saved_model_b{batch}")
            for fmt in fmts:
                fname = file_name(name, fmt, batch)
                say(f"converting {fname}")
                float_ops = [op.upper() for op in config.int8_float_ops] if fmt == "int8" else []
                tflite = convert_saved_model(saved, fmt, calibration, config.int8_io, batch, float_ops)
                rows.append(_check(work, fname, fmt, batch, tflite, source, held_out, reference, float_ops))
                written += [work / fname, work / (fname + ".json")]
            shutil.rmtree(saved)
        failures = [f"{r['file']}: {'; '.join(r['gpu_problems'])}" for r in rows if not r["gpu_ok"]]
        failures += [
            f"{r['file']}: outside the {r['format']} parity tolerance (max abs {r['max_abs']:.3g}, "
            f"mean abs {r['mean_abs']:.3g})"
            for r in rows
            if not r["parity_ok"]
        ]
        if failures:
            raise ModelError(f"{path}: export refused, nothing written to {out_dir}: " + " | ".join(failures))
        report = {"model": name, "source": source, "faces": len(held_out), "rows": rows, "notes": quality_notes(rows)}
        written += write_report(report, work)
        out_dir.mkdir(parents=True, exist_ok=True)
        final = []
        for file in written:
            os.replace(file, out_dir / file.name)
            final.append(out_dir / file.name)
        return ExportResult(out_dir, final, report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _config_from_run(run_config: dict[str, Any] | None) -> ExportConfig:
    from tfsr.config import config_from_dict

    if not run_config or not isinstance(run_config.get("export"), dict):
        return ExportConfig()
    return config_from_dict({"export": run_config["export"]}, f"{RunDir.CONFIG_NAME} (export section)").export


def _check(
    work: Path,
    fname: str,
    fmt: str,
    batch: int,
    tflite: bytes,
    source: dict[str, Any],
    held_out: np.ndarray,
    reference: np.ndarray,
    float_ops: list[str],
) -> dict[str, Any]:
    """Writes one file with its metadata, then gates and measures it; returns its report row."""
    file = work / fname
    file.write_bytes(tflite)
    probe = TFLiteGenerator(file)
    quant = probe.io_quantization
    meta = build_metadata(
        fmt,
        batch,
        source,
        io_dtype=probe.input_dtype.name,
        input_quantization=quant.get("input"),
        output_quantization=quant.get("output"),
        float_ops=float_ops,
    )
    tflite = embed_metadata(tflite, meta)
    file.write_bytes(tflite)
    write_sidecar(file, meta)
    stats = compare(reference, _run_native(TFLiteGenerator(file, num_threads=2), held_out))
    problems = gpu_problems(tflite)
    return {
        "file": fname,
        "format": fmt,
        "batch_size": batch,
        "float_ops": float_ops,
        "bytes": len(tflite),
        "ops": op_counts(tflite),
        "gpu_ok": not problems,
        "gpu_problems": problems,
        "parity_ok": within(fmt, stats),
        "max_abs": stats["max_abs"],
        "mean_abs": stats["mean_abs"],
        "psnr": None if math.isinf(stats["psnr"]) else stats["psnr"],
        "ssim": stats["ssim"],
    }
