"""Inference speed of the Low-to-High generator on this CPU: Keras (graph) against each TFLite format.

For each variant (`official`: the authors' released layout, 5.38 GMAC/face; `paper`: the text's 17-block
network) this measures faces per second and p50/p90 latency per call at batch 1 and 8, for Keras
(`tf.function`, inference mode) and for each `.tflite` format with XNNPACK at 1 and 2 threads, plus file
sizes and, next to each format, its PSNR against the Keras float output on real held-out faces (the demo
set's test split). Weights: the shared random-weight `gen_deep` fixture for `official` when present (else
Keras init), Keras init for `paper`; speed does not depend on the values.

Baseline: the authors' PyTorch network runs about 29-34 faces/s at batch 1 on this 2-core machine (float32);
ratios use its midpoint, 31.5 faces/s. Other processes share the cores: the numbers are noisy.

    .venv/bin/python benchmarks/inference.py                 # both variants, a few minutes
    .venv/bin/python benchmarks/inference.py --variants official --cache /tmp/tfsr-bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

PYTORCH_FACES_PER_S = 31.5
FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "gen_deep" / "gen_deep_random_state_legacy.pkl"


def build(variant: str):
    from tfsr.config import ModelConfig
    from tfsr.models import build_low_to_high

    if variant == "official" and FIXTURE.is_file():
        from tfsr.official import convert_official

        return convert_official(FIXTURE), "gen_deep fixture"
    return build_low_to_high(ModelConfig(variant=variant)), "Keras init"


def timings(call, batch: np.ndarray, seconds: float, min_calls: int) -> dict[str, float]:
    """Faces/s (median call) and p50/p90 latency in ms, after two warm-up calls."""
    for _ in range(2):
        call(batch)
    times, start = [], time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        call(batch)
        times.append(time.perf_counter() - t)
    p50, p90 = np.percentile(times, [50, 90])
    return {"faces_s": len(batch) / p50, "p50_ms": 1e3 * p50, "p90_ms": 1e3 * p90}


def convert_all(model, name: str, formats: list[str], cache: Path, calibration: np.ndarray) -> dict[str, Path]:
    from tfsr.export.convert import convert_saved_model, write_saved_model

    files = {fmt: cache / f"{name}_{fmt}.tflite" for fmt in formats}
    missing = [fmt for fmt, path in files.items() if not path.is_file()]
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            saved = write_saved_model(model, 1, Path(tmp) / "saved")
            for fmt in missing:
                print(f"  converting {files[fmt].name}", file=sys.stderr, flush=True)
                files[fmt].write_bytes(convert_saved_model(saved, fmt, calibration))
    return files


def bench_variant(variant: str, formats: list[str], cache: Path, seconds: float) -> list[dict]:
    import tensorflow as tf

    from tfsr.export.parity import psnr
    from tfsr.export.quantize import representative_faces
    from tfsr.export.runner import TFLiteGenerator

    model, weights = build(variant)
    calibration = representative_faces(64, split="train")
    held_out = representative_faces(None, split="test")
    reference = np.asarray(model.predict(held_out, batch_size=8, verbose=0))
    graph = tf.function(lambda x: model(x, training=False))
    rows = []
    for batch in (1, 8):
        faces = held_out[:batch]
        rows.append({"variant": variant, "weights": weights, "engine": "keras tf.function", "threads": "-",
                     "batch": batch, "mb": None, "psnr": None,
                     **timings(lambda x: graph(x).numpy(), faces, seconds, 5)})
    files = convert_all(model, variant, formats, cache, calibration)
    for fmt, path in files.items():
        quality = psnr(reference, TFLiteGenerator(path, 2)(held_out))
        for threads in (1, 2):
            runner = TFLiteGenerator(path, num_threads=threads)
            for batch in (1, 8):
                rows.append({"variant": variant, "weights": weights, "engine": f"tflite {fmt}", "threads": threads,
                             "batch": batch, "mb": path.stat().st_size / 1e6, "psnr": quality,
                             **timings(runner, held_out[:batch], seconds, 5)})
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| variant | engine | threads | batch | faces/s | p50 ms | p90 ms | x PyTorch | MB | PSNR dB vs float |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        psnr = "-" if r["psnr"] is None else ("inf" if np.isinf(r["psnr"]) else f"{r['psnr']:.1f}")
        mb = "-" if r["mb"] is None else f"{r['mb']:.1f}"
        lines.append(
            f"| {r['variant']} | {r['engine']} | {r['threads']} | {r['batch']} | {r['faces_s']:.1f} | "
            f"{r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['faces_s'] / PYTORCH_FACES_PER_S:.2f} | {mb} | {psnr} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="official,paper", help="comma-separated: official, paper")
    parser.add_argument("--formats", default="fp32,fp16,dynamic,int8")
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per row")
    parser.add_argument("--cache", help="folder that keeps converted files between runs (default: a temp dir)")
    args = parser.parse_args(argv)
    from tfsr.export.convert import check_formats

    formats = check_formats(args.formats.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache or tmp)
        cache.mkdir(parents=True, exist_ok=True)
        rows = [r for v in args.variants.split(",") for r in bench_variant(v.strip(), formats, cache, args.seconds)]
    print(f"PyTorch reference (authors' network, float32, batch 1): {PYTORCH_FACES_PER_S} faces/s on this machine")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
