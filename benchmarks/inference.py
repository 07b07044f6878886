"""Inference speed of the Low-to-High generator on this CPU: Keras (graph) against each TFLite format.

For each variant (`official`: the authors' released layout, 5.38 GMAC/face; `paper`: the text's 17-block
network) this measures faces per second and p50/p90 latency per call at batch 1 and 8, for Keras
(`tf.function`, inference mode) and for each `.tflite` format with XNNPACK at 1 and 2 threads, plus file
sizes and, next to each format, its PSNR against the Keras float output on real held-out faces (the demo
set's test split). Weights: the shared random-weight `gen_deep` fixture for `official` when present (else
Keras init), Keras init for `paper`; speed does not depend on the values.

Baseline: the authors' network in PyTorch (benchmarks/pytorch_reference.py, float32, 2 threads, batch 1),
measured in the same run when torch and the shared fixture are installed; "x PyTorch" divides by it (else by
the 31.5 faces/s once quoted for this machine, which this machine no longer reproduces).

Ceiling: a plain stack of the official network's dominant layer (24 3x3 256->256 convolutions at 16x16 plus
a stem and an output conv, no BatchNorm, residuals or resizing), converted to each format and timed the same
way, gives the multiply-accumulates per second the CPU's convolution kernels reach per format; divided by the
official network's 5.376 GMAC it is the most faces/s any network of that cost can reach here.
Other processes share the cores: run it on an idle machine.

    .venv/bin/python benchmarks/inference.py                 # both variants, a few minutes
    .venv/bin/python benchmarks/inference.py --variants official --cache /tmp/tfsr-bench
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

PYTORCH_FACES_PER_S = 31.5
OFFICIAL_MACS = 5.376e9
MIXED_INT8 = "int8+float ADD,MUL"  # int8 convolutions, float element-wise operators (export.int8_float_ops)
FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "gen_deep" / "gen_deep_random_state_legacy.pkl"


def build(variant: str):
    from tfsr.config import ModelConfig
    from tfsr.models import build_low_to_high

    if variant == "official" and FIXTURE.is_file():
        from tfsr.official import convert_official

        return convert_official(FIXTURE), "gen_deep fixture"
    import keras

    # Seeded, so that files kept in --cache belong to the network this run compares them with.
    keras.utils.set_random_seed(0)
    return build_low_to_high(ModelConfig(variant=variant)), "Keras init, seed 0"


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

    files = {fmt: cache / f"{name}_{re.sub(r'[^a-z0-9]+', '_', fmt.lower())}.tflite" for fmt in formats}
    missing = [fmt for fmt, path in files.items() if not path.is_file()]
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            saved = write_saved_model(model, 1, Path(tmp) / "saved")
            for fmt in missing:
                print(f"  converting {files[fmt].name}", file=sys.stderr, flush=True)
                # "int8+float ADD,MUL": int8 with those operator types kept in float.
                base, _, float_ops = fmt.partition("+float ")
                ops = float_ops.split(",") if float_ops else ()
                files[fmt].write_bytes(convert_saved_model(saved, base, calibration, float_ops=ops))
    return files


def bench_variant(variant: str, formats: list[str], cache: Path, seconds: float) -> list[dict]:
    import tensorflow as tf

    from tfsr.export.parity import psnr
    from tfsr.export.quantize import representative_faces
    from tfsr.tflite.runner import TFLiteGenerator

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
    extra = [MIXED_INT8] if "int8" in formats else []
    files = convert_all(model, variant, formats + extra, cache, calibration)
    for fmt, path in files.items():
        quality = psnr(reference, TFLiteGenerator(path, 2)(held_out))
        for threads in (1, 2):
            runner = TFLiteGenerator(path, num_threads=threads)
            for batch in (1, 8):
                rows.append({"variant": variant, "weights": weights, "engine": f"tflite {fmt}", "threads": threads,
                             "batch": batch, "mb": path.stat().st_size / 1e6, "psnr": quality,
                             **timings(runner, held_out[:batch], seconds, 5)})
    return rows


def pytorch_rows(seconds: float) -> list[dict]:
    """The authors' network in PyTorch at batch 1 and 8, 2 threads (none without torch or the fixture)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import pytorch_reference

        net = pytorch_reference.load()
    except (ImportError, FileNotFoundError) as err:
        print(f"  no PyTorch baseline: {err}", file=sys.stderr)
        return []
    return [{"variant": "official", "engine": "pytorch (authors' network)", "threads": 2, "batch": batch, "mb": None,
             "psnr": None, **pytorch_reference.faces_per_second(net, batch, 2, seconds)} for batch in (1, 8)]


