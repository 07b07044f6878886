"""How time and peak memory grow with the work: inference batch, enhance picture size and faces, prepare images.

Three tables, every case in its own child process:

- **inference**: the Low-to-High generator (the official-shape network with the shared `gen_deep` fixture's
  weights, as benchmarks/inference.py builds it) at batch 1, 8 and 32, through Keras and the fp32 and int8
  `.tflite` files `tfsr.export` writes (batch 1, resized at run time as `tfsr enhance` does);
- **enhance**: `tfsr enhance`'s own code path (`tfsr.enhance.folders.enhance_picture`: read the JPEG,
  detect, crop, super-resolve with the int8 file, colour, bicubic background, paste, write the JPEG) at
  `--scale 4`, for 1, 4 and 16 faces on pictures of 640x480 to 4000x3000. The pictures are the same scene
  at each size: demo face crops (`tfsr.data.demo`) pasted on a textured background, each 0.18 of the
  picture's height (about 86 pixels in the detector's 640-pixel copy, so YuNet finds them all; the table
  says how many it found). Every face is served (`--min-face 0 --max-face 0`): the default serves only
  16-pixel squares, which the detector's copy of a big picture cannot show. A 4000x3000 output at x4 is
  576 MB, over the default `--max-output-mb 512`, which `tfsr enhance` refuses, suggesting `--tile 4096`:
  both that and the whole picture (`--max-output-mb 4096`) are measured;
- **prepare**: `tfsr prepare` (`tfsr.data.prepare.prepare_faces`) on N synthetic 128x128 JPEG photos (a
  demo face crop on a plain background) with `OMP_NUM_THREADS=1` (YuNet's OpenMP threads spin on a busy
  machine), once as shipped at a few hundred photos, then the crop cache (`tfsr.data.cache`, through
  `tfsr.data.pipeline.hr_crops` with `data.cache_dir`) over its crops: built (cold) and opened (warm).
  Sizes left out are extrapolated from a power-law fit, and say so.

Peak RSS is each child's own `ru_maxrss` (`os.wait4`: the per-child form of `RUSAGE_CHILDREN`; the driver
stays small because Linux carries a parent's RSS into the child's high-water mark across `exec`). "After
load" is the child's high-water mark once its model, detector and libraries are loaded and warmed up,
"working" the peak above it; for inference, whose first call at a batch allocates that batch's tensors,
the peak above the same engine's smallest batch. Times are the timed region (median call), wall clock and
CPU (user + sys of all the child's threads); the whole child's CPU seconds are printed too. Inference and
enhance cases run `--rounds` times, in turn, each time in a new child, and every number is the median over
the rounds. On a shared machine trust the CPU columns: they depend far less on the load than the wall clock
(with 2 threads, a thread spinning while it waits for the other counts as CPU time too). Each exponent is
log(cost ratio) / log(work ratio) between a row and the one before it (1: linear; 0: flat).

    nice -n 15 .venv/bin/python benchmarks/cost_growth.py --cache /tmp/tfsr-cost-growth   # 1-2 hours on 2 busy cores
    nice -n 15 .venv/bin/python benchmarks/cost_growth.py --quick                          # smallest sizes only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ENGINES = ("keras", "tflite fp32", "tflite int8")
BATCHES = (1, 8, 32)
PICTURES = ((640, 480), (1280, 960), (2560, 1920), (4000, 3000))
FACES = (1, 4, 16)
IMAGES = (1_000, 10_000, 100_000)
SCALE = 4
FACE_HEIGHT = 0.18  # side of a pasted face crop, as a fraction of the picture's height
TILE = 4096  # what `tfsr enhance` suggests for a 4000x3000 picture at x4
WHOLE_MB = 4096.0  # --max-output-mb for the whole 4000x3000 picture (the default 512 refuses it)
PHOTO_SIDE, PHOTO_FACE = 128, 96  # the synthetic `tfsr prepare` photos and the face crop in each
MEMORY_FLOOR = 10.0  # MB: a working memory this small is allocator noise, not a base for an exponent
SHIPPED_IMAGES = 300  # `tfsr prepare` as shipped (OpenMP threads unlimited): slow on a busy machine


# ------------------------------------------------------------------------------------------ child cases


def _timed(call, seconds: float, least: int, most: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `call()` over at least `least` calls (and `seconds`), at most `most`."""
    wall, cpu, start = [], [], time.perf_counter()
    while len(wall) < least or (time.perf_counter() - start < seconds and len(wall) < most):
        t, c = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def _loaded_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _network(name: str):
    """The generator: the official shape with the fixture's weights, or a tiny one (for the test)."""
    import keras

    if name == "tiny":
        from tfsr.models import LowToHighGenerator

        keras.utils.set_random_seed(0)
        model = LowToHighGenerator(group_filters=(8, 8, 8), group_blocks=(1, 1, 1))
        model.build((None, 16, 16, 3))
        return model
    sys.path.insert(0, str(HERE))
    from pytorch_reference import FIXTURE_DIR
    from tfsr.official import convert_official

    return convert_official(FIXTURE_DIR / "gen_deep_random_state_legacy.pkl")


