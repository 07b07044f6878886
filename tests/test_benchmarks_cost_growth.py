"""benchmarks/cost_growth.py, run for real at its smallest sizes: every table has its rows, every number is positive.

One run of the script (about a minute on 2 busy cores: each case is a fresh process that imports TensorFlow),
with a tiny generator and 24 photos; the official network and the full sizes are what `--quick` drops.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cost_growth.py"


def _rows(output: str) -> dict[str, list[str]]:
    """Table rows by their first cells (`tflite int8 1`, `640x480 whole`, `crop cache hit 24`)."""
    rows = {}
    for line in output.splitlines():
        if not line.startswith("| ") or line.startswith(("| engine", "| picture", "| step")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[f"{cells[0]} {cells[1]}"] = cells
    return rows


def _positive(cells: list[str], columns: list[int]) -> None:
    for k in columns:
        assert float(cells[k].replace(",", "")) > 0, (k, cells)


def test_quick_run_prints_every_table_with_positive_costs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--network", "tiny", "--engines", "tflite int8", "--images", "24",
         "--shipped-images", "0", "--seconds", "0.1", "--rounds", "1", "--cache", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(done.stdout)
    assert set(rows) == {"tflite int8 1", "640x480 whole", "prepare, OMP_NUM_THREADS=1 24", "crop cache build 24",
                         "crop cache hit 24"}, done.stdout

    inference = rows["tflite int8 1"]
    _positive(inference, [2, 3, 5, 8])  # wall and CPU ms/face, peak RSS, child CPU s
    assert inference[4] == inference[7] == "-" and inference[6] == "0"  # one batch: nothing to compare with

    enhance = rows["640x480 whole"]
    assert enhance[2] == "1 (1)"  # the detector found the one face pasted in
    _positive(enhance, [3, 4, 12, 13])  # wall and CPU s, peak and after-load RSS
    assert float(enhance[12]) >= float(enhance[13])

    for step in ("prepare, OMP_NUM_THREADS=1 24", "crop cache build 24", "crop cache hit 24"):
        _positive(rows[step], [6, 7, 10, 11])  # peak and after-load RSS, child CPU s, faces or crops
    assert rows["prepare, OMP_NUM_THREADS=1 24"][11] == "24"  # one face per photo
    _positive(rows["prepare, OMP_NUM_THREADS=1 24"], [2, 3])
    _positive(rows["crop cache build 24"], [2, 3])
    assert "Steepest growth per part" in done.stdout
