"""Frames per second of `tfsr enhance` on a generated 1280x720 video, per backend, 1 and 4 faces, at scale 1 and 4.

The video is made from real portraits (scikit-image's astronaut and camera, matplotlib's grace_hopper),
each cut around its face and moved over a textured background; faces are about 110 pixels wide. Every
configuration runs the whole `enhance_video` loop (decode, detect on a 640x360 copy every 5 frames and
track in between, crop, one batched generator call, colour matching, the frame enlarged by `--scale` with
bicubic resampling, feathered paste at that scale, encode) and reports the median frame time as fps, the
overall fps, and where the time goes per frame. Every face is super-resolved whatever its size (speed, not
the default size range, is measured). At scale 4 each output frame is 5120x2880. The baseline in the
same run is the same pipeline with no network (nearest x4 in place of the generator): the cost of
everything but super-resolution, at each scale.

The generator is the official-shape Low-to-High network (15.5 M parameters, 5.4 GMAC per face) with random
weights unless `--model` names a trained one: speed does not depend on the weights, quality (the PSNR
column, each backend's faces against Keras float32 on held-out real faces) does. `.tflite` files are
written with `tfsr.export` once and kept in `--work`.

Usage:
    .venv/bin/python benchmarks/enhance.py                   # Keras, fp32, int8; 1 and 4 faces
    .venv/bin/python benchmarks/enhance.py --formats fp32,fp16,dynamic,int8 --frames 80
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

SIZE = (1280, 720)
FACE_WIDTH = 110  # pixels of a face box in the video
STAGES = ("detect", "crop", "super_resolve", "colour", "upscale", "paste")
SCALES = (1, 4)


def portraits() -> list[np.ndarray]:
    """Head-and-shoulders cuts of the shipped portraits, each with its face about `FACE_WIDTH` wide."""
    import cv2

    from tfsr.data.demo import photos
    from tfsr.faces.detection import YuNetDetector

    detector = YuNetDetector(score_threshold=0.5)
    cuts = []
    for photo in photos().values():
        x, y, w, h, _ = detector.detect(photo)[0]
        scale = FACE_WIDTH / w
        side = int(round(2.2 * max(w, h)))
        cx, cy = x + w // 2, y + h // 2
        top, left = max(cy - side // 2, 0), max(cx - side // 2, 0)
        cut = photo[top : top + side, left : left + side]
        cuts.append(cv2.resize(cut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    cuts.append(cuts[0][:, ::-1].copy())  # a fourth face: the astronaut mirrored
    return cuts


def make_video(path: Path, faces: int, frames: int, fps: float = 25.0) -> Path:
    """Writes the test video: `faces` portraits drifting on ellipses over a gradient with fine texture."""
    import cv2

    from tfsr.enhance.video import open_writer

    w, h = SIZE
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    background = np.stack([60 + 80 * xx / w, 90 + 60 * yy / h, 140 - 50 * xx / w], axis=2)
    background = np.clip(background + rng.normal(0, 6, background.shape), 0, 255).astype(np.uint8)
    cuts = portraits()[:faces]
    anchors = [(0.25, 0.3), (0.7, 0.3), (0.25, 0.72), (0.7, 0.72)]
    writer = open_writer(path, fps, SIZE)
    for f in range(frames):
        frame = background.copy()
        for k, cut in enumerate(cuts):
            ax, ay = anchors[k] if faces > 1 else (0.5, 0.5)
            phase = 2 * np.pi * f / 100 + k
            x = int(ax * w + 60 * np.cos(phase) - cut.shape[1] / 2)
            y = int(ay * h + 25 * np.sin(phase) - cut.shape[0] / 2)
            frame[y : y + cut.shape[0], x : x + cut.shape[1]] = cut
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


class NearestX4:
    """The baseline 'generator': nearest-neighbour x4, no network."""

    name = "no network (baseline)"

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        return np.asarray(faces).repeat(4, axis=1).repeat(4, axis=2)


def tflite_files(model, formats: list[str], work: Path, stem: str) -> dict[str, Path]:
    """`.tflite` files of `model` in each format (batch 1, resized at run time), converted once into `work`."""
    from tfsr.export.convert import convert_saved_model, write_saved_model
    from tfsr.export.quantize import representative_faces

    files = {fmt: work / f"{stem}_{fmt}.tflite" for fmt in formats}
    missing = [fmt for fmt, f in files.items() if not f.is_file()]
    if missing:
        saved = write_saved_model(model, 1, Path(tempfile.mkdtemp(dir=work)) / "saved_model")
        calibration = representative_faces(64, split="train") if "int8" in missing else None
        for fmt in missing:
            print(f"converting {files[fmt].name} ...", flush=True)
            files[fmt].write_bytes(convert_saved_model(saved, fmt, calibration))
    return files


def measure(backend, video: Path, out: Path, every: int, scale: int) -> dict[str, float]:
    """Runs the video loop once with `backend` at `scale`; returns fps and per-frame milliseconds per stage."""
    from tfsr.enhance.enhancer import Enhancer
    from tfsr.enhance.video import enhance_video

    enhancer = Enhancer(backend, scale=scale, min_face=0, max_face=0)
    warm = np.zeros((4, 16, 16, 3), np.float32)
    enhancer.super_resolver(warm)  # the first call of a batch size allocates; keep it out of the clock
    enhancer.detect(np.zeros((SIZE[1], SIZE[0], 3), np.uint8))
    enhancer.timings = type(enhancer.timings)()
    stamps: list[float] = []
    cpu = time.process_time()
    stats = enhance_video(
        enhancer, video, out, every=every, progress=False, on_frame=lambda i, f: stamps.append(time.perf_counter())
    )
    cpu_ms = 1e3 * (time.process_time() - cpu) / stats.frames
    frame_ms = 1e3 * np.median(np.diff(stamps))
    split = {k: 1e3 * enhancer.timings.seconds.get(k, 0.0) / stats.frames for k in STAGES}
    other = 1e3 * stats.seconds / stats.frames - sum(split.values())
    return {
        "fps": 1e3 / frame_ms,
        "fps_all": stats.fps,
        "cpu": cpu_ms,
        **split,
        "other": other,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a run directory or .keras file (default: official shape, random weights)")
    parser.add_argument("--formats", default="fp32,int8", help="comma-separated .tflite formats to measure")
    parser.add_argument("--frames", type=int, default=40, help="frames per video")
    parser.add_argument("--every", type=int, default=5, help="detect on one frame in this many")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT threads")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras backend (slow on 2 cores)")
    parser.add_argument("--scales", type=lambda t: [int(v) for v in t.split(",")], default=list(SCALES),
                        help="comma-separated output scales (default 1,4)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tfsr-bench-enhance")
    args = parser.parse_args()

    import keras

    from tfsr.enhance.backends import KerasSuperResolver, TFLiteSuperResolver
    from tfsr.export.parity import psnr
    from tfsr.export.quantize import representative_faces

    args.work.mkdir(parents=True, exist_ok=True)
    if args.model:
        from tfsr.models.loading import load_generator

        model, stem = load_generator(args.model, "low_to_high"), Path(args.model).stem
    else:
        from tfsr.models.official_low_to_high import OfficialLowToHighGenerator

        keras.utils.set_random_seed(0)
        model, stem = OfficialLowToHighGenerator(), "official_random"
        model.build((None, 16, 16, 3))
        if not (args.work / f"{stem}.weights.h5").is_file():
            model.save_weights(args.work / f"{stem}.weights.h5")
        model.load_weights(args.work / f"{stem}.weights.h5")  # the same weights as the cached .tflite files
    formats = [f for f in args.formats.split(",") if f]
    files = tflite_files(model, formats, args.work, stem)

    backends = {"no network (baseline)": NearestX4()}
    if not args.no_keras:
        backends["keras fp32"] = KerasSuperResolver(model)
    for fmt, file in files.items():
        backends[f"tflite {fmt}"] = TFLiteSuperResolver(file, num_threads=args.threads)

    held_out = representative_faces(None, split="test")[:32]
    reference = KerasSuperResolver(model)(held_out)
    videos = {n: make_video(args.work / f"video_{n}faces.avi", n, args.frames) for n in (1, 4)}
    load_before = os.getloadavg()[0]
    rows = []
    for name, backend in backends.items():
        quality = {"keras fp32": "reference", "no network (baseline)": ""}.get(name)
        quality = quality if quality is not None else f"{psnr(reference, backend(held_out)):.1f}"
        for scale in args.scales:
            for n, path in videos.items():
                r = measure(backend, path, args.work / "out.avi", args.every, scale)
                rows.append((name, scale, n, r, quality))
                print(f"{name:24s} x{scale} {n} face(s): {r['fps']:.1f} fps", flush=True)
    load_after = os.getloadavg()[0]

    print()
    print(f"1280x720, {args.frames} frames, detection every {args.every} frames on a 640x360 copy, "
          f"{os.cpu_count()} CPUs, load average {load_before:.1f} -> {load_after:.1f}")
    print()
    print("| backend | scale | faces | fps (median frame) | fps (overall) | CPU ms/frame | detect ms | crop ms "
          "| SR ms | colour ms | upscale ms | paste ms | decode+encode+track ms | PSNR vs Keras (dB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, scale, n, r, quality in rows:
        print(f"| {name} | {scale} | {n} | {r['fps']:.1f} | {r['fps_all']:.1f} | {r['cpu']:.0f} | {r['detect']:.1f} "
              f"| {r['crop']:.1f} | {r['super_resolve']:.1f} | {r['colour']:.1f} | {r['upscale']:.1f} "
              f"| {r['paste']:.1f} | {r['other']:.1f} | {quality} |")


if __name__ == "__main__":
    main()