def _tflite_path(cache: Path, network: str, fmt: str) -> Path:
    return cache / f"{network}_{fmt}.tflite"


def child_inference(spec: dict) -> dict:
    from tfsr.export.quantize import representative_faces

    if spec["engine"] == "keras":
        import tensorflow as tf

        from tfsr.enhance.backends import KerasSuperResolver

        tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
        call = KerasSuperResolver(_network(spec["network"]))
    else:
        from tfsr.tflite.runner import TFLiteGenerator

        fmt = spec["engine"].removeprefix("tflite ")
        call = TFLiteGenerator(_tflite_path(Path(spec["cache"]), spec["network"], fmt), num_threads=spec["threads"])
    faces = np.resize(representative_faces(None, split="test"), (spec["batch"], 16, 16, 3))
    call(faces)  # traces (Keras) or resizes and allocates (LiteRT) for this batch
    loaded = _loaded_mb()
    wall, cpu = _timed(lambda: call(faces), spec["seconds"], 3, 50)
    return {"wall": wall, "cpu": cpu, "loaded_mb": loaded}


def child_enhance(spec: dict) -> dict:
    from tfsr.enhance.enhancer import Enhancer
    from tfsr.enhance.folders import PictureMode, enhance_picture

    enhancer = Enhancer(spec["model"], scale=SCALE, min_face=0, max_face=0, max_output_mb=spec["max_output_mb"],
                        num_threads=spec["threads"])
    enhancer.super_resolver(np.zeros((spec["faces"], 16, 16, 3), np.float32))
    # YuNet's first call at an input size is slow: warm it at the size of the copy it will see.
    w, h = spec["size"]
    shrink = min(1.0, enhancer.detector.max_side / max(w, h)) if enhancer.detector.max_side else 1.0
    enhancer.detect(np.zeros((round(h * shrink), round(w * shrink), 3), np.uint8))
    loaded = _loaded_mb()
    mode = PictureMode(tile=spec["tile"], overwrite=True)
    found, stages = [], []

    def call() -> None:
        enhancer.timings = type(enhancer.timings)()
        found.append(enhance_picture(enhancer, Path(spec["picture"]), Path(spec["output"]), mode))
        stages.append(dict(enhancer.timings.seconds))

    wall, cpu = _timed(call, spec["seconds"], 1, 3)
    split = {k: statistics.median(s.get(k, 0.0) for s in stages) for k in stages[0]}
    return {"wall": wall, "cpu": cpu, "loaded_mb": loaded, "found": found[0], "stages": split}


