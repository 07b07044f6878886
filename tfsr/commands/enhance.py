"""Enlarge a photo, a folder of photos, a video or a camera stream, super-resolving its faces.

INPUT is a picture (any format Pillow or OpenCV reads), a folder (searched recursively; the output folder
mirrors it, pictures already done are skipped, and every other file is listed with the reason it is
skipped), a video file, or a camera index (0, 1, ...). MODEL is a training run directory, a `.keras` file
or a `.tflite` file holding a Low-to-High generator; it is loaded and checked before anything is written.

The output is the input enlarged `--scale` times (default 4, the model's factor; videos and cameras 1):
the background by bicubic resampling, and each face that the model serves (`--min-face`..`--max-face`,
by default the sizes where it measured better than bicubic) super-resolved and pasted at `--scale` times
its square with a feathered mask. `--scale 1` pastes the faces in place. An output larger than
`--max-output-mb` is refused before any work (the message says how big and how to tile); `--tile T`
writes a picture as files of at most T x T pixels instead. An unreadable file is reported and skipped;
the command then exits with status 1 and lists every failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfsr.errors import ConfigError, DataError

#: Videos and cameras are enlarged this much unless --scale says otherwise: at x4 a 720p stream becomes
#: 5120x2880, 16 times the pixels to resample, encode (mp4v) and show per frame; benchmarks/enhance.py
#: measures the frame rate at 1 and 4.
VIDEO_SCALE = 1


def _scale(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or str(value) != text.strip().lstrip("+"):
        raise argparse.ArgumentTypeError(
            f"must be a positive integer (1 pastes faces in place, 4 is the model's factor), got {text!r}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tfsr.enhance.colour import COLOUR_MODES
    from tfsr.enhance.enhancer import (
        DEFAULT_DETECT_SIDE, DEFAULT_FEATHER, DEFAULT_MARGIN, DEFAULT_MAX_FACE, DEFAULT_MAX_OUTPUT_MB,
        DEFAULT_MIN_FACE, DEFAULT_THRESHOLD, MODEL_SCALE,
    )

    parser.add_argument("input", help="a picture, a folder of pictures, a video file or a camera index")
    parser.add_argument(
        "-o", "--output", type=Path,
        help="the picture, folder or video to write (for a camera, optional when a window is shown)",
    )
    parser.add_argument("--model", required=True, help="a run directory, a .keras file or a .tflite file")
    parser.add_argument("-s", "--scale", type=_scale, default=None,
                        help=f"output size over input size, a positive integer (default {MODEL_SCALE}, the model's "
                             f"factor; videos and cameras {VIDEO_SCALE}); 1 pastes faces in place")
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads of a .tflite model")
    faces = parser.add_argument_group("faces")
    faces.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="face detection confidence")
    faces.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                       help="extra fraction of a face box's larger side cropped around it (default: the "
                            "framing of the training crops; change it only for a model trained with another)")
    faces.add_argument("--feather", type=float, default=DEFAULT_FEATHER,
                       help="blending ramp as a fraction of the face square (0 to 0.5)")
    faces.add_argument("--colour", choices=COLOUR_MODES, default="lowpass",
                       help="match the super-resolved face's colour to the input face's (lowpass, mean) or not")
    faces.add_argument("--detect-side", type=int, default=DEFAULT_DETECT_SIDE,
                       help="longest side of the downscaled copy that faces are detected on")
    faces.add_argument("--min-face", type=int, default=DEFAULT_MIN_FACE,
                       help=f"super-resolve only faces whose square is at least this many input pixels "
                            f"(default {DEFAULT_MIN_FACE}, measured; 0: no lower bound); smaller ones are resampled")
    faces.add_argument("--max-face", type=int, default=DEFAULT_MAX_FACE,
                       help=f"super-resolve only faces whose square is at most this many input pixels "
                            f"(default {DEFAULT_MAX_FACE}, measured; 0: no upper bound); larger ones are resampled")
    output = parser.add_argument_group("what to write (pictures)")
    mode = output.add_mutually_exclusive_group()
    mode.add_argument("--side-by-side", action="store_true",
                      help="write each face's input crop, its bicubic enlargement and tfsr's, side by side")
    mode.add_argument("--faces-only", action="store_true",
                      help="write only the super-resolved faces (at --scale times their square), as OUTPUT_face<k>")
    output.add_argument("--panel", type=int, default=128, help="side of each side-by-side panel in pixels")
    output.add_argument("--max-output-mb", type=float, default=DEFAULT_MAX_OUTPUT_MB,
                        help="refuse an output picture larger than this in memory (default %(default)s MB)")
    output.add_argument("--tile", type=int, default=0,
                        help="write each picture as files OUTPUT_r<i>_c<j> of at most this many pixels a side, "
                             "made one at a time (bounded memory for huge outputs)")
    output.add_argument("--overwrite", action="store_true", help="redo pictures whose output already exists")
    video = parser.add_argument_group("video and camera")
    video.add_argument("--every", type=int, default=5, help="detect faces on one frame in this many, track between")
    video.add_argument("--smoothing", type=float, default=0.3,
                       help="weight of the tracked box against a new detection, in [0, 1)")
    video.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: all)")
    video.add_argument("--show", action=argparse.BooleanOptionalAction, default=None,
                       help="show the camera stream in a window (default: when a display exists)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from tfsr.enhance.enhancer import MODEL_SCALE
    from tfsr.enhance.video import VIDEO_EXTENSIONS

    source = args.input
    camera = source.isdigit() and not Path(source).exists()
    path = Path(source)
    if not camera and not path.exists():
        raise DataError(f"{path}: no such file or folder")
    is_video = not camera and path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS
    if (camera or is_video) and (args.side_by_side or args.faces_only or args.tile):
        raise DataError("--side-by-side, --faces-only and --tile apply to pictures, not to videos")
    if args.output is None and not camera:
        raise DataError("give the output with -o/--output")
    if args.scale is None:
        args.scale = VIDEO_SCALE if (camera or is_video) else MODEL_SCALE
    _check_options(args)
    # The model is loaded and checked before any output exists.
    enhancer = _enhancer(args)
    if camera:
        return _run_video(enhancer, int(source), args)
    if is_video:
        return _run_video(enhancer, path, args)
    return _run_pictures(enhancer, path, args)


def _check_options(args: argparse.Namespace) -> None:
    bad = [
        f"{flag} {value}"
        for flag, value, ok in (
            ("--every", args.every, args.every >= 1),
            ("--smoothing", args.smoothing, 0.0 <= args.smoothing < 1.0),
            ("--threads", args.threads, args.threads >= 1),
            ("--panel", args.panel, args.panel >= 1),
            ("--max-frames", args.max_frames, args.max_frames >= 0),
            ("--min-face", args.min_face, args.min_face >= 0),
            ("--max-face", args.max_face, args.max_face >= 0),
            ("--detect-side", args.detect_side, args.detect_side >= 0),
            ("--threshold", args.threshold, 0.0 <= args.threshold <= 1.0),
            ("--max-output-mb", args.max_output_mb, args.max_output_mb > 0),
            ("--tile", args.tile, args.tile >= 0),
        )
        if not ok
    ]
    if bad:
        raise ConfigError(
            f"out of range: {', '.join(bad)} (--every, --threads, --panel >= 1; --smoothing in [0, 1); "
            "--threshold in [0, 1]; --max-frames, --min-face, --max-face, --detect-side, --tile >= 0; "
            "--max-output-mb > 0)"
        )
    if args.min_face and args.max_face and args.min_face > args.max_face:
        raise ConfigError(f"--min-face {args.min_face} is above --max-face {args.max_face}: no face would be enhanced")


def _enhancer(args: argparse.Namespace):
    from tfsr.enhance.enhancer import Enhancer

    try:
        return Enhancer(
            args.model,
            scale=args.scale,
            margin=args.margin,
            feather=args.feather,
            colour=args.colour,
            threshold=args.threshold,
            detect_side=args.detect_side,
            min_face=args.min_face,
            max_face=args.max_face,
            max_output_mb=args.max_output_mb,
            num_threads=args.threads,
        )
    except ValueError as err:
        raise DataError(str(err)) from None


def _run_video(enhancer, source: Path | int, args: argparse.Namespace) -> int:
    from tfsr.enhance.video import display_available, enhance_video, video_output

    show = args.show if args.show is not None else isinstance(source, int) and display_available()
    if show and not display_available():
        raise DataError("no display (or OpenCV without a GUI) here: drop --show and record with -o FILE.mp4")
    output = video_output(source, args.output)
    if output is None and not show:
        raise DataError("no display here to show the camera: record it with -o FILE.mp4")
    stats = enhance_video(
        enhancer, source, output, every=args.every, smoothing=args.smoothing, show=show,
        max_frames=args.max_frames, progress=not args.quiet,
    )
    seconds = enhancer.timings.seconds
    split = ", ".join(f"{k} {1e3 * v / max(stats.frames, 1):.1f} ms" for k, v in seconds.items())
    where = f" -> {output}" if output else ""
    print(f"{stats.frames} frames, {stats.faces} faces in {stats.seconds:.1f} s: {stats.fps:.1f} fps "
          f"at --scale {enhancer.scale}{where}")
    print(f"per frame: {split}")
    return 0


def _run_pictures(enhancer, source: Path, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tfsr.enhance.folders import PictureMode, enhance_pictures

    mode = PictureMode(faces_only=args.faces_only, side_by_side=args.side_by_side, panel=args.panel,
                       tile=args.tile, overwrite=args.overwrite)

    def progress(jobs):
        return tqdm(jobs, unit="picture", disable=args.quiet or len(jobs) == 1)

    report = enhance_pictures(enhancer, source, args.output, mode, progress,
                              on_failure=lambda message: tqdm.write(f"tfsr enhance: {message}", file=sys.stderr))
    print(f"{report.done} pictures enhanced at --scale {enhancer.scale} ({report.faces} faces super-resolved), "
          f"{report.already} already done, {len(report.failures)} failed, {len(report.skipped)} other files "
          f"skipped -> {args.output}")
    for line in report.skipped:
        print(f"  skipped {line}")
    if report.failures:
        print(f"tfsr enhance: {len(report.failures)} pictures failed:", file=sys.stderr)
        for message in report.failures:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0