def ceiling(formats: list[str], cache: Path, seconds: float) -> list[dict]:
    """GMAC/s of a plain convolution stack per format (batch 1 and 8, 2 threads): see the module docstring."""
    import keras
    import tensorflow as tf

    from tfsr.export.quantize import representative_faces
    from tfsr.models.complexity import count_macs

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(256, 3, padding="same")(inputs)
    for _ in range(24):
        x = keras.layers.Conv2D(256, 3, padding="same", activation="relu", use_bias=False)(x)
    stack = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(x), name="conv_stack")
    macs = count_macs(stack, tf.TensorSpec((1, 16, 16, 3)))
    files = convert_all(stack, "conv_stack", formats, cache, representative_faces(64, split="train"))
    from ai_edge_litert.interpreter import Interpreter

    rows = []
    for fmt, path in files.items():
        row = {"format": fmt, "gmac": macs / 1e9}
        for batch in (1, 8):
            interpreter = Interpreter(model_path=str(path), num_threads=2)
            index = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(index, (batch, 16, 16, 3))
            interpreter.allocate_tensors()

            def call(x: np.ndarray, interpreter=interpreter, index=index) -> None:
                interpreter.set_tensor(index, x)
                interpreter.invoke()

            t = timings(call, representative_faces(batch, split="test"), seconds, 5)
            row[f"gmac_s_{batch}"] = macs * t["faces_s"] / 1e9
            row[f"official_faces_s_{batch}"] = macs * t["faces_s"] / OFFICIAL_MACS
        rows.append(row)
    return rows


def ceiling_table(rows: list[dict], measured: list[dict], baseline: float) -> str:
    official = {(r["engine"].split()[-1], r["batch"]): r["faces_s"] for r in measured
                if r["variant"] == "official" and r["engine"].startswith("tflite ") and r["threads"] == 2}
    lines = [
        "| format | batch | conv stack GMAC/s | ceiling faces/s at 5.376 GMAC | ceiling x PyTorch | official measured | of ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for batch in (1, 8):
            top = r[f"official_faces_s_{batch}"]
            got = official.get((r["format"], batch))
            lines.append(
                f"| {r['format']} | {batch} | {r[f'gmac_s_{batch}']:.0f} | {top:.1f} | {top / baseline:.2f} | "
                f"{'-' if got is None else f'{got:.1f}'} | {'-' if got is None else f'{100 * got / top:.0f}%'} |"
            )
    return "\n".join(lines)


def table(rows: list[dict], baseline: float) -> str:
    lines = [
        "| variant | engine | threads | batch | faces/s | p50 ms | p90 ms | x PyTorch | MB | PSNR dB vs float |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        psnr = "-" if r["psnr"] is None else ("inf" if np.isinf(r["psnr"]) else f"{r['psnr']:.1f}")
        mb = "-" if r["mb"] is None else f"{r['mb']:.1f}"
        lines.append(
            f"| {r['variant']} | {r['engine']} | {r['threads']} | {r['batch']} | {r['faces_s']:.1f} | "
            f"{r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['faces_s'] / baseline:.2f} | {mb} | {psnr} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="official,paper", help="comma-separated: official, paper")
    parser.add_argument("--formats", default="fp32,fp16,dynamic,int8")
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per row")
    parser.add_argument("--cache", help="folder that keeps converted files between runs (default: a temp dir)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the convolution-stack ceiling table")
    args = parser.parse_args(argv)
    from tfsr.export.convert import check_formats

    formats = check_formats(args.formats.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache or tmp)
        cache.mkdir(parents=True, exist_ok=True)
        rows = pytorch_rows(args.seconds)
        rows += [r for v in args.variants.split(",") for r in bench_variant(v.strip(), formats, cache, args.seconds)]
        limits = ceiling(formats, cache, args.seconds) if not args.no_ceiling else []
    measured = [r["faces_s"] for r in rows if r["engine"].startswith("pytorch") and r["batch"] == 1]
    baseline = measured[0] if measured else PYTORCH_FACES_PER_S
    source = "measured in this run" if measured else "quoted, not measured here (no torch or fixture)"
    print(f"PyTorch baseline (authors' network, float32, batch 1, 2 threads): {baseline:.1f} faces/s, {source}")
    print(table(rows, baseline))
    if limits:
        print("\nWhat this CPU's convolution kernels reach (a plain 3x3 conv stack of the official network's dominant layer):")
        print(ceiling_table(limits, rows, baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