def child_prepare(spec: dict) -> dict:
    from tfsr.data.prepare import PrepareOptions, prepare_faces

    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)
    import tfsr.faces.detection  # noqa: F401  (loaded before the mark, as the enhance child loads its detector)

    loaded = _loaded_mb()
    summary = []
    wall, cpu = _timed(lambda: summary.append(prepare_faces(spec["src"], out, PrepareOptions(), progress=False)),
                       0, 1, 1)
    return {"wall": wall, "cpu": cpu, "loaded_mb": loaded, "found": summary[0].faces}


def child_cache(spec: dict) -> dict:
    from tfsr.config import config_from_dict
    from tfsr.data.pipeline import hr_crops

    cfg = config_from_dict({"data": {"hr_dirs": [spec["crops"]], "cache_dir": spec["cache_dir"]}})
    loaded = _loaded_mb()
    crops = []
    wall, cpu = _timed(lambda: crops.append(hr_crops(cfg)), 0, 1, 1)
    return {"wall": wall, "cpu": cpu, "loaded_mb": loaded, "found": len(crops[0])}


def child_setup(spec: dict) -> dict:
    """Writes the inputs (exported files, pictures, photos) in a child, so the driver stays small: a child's
    `ru_maxrss` starts at its parent's RSS (Linux keeps the high-water mark across `exec`)."""
    for network, fmt in spec["exports"]:
        export_file(Path(spec["cache"]), network, fmt)
    for path, w, h, faces in spec["pictures"]:
        make_picture(Path(path), (w, h), faces)
    for root, count in spec["photos"]:
        make_photos(Path(root), count)
    return {"loaded_mb": 0.0}


CHILDREN = {"inference": child_inference, "enhance": child_enhance, "prepare": child_prepare, "cache": child_cache,
            "setup": child_setup}


