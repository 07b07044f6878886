"""Super-resolve the faces in a photo, a folder of photos, a video or a camera stream.

INPUT is a picture (JPEG, PNG, WebP, BMP), a folder (searched recursively; the output folder mirrors it
and pictures already done are skipped), a video file, or a camera index (0, 1, ...). MODEL is a training
run directory, a `.keras` file or a `.tflite` file holding a Low-to-High generator; it is loaded and
checked before anything is written. Faces are found with YuNet, cropped as squares with a margin,
area-downsampled to 16x16, super-resolved all together, and pasted back at their size with a feathered
mask; the rest of the picture is untouched. An unreadable file is reported and skipped; the command then
exits with status 1 and lists every failure.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tfsr.errors import ConfigError, DataError, TfsrError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tfsr.enhance.colour import COLOUR_MODES
    from tfsr.enhance.enhancer import DEFAULT_DETECT_SIDE, DEFAULT_FEATHER, DEFAULT_MARGIN, DEFAULT_THRESHOLD

    parser.add_argument("input", help="a picture, a folder of pictures, a video file or a camera index")
    parser.add_argument(
        "-o", "--output", type=Path,
        help="the picture, folder or video to write (for a camera, optional when a window is shown)",
    )
    parser.add_argument("--model", required=True, help="a run directory, a .keras file or a .tflite file")
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads of a .tflite model")
    faces = parser.add_argument_group("faces")
    faces.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="face detection confidence")
    faces.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                       help="extra fraction of a face box's larger side cropped around it")
    faces.add_argument("--feather", type=float, default=DEFAULT_FEATHER,
                       help="blending ramp as a fraction of the face square (0 to 0.5)")
    faces.add_argument("--colour", choices=COLOUR_MODES, default="lowpass",
                       help="match the super-resolved face's colour to the input face's (lowpass, mean) or not")
    faces.add_argument("--detect-side", type=int, default=DEFAULT_DETECT_SIDE,
                       help="longest side of the downscaled copy that faces are detected on")
    faces.add_argument("--max-face", type=int, default=0,
                       help="leave faces whose crop is larger than this many pixels alone (0: enhance all)")
    output = parser.add_argument_group("what to write (pictures)")
    mode = output.add_mutually_exclusive_group()
    mode.add_argument("--side-by-side", action="store_true",
                      help="write each face's input crop, bicubic upscale and super-resolved face side by side")
    mode.add_argument("--faces-only", action="store_true",
                      help="write only the super-resolved faces, as OUTPUT_face<k> files")
    output.add_argument("--panel", type=int, default=128, help="side of each side-by-side panel in pixels")
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
    from tfsr.enhance.video import VIDEO_EXTENSIONS

    source = args.input
    camera = source.isdigit() and not Path(source).exists()
    path = Path(source)
    if not camera and not path.exists():
        raise DataError(f"{path}: no such file or folder")
    is_video = not camera and path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS
    if (camera or is_video) and (args.side_by_side or args.faces_only):
        raise DataError("--side-by-side and --faces-only apply to pictures, not to videos")
    if args.output is None and not camera:
        raise DataError("give the output with -o/--output")
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
            ("--max-face", args.max_face, args.max_face >= 0),
            ("--detect-side", args.detect_side, args.detect_side >= 0),
            ("--threshold", args.threshold, 0.0 <= args.threshold <= 1.0),
        )
        if not ok
    ]
    if bad:
        raise ConfigError(
            f"out of range: {', '.join(bad)} (--every, --threads, --panel >= 1; --smoothing in [0, 1); "
            "--threshold in [0, 1]; --max-frames, --max-face, --detect-side >= 0)"
        )


def _enhancer(args: argparse.Namespace):
    from tfsr.enhance.enhancer import Enhancer

    try:
        return Enhancer(
            args.model,
            margin=args.margin,
            feather=args.feather,
            colour=args.colour,
            threshold=args.threshold,
            detect_side=args.detect_side,
            max_face=args.max_face,
            num_threads=args.threads,
        )
    except ValueError as err:
        raise DataError(str(err)) from None


def _output_for_video(source: Path | int, output: Path | None) -> Path | None:
    from tfsr.enhance.video import VIDEO_CODECS

    if output is None or not output.is_dir():
        return output
    name = f"camera{source}.mp4" if isinstance(source, int) else source.name
    out = output / name
    return out if out.suffix.lower() in VIDEO_CODECS else out.with_suffix(".mp4")


def _run_video(enhancer, source: Path | int, args: argparse.Namespace) -> int:
    from tfsr.enhance.video import display_available, enhance_video

    show = args.show if args.show is not None else isinstance(source, int) and display_available()
    if show and not display_available():
        raise DataError("no display (or OpenCV without a GUI) here: drop --show and record with -o FILE.mp4")
    output = _output_for_video(source, args.output)
    if output is None and not show:
        raise DataError("no display here to show the camera: record it with -o FILE.mp4")
    stats = enhance_video(
        enhancer, source, output, every=args.every, smoothing=args.smoothing, show=show,
        max_frames=args.max_frames, progress=not args.quiet,
    )
    seconds = enhancer.timings.seconds
    split = ", ".join(f"{k} {1e3 * v / max(stats.frames, 1):.1f} ms" for k, v in seconds.items())
    where = f" -> {output}" if output else ""
    print(f"{stats.frames} frames, {stats.faces} faces in {stats.seconds:.1f} s: {stats.fps:.1f} fps{where}")
    print(f"per frame: {split}")
    return 0


def _picture_jobs(source: Path, output: Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs: one for a picture, the whole tree for a folder (minus the output folder in it)."""
    from tfsr.data.images import list_images

    if source.is_file():
        return [(source, output / source.name if output.is_dir() else output)]
    if output.exists() and not output.is_dir():
        raise DataError(f"{output}: the output of a folder must be a folder")
    out_root = output.resolve()
    jobs = []
    for file in list_images(source):
        if out_root == file.resolve().parent or out_root in file.resolve().parents:
            continue
        jobs.append((file, output / file.relative_to(source)))
    return jobs


