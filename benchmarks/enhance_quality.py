"""Which faces `tfsr enhance` should super-resolve, and which resampler enlarges the rest: measured.

Two tables, both against the original pixels:

1. Background resampler. Real photos (the shipped portraits and four more scikit-image pictures) are
   shrunk by area averaging and enlarged back by x2 and x4 with nearest, bilinear, bicubic and Lanczos
   (OpenCV); PSNR-Y against the original and milliseconds per output megapixel.
2. Face sizes. A face square of `s` pixels enlarged `S` times, for several `s`: the ground truth is the
   original face square area-resized to `S * s`; the small face is the ground truth area-resized to `s`
   (a face that is small in a sharp photo). "bicubic" enlarges it with the background resampler; "tfsr" is
   exactly what `tfsr enhance` writes in the square: the generator's output (16x16 input, colour matched,
   resized to `S * s`) pasted over the bicubic square with the feathered mask. PSNR-Y and SSIM-Y
   (`tfsr.evaluation.metrics`), averaged over the faces that have a ground truth that large. The last
   column is an experiment, not what `enhance` does: the gain if a square smaller than 16 were enlarged to
   the generator's 16x16 by bicubic instead of area resampling (which repeats pixels in blocks).

Faces: scikit-image's `lfw_subset()` (100 gray 25x25 faces of people the demo never trained on: sizes up to
25 / S only) and the faces of the three shipped portraits (astronaut, camera, grace_hopper) cut 8 times
each with a jittered box (sizes up to their own face square / S). The portraits are the demo set's
identities, so the large sizes are measured on faces the demo model has seen (at 64x64): an optimistic
case for the model, which makes "bicubic wins" there all the more telling.

Usage:
    .venv/bin/python benchmarks/enhance_quality.py --model demo_out/runs/stage3
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

SCALES = (2, 3, 4)
SIDES = (4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 48, 64)
RESAMPLERS = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}
JITTERS = 8


def background_table() -> list[str]:
    import skimage.data

    from tfsr.data.demo import photos
    from tfsr.evaluation.metrics import psnr

    pictures = {**photos(), **{n: getattr(skimage.data, n)() for n in ("coffee", "chelsea", "rocket", "hubble_deep_field")}}
    rows = ["| scale | resampler | PSNR-Y (dB) | ms per output megapixel |", "|---:|---|---:|---:|"]
    for scale in SCALES:
        for name, flag in RESAMPLERS.items():
            scores, times = [], []
            for picture in pictures.values():
                h, w = (d - d % scale for d in picture.shape[:2])
                picture = np.ascontiguousarray(picture[:h, :w])
                small = cv2.resize(picture, (w // scale, h // scale), interpolation=cv2.INTER_AREA)
                start = time.perf_counter()
                big = cv2.resize(small, (w, h), interpolation=flag)
                times.append((time.perf_counter() - start) * 1e3 / (h * w / 1e6))
                scores.append(psnr(big[None], picture[None], "y"))
            rows.append(f"| {scale} | {name} | {np.mean(scores):.2f} | {np.median(times):.1f} |")
    return rows


def face_squares() -> list[tuple[str, np.ndarray]]:
    """(source, square face crop at its full resolution) for every held-out face."""
    import skimage.data

    from tfsr import faces
    from tfsr.data.demo import photos
    from tfsr.faces.detection import YuNetDetector

    out = []
    for k, face in enumerate(skimage.data.lfw_subset()[:100]):
        gray = np.round(face * 255).astype(np.uint8)
        out.append(("lfw", np.repeat(gray[..., None], 3, axis=2)))
    detector = YuNetDetector(score_threshold=0.5)
    rng = np.random.default_rng(13)
    for name, photo in photos().items():
        x, y, w, h, _ = detector.detect(photo)[0]
        for _ in range(JITTERS):
            dx, dy = rng.uniform(-0.05, 0.05, 2) * w
            zoom = rng.uniform(0.95, 1.05)
            box = (x + dx, y + dy, w * zoom, h * zoom)
            out.append((name, faces.crop_square(photo, *faces.square_box(box, faces.FACE_MARGIN, photo.shape[:2]))))
    return out


def _pasted(resolver, low: np.ndarray, bicubic: np.ndarray, big: int) -> np.ndarray:
    """What `enhance` writes in each square: the colour-matched output pasted over the bicubic square."""
    from tfsr import faces
    from tfsr.enhance.colour import keep_colour
    from tfsr.enhance.enhancer import DEFAULT_FEATHER

    high = keep_colour(resolver(low), low, "lowpass")
    return np.stack([faces.paste_face(b, h, 0, 0, big, DEFAULT_FEATHER) for b, h in zip(bicubic, high)])


def face_table(model: str) -> list[str]:
    from tfsr import faces
    from tfsr.enhance.backends import load_super_resolver
    from tfsr.evaluation.metrics import psnr_per_image, ssim_per_image
    from tfsr.pixels import to_unit

    resolver = load_super_resolver(model)
    squares = face_squares()
    rows = [
        "| scale | face square (input px) | faces | bicubic PSNR-Y | tfsr PSNR-Y | gain (dB) | bicubic SSIM-Y | tfsr SSIM-Y "
        "| gain, bicubic to 16 (experiment) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale in SCALES:
        for side in SIDES:
            big = scale * side
            usable = [sq for _, sq in squares if sq.shape[0] >= big]
            if len(usable) < 4:
                continue
            truth = np.stack([cv2.resize(sq, (big, big), interpolation=cv2.INTER_AREA) for sq in usable])
            small = np.stack([cv2.resize(t, (side, side), interpolation=cv2.INTER_AREA) for t in truth])
            bicubic = np.stack([faces.upscale(s, scale) for s in small])
            low = np.stack([faces.face_input(s, 0, 0, side) for s in small])
            pasted = _pasted(resolver, low, bicubic, big)
            pb, pt = psnr_per_image(bicubic, truth, "y"), psnr_per_image(pasted, truth, "y")
            experiment = ""
            if side < faces.INPUT_SIDE:
                cubic = np.stack([to_unit(cv2.resize(s, (faces.INPUT_SIDE,) * 2, interpolation=cv2.INTER_CUBIC))
                                  for s in small])
                experiment = f"{psnr_per_image(_pasted(resolver, cubic, bicubic, big), truth, 'y').mean() - pb.mean():+.2f}"
            # SSIM's 11x11 window needs at least 11 pixels.
            sb = ssim_per_image(bicubic, truth, "y").mean() if big >= 11 else float("nan")
            st = ssim_per_image(pasted, truth, "y").mean() if big >= 11 else float("nan")
            rows.append(
                f"| {scale} | {side} | {len(usable)} | {pb.mean():.2f} | {pt.mean():.2f} | {pt.mean() - pb.mean():+.2f} "
                f"| {sb:.4f} | {st:.4f} | {experiment} |"
            )
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo_out/runs/stage3", help="a run directory, .keras or .tflite file")
    parser.add_argument("--no-background", action="store_true", help="skip the background resampler table")
    args = parser.parse_args()
    if not args.no_background:
        print("\n".join(background_table()), flush=True)
        print()
    print("\n".join(face_table(args.model)))


if __name__ == "__main__":
    main()
