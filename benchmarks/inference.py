"""Inference speed of the authors' Low-to-High network on this CPU: every tfsr TFLite format against the
engines a desktop user would really pick, each in its own process, measured in the same run.

Rows (the released network, `official`, 5.376 GMAC per face, with the shared `gen_deep` fixture's weights):
    pytorch eager         NCHW float32, `inference_mode`
    pytorch <best>        the fastest PyTorch inference setting found here (see `TORCH_BEST`)
    onnxruntime fp32      the same network exported from PyTorch to ONNX, all graph optimisations
    onnxruntime int8      ONNX Runtime's own static post-training quantisation (QDQ, per-channel weights)
    openvino f32 / bf16   the same ONNX file, OpenVINO CPU plugin, precision hint f32 or bf16
    openvino int8         NNCF post-training quantisation of that model (64 calibration faces)
    tflite <format>       tfsr's export (`tfsr.export.convert`), XNNPACK; `latest` adds XNNPACK's newest
                          features (`experimental_default_delegate_latest_features`); `folded` converts the
                          network with its BatchNorms folded first (`tfsr.export.fold`); int8 is per-channel
                          (weights) with float input and output
All at 2 threads, batch 1 and 8 (the file or session is built for that batch). Ratios are only taken between
rows of the same batch. Each row's PSNR is measured against the float (Keras) output on the demo set's
held-out real faces (`tfsr.data.demo` test split, the first 48 of its 50 faces); int8 rows calibrate on its train split.

Fair timing on a shared machine: every engine lives in its own worker process (no library shares a thread
pool with another); the workers are measured in turn, a short burst each, for several rounds, and each row's
number is the median call over all rounds, so a load that changes during the run hits every row alike.
Besides wall-clock faces/s each row reports the process CPU time per face and its MACs per CPU-second as a
share of the CPU's own fp32 FMA peak per core (benchmarks/cpu_peak.py, same run): that share depends
little on how busy the machine is, the wall clock does (with 2 threads on a busy machine a thread that waits
for the other one spinning is CPU time too: `--threads 1` gives the cleanest share).

    nice -n 15 .venv/bin/python benchmarks/inference.py                  # a few minutes
    nice -n 15 .venv/bin/python benchmarks/inference.py --rows tflite --cache /tmp/tfsr-bench
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
OFFICIAL_MACS = 5.376e9
BATCHES = (1, 8)
THREADS = 2
# PyTorch's faster inference setting here: channels_last took 0.70x eager NCHW's CPU time per face in a probe;
# TorchScript freeze + optimize_for_inference was slower than eager in issue 16; torch.compile is not measured.
TORCH_BEST = "channels_last"
MIXED_INT8 = "int8+float ADD,MUL"
TFLITE_ROWS = ("fp32", "fp32 latest", "fp32 folded", "fp16", "dynamic", "dynamic latest", "dynamic folded", "int8",
               "int8 folded", MIXED_INT8)
PEER_ROWS = ("pytorch eager", f"pytorch {TORCH_BEST}", "onnxruntime fp32", "onnxruntime int8", "openvino f32",
             "openvino bf16", "openvino int8")


# ---------------------------------------------------------------------------------------------------- data


def prepare(cache: Path, rows: list[str]) -> dict[str, str]:
    """Faces, the float reference and every model file the rows need, written to `cache` once."""
    from tfsr.export.quantize import representative_faces

    paths = {"held_out": cache / "held_out.npy", "calibration": cache / "calibration.npy",
             "reference": cache / "reference.npy"}
    if not paths["reference"].is_file():
        sys.path.insert(0, str(HERE))
        import keras  # noqa: F401

        from tfsr.official import convert_official
        import pytorch_reference

        held_out = representative_faces(None, split="test")
        np.save(paths["held_out"], held_out)
        np.save(paths["calibration"], representative_faces(64, split="train"))
        model = convert_official(pytorch_reference.FIXTURE_DIR / "gen_deep_random_state_legacy.pkl")
        np.save(paths["reference"], np.asarray(model.predict(held_out, batch_size=10, verbose=0)))
    if any(r.startswith("tflite") for r in rows):
        _tflite_files(cache, sorted({_tflite_format(r) for r in rows if r.startswith("tflite")}))
    if any(r.startswith(("onnxruntime", "openvino")) for r in rows):
        _onnx_files(cache)
    return {k: str(v) for k, v in paths.items()}


def _tflite_format(row: str) -> str:
    """`tflite int8 folded latest` -> `int8 folded` (what the file is; `latest` is an interpreter option)."""
    return row.removeprefix("tflite ").removesuffix(" latest")


def _tflite_name(cache: Path, fmt: str, batch: int) -> Path:
    slug = fmt.replace("+float ", "_f").replace(",", "").replace(" ", "_").lower()
    return cache / f"official_{slug}_b{batch}.tflite"


def _tflite_files(cache: Path, formats: list[str]) -> None:
    missing = [(f, b) for f in formats for b in BATCHES if not _tflite_name(cache, f, b).is_file()]
    if not missing:
        return
    sys.path.insert(0, str(HERE))
    import pytorch_reference
    from tfsr.export.convert import convert_saved_model, write_saved_model
    from tfsr.official import convert_official

    from tfsr.export.fold import fold_batch_norms

    model = convert_official(pytorch_reference.FIXTURE_DIR / "gen_deep_random_state_legacy.pkl")
    models = {False: model, True: fold_batch_norms(model)}
    calibration = np.load(cache / "calibration.npy")
    with tempfile.TemporaryDirectory() as tmp:
        for (batch, folded) in [(b, f) for b in BATCHES for f in (False, True)]:
            todo = [fmt for fmt, b in missing if b == batch and fmt.endswith(" folded") == folded]
            if not todo:
                continue
            saved = write_saved_model(models[folded], batch, Path(tmp) / f"saved{batch}_{folded}")
            for fmt in todo:
                print(f"  converting {fmt} batch {batch}", file=sys.stderr, flush=True)
                base, _, float_ops = fmt.removesuffix(" folded").partition("+float ")
                data = convert_saved_model(saved, base, calibration[: 64 // batch * batch], batch_size=batch,
                                           float_ops=float_ops.split(",") if float_ops else ())
                _tflite_name(cache, fmt, batch).write_bytes(data)


def _onnx_files(cache: Path) -> None:
    """The PyTorch network as ONNX (one fixed-batch file per batch), and its int8 versions."""
    import torch

    sys.path.insert(0, str(HERE))
    import pytorch_reference

    calibration = np.load(cache / "calibration.npy").transpose(0, 3, 1, 2).copy()
    for batch in BATCHES:
        path = cache / f"official_b{batch}.onnx"
        if not path.is_file():
            print(f"  exporting ONNX batch {batch}", file=sys.stderr, flush=True)
            net = pytorch_reference.load()
            torch.onnx.export(net, (torch.zeros(batch, 3, 16, 16),), str(path), input_names=["x"],
                              output_names=["y"], dynamo=False, opset_version=17)
        qpath = cache / f"official_b{batch}_ort_int8.onnx"
        if not qpath.is_file():
            print(f"  ONNX Runtime static quantisation, batch {batch}", file=sys.stderr, flush=True)
            from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
            from onnxruntime.quantization.shape_inference import quant_pre_process

            class Reader(CalibrationDataReader):
                def __init__(self) -> None:
                    self.items = iter([{"x": calibration[i:i + batch]} for i in range(0, 64 - batch + 1, batch)])

                def get_next(self):
                    return next(self.items, None)

            pre = cache / f"official_b{batch}_pre.onnx"
            quant_pre_process(str(path), str(pre))
            quantize_static(str(pre), str(qpath), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        opath = cache / f"official_b{batch}_ov_int8.xml"
        if not opath.is_file():
            print(f"  NNCF post-training quantisation, batch {batch}", file=sys.stderr, flush=True)
            import nncf
            import openvino as ov

            core = ov.Core()
            model = core.read_model(str(path))
            items = [calibration[i:i + batch] for i in range(0, 64 - batch + 1, batch)]
            quantized = nncf.quantize(model, nncf.Dataset(items), subset_size=len(items))
            ov.save_model(quantized, str(opath))


# ---------------------------------------------------------------------------------------------------- workers


def _load_engine(row: str, batch: int, cache: Path):
    """A callable float32 NHWC [batch, 16, 16, 3] -> NHWC [batch, 64, 64, 3] for one row and batch."""
    engine, _, setting = row.partition(" ")
    if engine == "pytorch":
        import torch

        sys.path.insert(0, str(HERE))
        import pytorch_reference

        torch.set_num_threads(THREADS)
        net = pytorch_reference.load()
        memory = torch.contiguous_format
        if setting == "channels_last":
            memory = torch.channels_last
            net = net.to(memory_format=memory)

        def call(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                t = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=memory)
                return net(t).permute(0, 2, 3, 1).numpy()

        return call
    if engine == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        name = f"official_b{batch}.onnx" if setting == "fp32" else f"official_b{batch}_ort_int8.onnx"
        session = ort.InferenceSession(str(cache / name), options, providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {"x": x.transpose(0, 3, 1, 2)})[0].transpose(0, 2, 3, 1)
    if engine == "openvino":
        import openvino as ov

        core = ov.Core()
        name = f"official_b{batch}_ov_int8.xml" if setting == "int8" else f"official_b{batch}.onnx"
        config = {"INFERENCE_NUM_THREADS": THREADS, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
        if setting in ("f32", "bf16"):
            config["INFERENCE_PRECISION_HINT"] = setting
        compiled = core.compile_model(core.read_model(str(cache / name)), "CPU", config)
        request = compiled.create_infer_request()
        call = lambda x: request.infer([x.transpose(0, 3, 1, 2)])[0].transpose(0, 2, 3, 1)  # noqa: E731
        call.precision = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
        return call
    if engine == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        fmt, latest = _tflite_format(row), setting.endswith(" latest")
        interpreter = Interpreter(model_path=str(_tflite_name(cache, fmt, batch)), num_threads=THREADS,
                                  experimental_default_delegate_latest_features=latest)
        interpreter.allocate_tensors()
        source, sink = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

        def call(x: np.ndarray) -> np.ndarray:
            interpreter.set_tensor(source, x)
            interpreter.invoke()
            return interpreter.get_tensor(sink)

        return call
    raise ValueError(f"unknown row {row!r}")


def worker(row: str, cache: Path) -> int:
    """Serves one row: prints its outputs' path, then answers `batch seconds` lines with call timings."""
    held_out = np.load(cache / "held_out.npy")
    calls = {b: _load_engine(row, b, cache) for b in BATCHES}
    n = len(held_out) // max(BATCHES) * max(BATCHES)
    out = np.concatenate([calls[max(BATCHES)](held_out[i:i + max(BATCHES)]) for i in range(0, n, max(BATCHES))])
    out_path = cache / f"out_{row.replace(' ', '_').replace(',', '').replace('+', '')}.npy"
    np.save(out_path, out)
    print(json.dumps({"out": str(out_path), "n": n, "precision": getattr(calls[1], "precision", None)}), flush=True)
    for line in sys.stdin:
        batch, seconds = line.split()
        batch, seconds = int(batch), float(seconds)
        call, x = calls[batch], np.ascontiguousarray(held_out[:batch])
        call(x)
        wall, cpu, start = [], [], time.perf_counter()
        while len(wall) < 3 or time.perf_counter() - start < seconds:
            t, c = time.perf_counter(), time.process_time()
            call(x)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(json.dumps({"wall": wall, "cpu": cpu}), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------------- driver


def cpu_peak() -> dict[str, float]:
    """MAC/s of THREADS cores per CPU-second (benchmarks/cpu_peak.py)."""
    sys.path.insert(0, str(HERE))
    import cpu_peak as peak

    return peak.measure(THREADS)


def run(rows: list[str], cache: Path, rounds: int, seconds: float) -> list[dict]:
    from tfsr.export.parity import psnr

    reference = np.load(cache / "reference.npy")
    procs, meta = {}, {}
    for row in rows:
        procs[row] = subprocess.Popen([sys.executable, __file__, "--worker", row, "--cache", str(cache),
                                       "--threads", str(THREADS)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = procs[row].stdout.readline()
        if not line:
            print(f"  {row}: worker failed, row dropped", file=sys.stderr)
            del procs[row]
            continue
        meta[row] = json.loads(line)
        print(f"  {row}: loaded", file=sys.stderr, flush=True)
    samples = {(row, b): {"wall": [], "cpu": []} for row in procs for b in BATCHES}
    for r in range(rounds):
        order = list(procs) if r % 2 == 0 else list(procs)[::-1]
        for row in order:
            for b in BATCHES:
                procs[row].stdin.write(f"{b} {seconds}\n")
                procs[row].stdin.flush()
                got = json.loads(procs[row].stdout.readline())
                for key in ("wall", "cpu"):
                    samples[(row, b)][key] += got[key]
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    for p in procs.values():
        p.stdin.close()
        p.wait()
    results = []
    for row in procs:
        out = np.load(meta[row]["out"])
        quality = psnr(reference[: meta[row]["n"]], out)
        for b in BATCHES:
            wall, cpu = np.median(samples[(row, b)]["wall"]), np.median(samples[(row, b)]["cpu"])
            results.append({"row": row, "batch": b, "faces_s": b / wall, "p50_ms": 1e3 * wall,
                            "cpu_ms_face": 1e3 * cpu / b, "psnr": quality, "precision": meta[row]["precision"]})
    return results


def table(results: list[dict], peak: dict[str, float]) -> str:
    # cpu_peak sums its threads' MACs per CPU-second; a row's GMAC per CPU-second is per core busy.
    fp32_peak = peak.get("fp32_fma", 0) / THREADS
    lines = [
        "| engine | batch | faces/s | x tflite fp32 | x fastest peer fp32 | p50 ms | CPU ms/face | GMAC per CPU-s | % fp32 FMA peak | PSNR dB vs float |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in BATCHES:
        same = [r for r in results if r["batch"] == b]
        base = next((r["faces_s"] for r in same if r["row"] == "tflite fp32"), None)
        peers = [r["faces_s"] for r in same if r["row"] in ("pytorch eager", f"pytorch {TORCH_BEST}",
                                                              "onnxruntime fp32", "openvino f32")]
        best_peer = max(peers) if peers else None
        for r in same:
            gmac = OFFICIAL_MACS / (r["cpu_ms_face"] * 1e-3) / 1e9
            share = "-" if not fp32_peak else f"{100 * gmac * 1e9 / fp32_peak:.0f}%"
            psnr = "inf" if np.isinf(r["psnr"]) else f"{r['psnr']:.1f}"
            name = r["row"] + (f" (ran as {r['precision']})" if r["precision"] and r["row"].endswith("bf16") else "")
            vs_tflite = "-" if not base else f"{r['faces_s'] / base:.2f}"
            vs_peer = "-" if not best_peer else f"{r['faces_s'] / best_peer:.2f}"
            lines.append(
                f"| {name} | {b} | {r['faces_s']:.1f} | {vs_tflite} | {vs_peer} | {r['p50_ms']:.1f} | "
                f"{r['cpu_ms_face']:.1f} | {gmac:.0f} | {share} | {psnr} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="all", help="comma-separated row names or prefixes (pytorch, tflite, ...)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.5, help="measuring time per row, batch and round")
    parser.add_argument("--cache", help="folder that keeps converted files between runs (default: a temp dir)")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads of every engine (and of the peak)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    THREADS = args.threads
    if args.worker:
        return worker(args.worker, Path(args.cache))
    wanted = [w.strip() for w in args.rows.split(",")]
    rows = [r for r in PEER_ROWS + tuple(f"tflite {f}" for f in TFLITE_ROWS)
            if "all" in wanted or any(r == w or r.startswith(w + " ") or r.split()[0] == w for w in wanted)]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache or tmp)
        cache.mkdir(parents=True, exist_ok=True)
        prepare(cache, rows)
        peak = cpu_peak()
        results = run(rows, cache, args.rounds, args.seconds)
        peak.update({k + "_after": v for k, v in cpu_peak().items()})
    print(f"CPU peak, {THREADS} cores together, MAC per CPU-second of each (benchmarks/cpu_peak.py, before / after the rows): "
          + ", ".join(f"{k} {v / 1e9:.0f} / {peak.get(k + '_after', float('nan')) / 1e9:.0f} G"
                      for k, v in peak.items() if not k.endswith("_after")))
    print(f"official network, {OFFICIAL_MACS / 1e9:.3f} GMAC/face, {THREADS} threads, median call of "
          f"{args.rounds} interleaved rounds; ratios only within a batch size")
    print(table(results, peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