def _faces_path(dst: Path, k: int) -> Path:
    return dst.with_name(f"{dst.stem}_face{k}{dst.suffix}")


def _already_done(dst: Path, args: argparse.Namespace) -> bool:
    if args.overwrite:
        return False
    return _faces_path(dst, 0).exists() if args.faces_only else dst.exists()


def _enhance_picture(enhancer, src: Path, dst: Path, args: argparse.Namespace) -> int:
    """Enhances one picture and writes what the mode asks for; returns the number of faces."""
    from tfsr.enhance import facecrop
    from tfsr.enhance.panels import side_by_side
    from tfsr.enhance.pictures import PICTURE_EXTENSIONS, read_picture, write_picture

    if dst.suffix.lower() not in PICTURE_EXTENSIONS:
        raise DataError(f"{dst}: unknown picture format (use one of {', '.join(PICTURE_EXTENSIONS)})")
    pixels = read_picture(src)
    enhanced, faces = enhancer.enhance_faces(pixels)
    if args.faces_only:
        for k, face in enumerate(faces):
            write_picture(_faces_path(dst, k), facecrop.to_pixels(face.high))
    elif args.side_by_side:
        if faces:
            write_picture(dst, side_by_side(pixels, faces, args.panel))
    elif not faces and src.suffix.lower() == dst.suffix.lower():
        # Nothing to change: the very same file, not a re-encoded copy.
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
    else:
        write_picture(dst, enhanced)
    return len(faces)


def _run_pictures(enhancer, source: Path, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    jobs = _picture_jobs(source, args.output)
    if not jobs:
        raise DataError(f"{source}: no pictures found")
    failures: list[str] = []
    done = skipped = faces = 0
    bar = tqdm(jobs, unit="picture", disable=args.quiet or len(jobs) == 1)
    for src, dst in bar:
        if _already_done(dst, args):
            skipped += 1
            continue
        try:
            faces += _enhance_picture(enhancer, src, dst, args)
            done += 1
        except (TfsrError, OSError) as err:
            message = str(err) if isinstance(err, TfsrError) else f"{src}: {err}"
            failures.append(message)
            tqdm.write(f"tfsr enhance: {message}", file=sys.stderr)
    bar.close()
    print(f"{done} pictures enhanced ({faces} faces), {skipped} already done, {len(failures)} failed -> {args.output}")
    if failures:
        print(f"tfsr enhance: {len(failures)} pictures failed:", file=sys.stderr)
        for message in failures:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0
