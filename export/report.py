"""The export report: one row per `.tflite` file, written as `report.json` and `report.md`.

Example:
    >>> rows = [{"file": "m_fp32.tflite", "format": "fp32", "batch_size": 1, "bytes": 1000, "gpu_ok": True,
    ...          "gpu_problems": [], "ops": {"CONV_2D": 3}, "parity_ok": True, "max_abs": 0.0, "mean_abs": 0.0,
    ...          "psnr": 99.0, "ssim": 1.0}]
    >>> "m_fp32.tflite" in markdown({"model": "m", "faces": 4, "rows": rows, "notes": []})
    True
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tfsr.export.parity import QUALITY_FLOOR_DB, TOLERANCES


def quality_notes(rows: list[dict[str, Any]]) -> list[str]:
    """Sentences for the formats whose PSNR against the float output falls below `QUALITY_FLOOR_DB`."""
    notes = []
    for row in rows:
        if row.get("float_ops"):
            notes.append(f"{row['file']}: int8 with {', '.join(row['float_ops'])} kept in float.")
        if row["psnr"] is not None and row["psnr"] < QUALITY_FLOOR_DB:
            notes.append(
                f"{row['file']}: {row['format']} loses visible quality: PSNR {row['psnr']:.2f} dB and SSIM "
                f"{row['ssim']:.4f} against the Keras float output (below the {QUALITY_FLOOR_DB:.0f} dB floor)."
            )
    return notes


def _number(value: float | None, digits: int) -> str:
    # None stands for identical outputs (infinite PSNR), which JSON cannot hold.
    return "inf" if value is None or math.isinf(value) else f"{value:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    """The report as a markdown document."""
    lines = [
        f"# TFLite export of `{report['model']}`",
        "",
        f"Quality: outputs of each file against the Keras float output on {report['faces']} held-out real "
        "low-resolution faces (values in [-1, 1]; PSNR with peak-to-peak 2). Parity tolerance per format: "
        + ", ".join(f"{f} max {t.max_abs:g} / mean {t.mean_abs:g}" for f, t in TOLERANCES.items())
        + ".",
        "",
        "| file | format | batch | MB | GPU ops | parity | max abs | mean abs | PSNR dB | SSIM |",
        "|---|---|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        gpu = "ok" if r["gpu_ok"] else "FAIL: " + "; ".join(r["gpu_problems"])
        lines.append(
            f"| {r['file']} | {r['format']} | {r['batch_size']} | {r['bytes'] / 1e6:.2f} | {gpu} | "
            f"{'ok' if r['parity_ok'] else 'FAIL'} | {r['max_abs']:.2e} | {r['mean_abs']:.2e} | "
            f"{_number(r['psnr'], 2)} | {r['ssim']:.4f} |"
        )
    lines += ["", "Operators: " + ", ".join(f"{k} x{v}" for k, v in report["rows"][0]["ops"].items())]
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], directory: str | Path) -> list[Path]:
    """Writes `report.json` and `report.md` into `directory`; returns their paths."""
    directory = Path(directory)
    as_json = directory / "report.json"
    as_md = directory / "report.md"
    as_json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    as_md.write_text(markdown(report))
    return [as_json, as_md]