def run_child(spec: dict, env: dict | None = None) -> dict:
    """Runs one case in a fresh process; adds its peak RSS and whole-process CPU time from `wait4`."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE,
                                stderr=err, text=True, env={**os.environ, **(env or {})})
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"case {spec} failed ({proc.returncode}):\n{err.read()[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["child_cpu"] = usage.ru_utime + usage.ru_stime
    result["working_mb"] = max(result["peak_mb"] - result["loaded_mb"], 0.0)
    if result.get("hwm_mb") and abs(result["peak_mb"] - result["hwm_mb"]) > 0.05 * result["hwm_mb"]:
        print(f"  note: ru_maxrss {result['peak_mb']:.0f} MB, VmHWM {result['hwm_mb']:.0f} MB ({spec['part']})",
              file=sys.stderr)
    return result


# ------------------------------------------------------------------------------------------ inputs


def export_file(cache: Path, network: str, fmt: str) -> None:
    """The network's batch-1 `.tflite` file in `fmt` (`tfsr.export`), written to `cache` once."""
    path = _tflite_path(cache, network, fmt)
    if path.is_file():
        return
    from tfsr.export.convert import convert_saved_model, write_saved_model
    from tfsr.export.quantize import representative_faces

    print(f"  exporting {network} {fmt}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        saved = write_saved_model(_network(network), 1, Path(tmp) / "saved_model")
        calibration = representative_faces(64, split="train") if fmt == "int8" else None
        path.write_bytes(convert_saved_model(saved, fmt, calibration))


def _face_crops(side: int, count: int) -> list[np.ndarray]:
    """`count` different demo face crops (three people, jittered), `side` x `side`."""
    import cv2

    from tfsr.data import demo

    crops = demo.hr_faces(128)
    picks = [crops[(k * 37) % len(crops)] for k in range(count)]
    return [cv2.resize(c, (side, side), interpolation=cv2.INTER_CUBIC if side > 128 else cv2.INTER_AREA)
            for c in picks]


def make_picture(path: Path, size: tuple[int, int], faces: int) -> Path:
    """A JPEG of `size` with `faces` demo faces on a gradient with fine texture (1 centred, else a grid)."""
    from PIL import Image

    if path.is_file():
        return path
    print(f"  making {path.name}", file=sys.stderr, flush=True)
    w, h = size
    rng = np.random.default_rng(0)
    x, y = np.linspace(0, 1, w, dtype=np.float32), np.linspace(0, 1, h, dtype=np.float32)[:, None]
    picture = np.empty((h, w, 3), np.uint8)
    for c, (a, b, d) in enumerate(((60, 80, 0), (90, 0, 60), (140, -50, 0))):
        noise = rng.normal(0, 6, (h, w)).astype(np.float32)
        picture[..., c] = np.clip(a + b * x + d * y + noise, 0, 255)
    side = round(FACE_HEIGHT * h)
    grid = math.isqrt(faces - 1) + 1 if faces > 1 else 1
    for k, crop in enumerate(_face_crops(side, faces)):
        cx, cy = (k % grid + 0.5) * w / grid, (k // grid + 0.5) * h / grid
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        picture[y0 : y0 + side, x0 : x0 + side] = crop
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path, quality=95)
    return path


def make_photos(root: Path, count: int) -> Path:
    """A folder of `count` synthetic photos (hard links into one pool, 1,000 a subfolder)."""
    from PIL import Image

    pool, folder = root / "pool", root / f"photos_{count}"
    if folder.is_dir():
        return folder
    print(f"  making {count:,} photos", file=sys.stderr, flush=True)
    faces = None
    for i in range(count):
        photo = pool / f"s{i // 1000:03d}" / f"photo_{i:06d}.jpg"
        if not photo.is_file():
            faces = faces or _face_crops(PHOTO_FACE, 288)
            rng = np.random.default_rng(i)
            image = np.empty((PHOTO_SIDE, PHOTO_SIDE, 3), np.uint8)
            image[...] = rng.integers(30, 220, 3, dtype=np.uint8)
            top, left = rng.integers(0, PHOTO_SIDE - PHOTO_FACE + 1, 2)
            image[top : top + PHOTO_FACE, left : left + PHOTO_FACE] = faces[i % len(faces)]
            photo.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(photo, quality=90)
    tmp = root / f".photos_{count}"
    shutil.rmtree(tmp, ignore_errors=True)
    for i in range(count):
        link = tmp / f"s{i // 1000:03d}" / f"photo_{i:06d}.jpg"
        link.parent.mkdir(parents=True, exist_ok=True)
        os.link(pool / link.relative_to(tmp), link)
    tmp.rename(folder)
    return folder


# ------------------------------------------------------------------------------------------ tables


def exponent(cost: float, before: float, work: float, work_before: float, floor: float = 0.0) -> float | None:
    """log(cost / before) / log(work / work_before); None where undefined or a cost is within `floor` of 0."""
    if min(cost, before) <= floor or work == work_before:
        return None
    return math.log(cost / before) / math.log(work / work_before)


class Growth:
    """The exponents of one run, kept for the summary: `(part, what, exponent, where)`."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, float, str]] = []

    def cell(self, part: str, what: str, value: float | None, where: str) -> str:
        if value is None:
            return "-"
        self.seen.append((part, what, value, where))
        return f"{value:.2f}"

    def steepest(self) -> list[str]:
        worst: dict[tuple[str, str], tuple[float, str]] = {}
        for part, what, value, where in self.seen:
            if value > worst.get((part, what), (-math.inf, ""))[0]:
                worst[(part, what)] = (value, where)
        return [f"- {part}: {what} grows as work^{value:.2f} at its steepest ({where})"
                for (part, what), (value, where) in worst.items()]


def _memory(r: dict) -> str:
    return f"{r['peak_mb']:.0f} | {r['loaded_mb']:.0f} | {r['working_mb']:.0f}"


def _pair(growth: Growth, part: str, now: dict, before: dict | None, work: float, work_before: float, where: str,
          suffix: str = "") -> tuple[str, str]:
    """The CPU-time and working-memory exponent cells of `now` against `before` (`-` without one)."""
    if before is None:
        return "-", "-"
    cpu = exponent(now["cpu"], before["cpu"], work, work_before)
    memory = exponent(now["working_mb"], before["working_mb"], work, work_before, MEMORY_FLOOR)
    return (growth.cell(part, f"CPU time{suffix}", cpu, where),
            growth.cell(part, f"working memory{suffix}", memory, where))


def _with_previous(rows: list[dict], group: str, work: str, unit: str):
    """Each row, the row before it in the same `group` (None for the first), and how to name that step."""
    for k, r in enumerate(rows):
        prev = rows[k - 1] if k and rows[k - 1][group] == r[group] else None
        yield r, prev, prev and f"{r[group]}, {prev[work]:,} -> {r[work]:,} {unit}"


def inference_table(rows: list[dict], growth: Growth) -> list[str]:
    """Memory here is the peak above the same engine's peak at the smallest batch: every child loads the same
    model, and the first call at a batch allocates its tensors (so nothing is left for later calls to add)."""
    lines = ["| engine | batch | wall ms/face | CPU ms/face | CPU exponent vs batch | peak RSS MB | above smallest "
             "batch MB | its exponent vs batch | child CPU s |", "|---|" + "---:|" * 8]
    above = {id(r): r["peak_mb"] - next(p for p in rows if p["engine"] == r["engine"])["peak_mb"] for r in rows}
    for r, prev, where in _with_previous(rows, "engine", "batch", "faces a batch"):
        r, prev = ({**x, "working_mb": above[id(x)]} if x else None for x in (r, prev))
        cpu_exp, mem_exp = _pair(growth, "inference", r, prev, r["batch"], prev and prev["batch"], where)
        lines.append(f"| {r['engine']} | {r['batch']} | {1e3 * r['wall'] / r['batch']:.1f} | "
                     f"{1e3 * r['cpu'] / r['batch']:.1f} | {cpu_exp} | {r['peak_mb']:.0f} | {r['working_mb']:.0f} | "
                     f"{mem_exp} | {r['child_cpu']:.1f} |")
    return lines


def enhance_table(rows: list[dict], growth: Growth) -> list[str]:
    lines = ["| picture | output | faces (found) | wall s | CPU s | CPU exp. vs pixels | CPU exp. vs faces | detect s "
             "| SR s | upscale s | paste s | read + write s | peak RSS MB | after load MB | working MB "
             "| working exp. vs pixels |", "|---|---|" + "---:|" * 14]
    px = lambda p: p["size"][0] * p["size"][1]  # noqa: E731
    name = lambda p: f"{p['size'][0]}x{p['size'][1]}"  # noqa: E731
    for r in rows:
        smaller = [p for p in rows if p["faces"] == r["faces"] and p["tile"] == r["tile"] and px(p) < px(r)]
        fewer = [p for p in rows if p["size"] == r["size"] and p["tile"] == r["tile"] and p["faces"] < r["faces"]]
        p, f = (smaller[-1] if smaller else None), (fewer[-1] if fewer else None)
        by_px, mem_px = _pair(growth, "enhance", r, p, px(r), p and px(p),
                              p and f"{r['faces']} faces, {name(p)} -> {name(r)}", " vs pixels")
        by_faces = growth.cell("enhance", "CPU time vs faces",
                               f and exponent(r["cpu"], f["cpu"], r["faces"], f["faces"]),
                               f and f"{name(r)}, {f['faces']} -> {r['faces']} faces")
        s = r["stages"]
        rest = r["wall"] - sum(s.values())  # decoding the JPEG in, encoding the output
        out = f"tiles of {r['tile']}" if r["tile"] else "whole"
        stages = " | ".join(f"{s.get(k, 0):.2f}" for k in ("detect", "super_resolve", "upscale", "paste"))
        lines.append(f"| {name(r)} | {out} | {r['faces']} ({r['found']:.0f}) | {r['wall']:.2f} | {r['cpu']:.2f} | "
                     f"{by_px} | {by_faces} | {stages} | {rest:.2f} | {_memory(r)} | {mem_px} |")
    return lines


def prepare_table(rows: list[dict], growth: Growth) -> list[str]:
    lines = ["| step | images | wall s | CPU s | CPU ms/image | CPU exponent | peak RSS MB | after load MB "
             "| working MB | working exponent | child CPU s | faces / crops |", "|---|" + "---:|" * 11]
    for r, prev, where in _with_previous(rows, "step", "images", "images"):
        cpu_exp, mem_exp = _pair(growth, "prepare", r, prev, r["images"], prev and prev["images"], where)
        lines.append(f"| {r['step']} | {r['images']:,} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{1e3 * r['cpu'] / r['images']:.2f} | {cpu_exp} | {_memory(r)} | {mem_exp} | "
                     f"{r['child_cpu']:.1f} | {r['found']:,} |")
    return lines


def extrapolated(rows: list[dict], target: int) -> list[str]:
    """Power-law fits (log-log least squares) of each step's CPU time and working memory, at `target` images."""
    lines = []
    for step in dict.fromkeys(r["step"] for r in rows):
        same = [r for r in rows if r["step"] == step]
        if len(same) < 2 or same[-1]["images"] >= target:
            continue
        n = np.log([r["images"] for r in same])
        fit = {key: np.polyfit(n, np.log([max(r[key], 1e-3) for r in same]), 1) for key in ("cpu", "working_mb")}
        at = {key: float(np.exp(np.polyval(p, math.log(target)))) for key, p in fit.items()}
        lines.append(f"- {step}, **extrapolated** to {target:,} images from {len(same)} sizes: CPU ~ N^"
                     f"{fit['cpu'][0]:.2f}, {at['cpu']:.0f} s; working memory ~ N^{fit['working_mb'][0]:.2f}, "
                     f"{at['working_mb']:.0f} MB")
    return lines


# ------------------------------------------------------------------------------------------ driver


def _enhance_cases(args) -> list[tuple[tuple[int, int], int, int]]:
    """`(size, faces, tile)`: every size and face count whole; the largest also in tiles if it needs them."""
    cases = [(size, n, 0) for size in args.pictures for n in args.faces]
    largest = max(args.pictures, key=lambda s: s[0] * s[1])
    if largest[0] * largest[1] * 3 * SCALE**2 > 512e6:  # what the default --max-output-mb refuses
        cases += [(largest, n, TILE) for n in args.faces]
    return cases


def _picture(cache: Path, size: tuple[int, int], faces: int) -> Path:
    return cache / "enhance" / f"picture_{size[0]}x{size[1]}_{faces}.jpg"


def setup(args, cache: Path, parts: set[str]) -> None:
    """Every input the cases need, made once in one child process."""
    formats = {e.removeprefix("tflite ") for e in args.engines if e != "keras"} if "inference" in parts else set()
    formats |= {"int8"} if "enhance" in parts else set()
    spec = {"part": "setup", "cache": str(cache), "exports": [[args.network, f] for f in sorted(formats)],
            "pictures": [[str(_picture(cache, size, n)), *size, n] for size, n, _ in _enhance_cases(args)]
            if "enhance" in parts else [],
            "photos": [[str(cache / "prepare"), n] for n in [*args.images, args.shipped_images] if n]
            if "prepare" in parts else []}
    run_child(spec)


def run_cases(specs: list[dict], rounds: int) -> list[dict]:
    """Every case once per round, in turn (reversed every other round), each in a fresh child; per case the
    median of each number over the rounds, so a load that changes during the run hits every case alike."""
    runs: list[list[dict]] = [[] for _ in specs]
    for r in range(rounds):
        order = list(range(len(specs)))[:: 1 if r % 2 == 0 else -1]
        for k in order:
            runs[k].append(run_child(specs[k]))
            print(f"  round {r + 1}/{rounds}: {_label(specs[k])}: {runs[k][-1]['cpu']:.3f} CPU s",
                  file=sys.stderr, flush=True)
    merged = []
    for spec, results in zip(specs, runs):
        numbers = {key: statistics.median(r[key] for r in results) for key, value in results[0].items()
                   if isinstance(value, (int, float))}
        stages = {key: statistics.median(r["stages"].get(key, 0.0) for r in results)
                  for key in results[0].get("stages", {})}
        merged.append({**spec, **results[0], **numbers, "stages": stages, "rounds": len(results)})
    return merged


def _label(spec: dict) -> str:
    if spec["part"] == "inference":
        return f"{spec['engine']} batch {spec['batch']}"
    tile = f" tile {spec['tile']}" if spec["tile"] else ""
    return f"{spec['size'][0]}x{spec['size'][1]} {spec['faces']} faces{tile}"


def measure_inference(args, cache: Path) -> list[dict]:
    return run_cases([{"part": "inference", "engine": engine, "batch": batch, "network": args.network,
                       "cache": str(cache), "threads": args.threads, "seconds": args.seconds}
                      for engine in args.engines for batch in args.batches], args.rounds)


def measure_enhance(args, cache: Path) -> list[dict]:
    return run_cases([{"part": "enhance", "picture": str(_picture(cache, size, n)), "size": size,
                       "output": str(cache / "enhance" / "out" / "out.jpg"),
                       "model": str(_tflite_path(cache, args.network, "int8")), "faces": n, "tile": tile,
                       "max_output_mb": WHOLE_MB, "threads": args.threads, "seconds": args.seconds}
                      for size, n, tile in _enhance_cases(args)], args.rounds)


def measure_prepare(args, cache: Path) -> list[dict]:
    root = cache / "prepare"
    steps: dict[str, list[dict]] = {"prepare, OMP_NUM_THREADS=1": [], "prepare as shipped": [],
                                    "crop cache build": [], "crop cache hit": []}
    for count in args.images:
        out, crops_cache = root / f"out_{count}", root / f"cache_{count}"
        spec = {"part": "prepare", "src": str(root / f"photos_{count}"), "out": str(out)}
        steps["prepare, OMP_NUM_THREADS=1"].append({"images": count, **run_child(spec, {"OMP_NUM_THREADS": "1"})})
        shutil.rmtree(crops_cache, ignore_errors=True)
        spec = {"part": "cache", "crops": str(out / "crops"), "cache_dir": str(crops_cache)}
        steps["crop cache build"].append({"images": count, **run_child(spec)})
        steps["crop cache hit"].append({"images": count, **run_child(spec)})
        shutil.rmtree(crops_cache, ignore_errors=True)
        print(f"  prepare {count}: {steps['prepare, OMP_NUM_THREADS=1'][-1]['cpu']:.1f} CPU s",
              file=sys.stderr, flush=True)
    if args.shipped_images:
        spec = {"part": "prepare", "src": str(root / f"photos_{args.shipped_images}"),
                "out": str(root / f"out_shipped_{args.shipped_images}")}
        steps["prepare as shipped"].append({"images": args.shipped_images, **run_child(spec)})
    return [{"step": step, **r} for step, rows in steps.items() for r in rows]


WHY = """Why (from the code, and probes of it):
- inference: a face costs the network's 5.4 GMAC at any batch, and XNNPACK and TensorFlow keep both cores
  busy from batch 1, so time per face stays level; memory grows linearly with the batch (fp32 activations
  peak at 64x64x256 floats, 4 MB a face; Keras keeps more intermediates than LiteRT's planned arena).
- enhance grows worst: with the output's pixels, 16x the input's at x4. Detection (on a 640-pixel copy) and
  the generator (per face) do not depend on the picture; the bicubic background, the JPEG decode and encode
  and each face's paste do. At its peak a whole picture is held about 2.4 times: `upscale_window` returns a
  `.copy()` of OpenCV's result (twice), then `write_picture` holds the array and Pillow's 4-byte-a-pixel
  copy; `--max-output-mb` counts it once. A pasted face costs its output square: a float64 bilinear resize
  of the 64x64 output to `scale` x its square (feather weights above 512 pixels are not cached) and a
  float32 blend. Tiles bound the memory to a window but redo that whole-square resize in every tile a face
  reaches.
- prepare: one read, detection and PNG write per photo, linear in time; its memory grows linearly too,
  because yuface (2023.5.1) leaks with every detection (about 36 kB a call on a small blank image, without
  tfsr). The crop cache writes a memory-mapped `.npy`: its dirty pages (12 kB per 64x64 crop) count in the
  RSS until written back; opening it maps the file, but `folder_fingerprint` first stats every file of the
  folder (linear)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smallest size of each table only")
    parser.add_argument("--parts", default="inference,enhance,prepare", help="which tables")
    parser.add_argument("--engines", default=",".join(ENGINES), help="inference rows (comma-separated)")
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--pictures", default=",".join(f"{w}x{h}" for w, h in PICTURES))
    parser.add_argument("--faces", default=",".join(map(str, FACES)))
    parser.add_argument("--images", default=",".join(map(str, IMAGES)), help="photos given to tfsr prepare")
    parser.add_argument("--shipped-images", type=int, default=SHIPPED_IMAGES,
                        help="photos for the as-shipped prepare row (0: none)")
    parser.add_argument("--network", choices=("official", "tiny"), default="official")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT threads")
    parser.add_argument("--seconds", type=float, default=3.0, help="least timed seconds per case")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each inference and enhance case (median)")
    parser.add_argument("--cache", type=Path, help="keeps exported files and pictures between runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = CHILDREN[spec["part"]](spec)
        status = Path("/proc/self/status")
        if status.is_file():  # the kernel's own high-water mark of this process, to check ru_maxrss against
            hwm = [line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:")]
            result["hwm_mb"] = int(hwm[0]) / 1024 if hwm else None
        print(json.dumps(result), flush=True)
        return 0
    ints = lambda text: [int(v) for v in text.split(",") if v]  # noqa: E731
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    args.batches, args.faces, args.images = ints(args.batches), ints(args.faces), ints(args.images)
    args.pictures = [tuple(int(v) for v in p.split("x")) for p in args.pictures.split(",") if p]
    if args.quick:
        args.batches, args.faces, args.images = args.batches[:1], args.faces[:1], args.images[:1]
        args.pictures, args.shipped_images = args.pictures[:1], min(args.shipped_images, args.images[0])
    parts = set(args.parts.split(","))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU") if Path("/proc/cpuinfo").is_file() else "unknown CPU"
    print(f"{cpu}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start, {args.network} "
          f"network, {args.threads} LiteRT threads, {time.strftime('%Y-%m-%d')}", flush=True)
    growth = Growth()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        setup(args, cache, parts)
        # Each table is printed as soon as it is measured: a long run keeps what it has.
        if "inference" in parts:
            table = inference_table(measure_inference(args, cache), growth)
            print("\nInference (time per face, median call):\n\n" + "\n".join(table), flush=True)
        if "enhance" in parts:
            table = enhance_table(measure_enhance(args, cache), growth)
            print(f"\nEnhance at --scale {SCALE}, one JPEG picture in and out, int8 generator:\n\n"
                  + "\n".join(table), flush=True)
        if "prepare" in parts:
            prepare = measure_prepare(args, cache)
            print(f"\nPrepare ({PHOTO_SIDE}x{PHOTO_SIDE} photos, 64x64 crops) and the crop cache:\n\n"
                  + "\n".join(prepare_table(prepare, growth)), flush=True)
            fits = extrapolated([r for r in prepare if r["step"] != "prepare as shipped"], max(IMAGES))
            if fits:
                print("\n" + "\n".join(fits))
    print(f"\nLoad average at the end {os.getloadavg()[0]:.1f}")
    print("\nSteepest growth per part:\n")
    print("\n".join(growth.steepest() or ["- (one size per part: no exponent)"]))
    print("\n" + WHY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
