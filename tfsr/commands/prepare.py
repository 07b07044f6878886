"""Detect faces in photos and write square face crops (64x64 hr or 16x16 lr) plus a manifest.

Point `data.hr_dirs` (or `data.lr_dirs`) of a config at OUT afterwards. Running the same command again
resumes: photos already in OUT/manifest.jsonl are skipped.
"""

from __future__ import annotations

import argparse

from tfsr.faces import FACE_MARGIN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", help="a folder of photos (searched recursively) or one photo")
    parser.add_argument("out", help="output folder: crops/, manifest.jsonl, unreadable.txt, skipped.txt")
    parser.add_argument("--kind", choices=["hr", "lr"], default="hr", help="hr: 64x64 crops, lr: 16x16 (default hr)")
    parser.add_argument("--size", type=int, default=0, help="crop side in pixels (default: 64 for hr, 16 for lr)")
    parser.add_argument("--score", type=float, default=0.5, help="face detector confidence threshold (default 0.5)")
    parser.add_argument(
        "--margin", type=float, default=FACE_MARGIN,
        help=f"crop side = (1 + margin) x the face box's longest side (default {FACE_MARGIN}, the framing "
        "tfsr enhance and the Android app use: change it only with theirs)",
    )
    parser.add_argument("--max-side", type=int, default=640, help="shrink photos to this longest side to detect")
    parser.add_argument("--min-face", type=int, default=0, help="skip faces smaller than this many pixels")
    parser.add_argument("--max-face", type=int, default=0, help="skip faces this large or larger (0: no limit)")
    parser.add_argument("--workers", type=int, default=0, help="worker threads (default: one per CPU)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tfsr.data.prepare import PrepareOptions, prepare_faces
    from tfsr.errors import DataError

    if not 0 <= args.score <= 1:
        raise DataError(f"--score must be in [0, 1], got {args.score}")
    if args.margin < 0 or args.size < 0 or args.max_side < 0 or args.workers < 0:
        raise DataError("--margin, --size, --max-side and --workers must be >= 0")
    options = PrepareOptions(
        kind=args.kind,
        size=args.size,
        score_threshold=args.score,
        margin=args.margin,
        max_side=args.max_side,
        min_face=args.min_face,
        max_face=args.max_face,
    )
    s = prepare_faces(args.src, args.out, options, workers=args.workers, progress=not args.no_progress)
    print(
        f"{s.photos} photos ({s.resumed} already done): {s.faces} faces written, "
        f"{s.without_faces} photos without faces, {len(s.unreadable)} unreadable"
        + (f" (listed in {args.out}/unreadable.txt)" if s.unreadable else "")
        + f", {len(s.skipped)} other files skipped"
    )
    for line in s.skipped:
        print(f"  skipped {line}")
    return 0
