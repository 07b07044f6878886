"""Measure a trained model as in the paper's table 1: FID on real LR faces, PSNR/SSIM on bilinear and real pairs.

Examples:
    tfsr evaluate runs/l2h --lr-test data/wider_lr_test --hr-ref data/hr_ref --num-images 3000
    tfsr evaluate l2h_fp16.tflite --lr-test lr/ --hr-ref hr/ --paired-hr ls3dw_1000/ \\
        --inception-weights inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5
    tfsr evaluate runs/l2h --lr-test lr/ --hr-ref hr/ --paired-hr pairs/hr --paired-lr pairs/lr --offline

Writes OUTPUT/eval.json and OUTPUT/eval.md (default OUTPUT: RUN/eval for a run directory, MODEL_eval
beside a model file). The FID protocol is documented in tfsr/evaluation/fid.py and docs/evaluation.md.
When Keras' cached Inception-v3 weights are not there (and --offline or no network keeps them from being
downloaded), FID is skipped with a notice and PSNR/SSIM are measured all the same; a --inception-weights
file that cannot be read is an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported only when the command runs, so `tfsr --help` stays light
    from tfsr.evaluation.fid import FeatureExtractor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", help="Low-to-High run directory, .keras file or .tflite file")
    parser.add_argument("--lr-test", required=True, metavar="DIR", help="real low-resolution test faces (16x16)")
    parser.add_argument("--hr-ref", required=True, metavar="DIR", help="high-resolution reference faces (64x64)")
    parser.add_argument("--paired-hr", metavar="DIR",
                        help="high-resolution faces for PSNR/SSIM: bilinearly downsampled, then super-resolved")
    parser.add_argument("--paired-lr", metavar="DIR",
                        help="real low-resolution partners of --paired-hr faces, matched by file name without "
                        "extension (1/4 the size): PSNR/SSIM of their super-resolution, bicubic and bilinear")
    parser.add_argument("--high-to-low", metavar="RUN_OR_MODEL",
                        help="High-to-Low generator for the degradation FID (default: the model's own run)")
    parser.add_argument("--num-images", type=int, metavar="N",
                        help="the LR test set must hold exactly N faces (the paper: 3000); default: all")
    parser.add_argument("--num-paired", type=int, metavar="N",
                        help="--paired-hr must hold exactly N faces (the paper: 1000); default: all")
    parser.add_argument("--inception-weights", metavar="FILE",
                        help="Inception-v3 (no top) weights; default: Keras' cached ImageNet download")
    parser.add_argument("--offline", action="store_true",
                        help="never download the Inception weights (fail if they are not cached)")
    parser.add_argument("--batch-size", type=int, default=50, help="images per network call (default 50)")
    parser.add_argument("--cache-dir", default=None,
                        help="FID statistics cache of the folders ('' disables; default $TFSR_CACHE/fid, "
                        "$TFSR_CACHE defaulting to ~/.cache/tfsr)")
    parser.add_argument("--output", metavar="DIR", help="where eval.json and eval.md go")


def default_cache_dir() -> Path:
    """`$TFSR_CACHE/fid`, `~/.cache/tfsr/fid` when TFSR_CACHE is unset (beside the demo set's cache)."""
    return Path(os.environ.get("TFSR_CACHE") or Path.home() / ".cache" / "tfsr").expanduser() / "fid"


def default_output(model: Path) -> Path:
    """RUN/eval for a run directory, `<model>_eval` beside a model file."""
    return model / "eval" if model.is_dir() else model.with_name(f"{model.stem}_eval")


def notice(message: str) -> None:
    """One line on stderr: something was left out, but the evaluation goes on."""
    print(f"tfsr evaluate: {' '.join(message.split())}", file=sys.stderr)


def feature_network(args: argparse.Namespace) -> tuple[FeatureExtractor | None, str]:
    """Inception-v3 for FID, or None and why not when Keras' default weights cannot be had.

    A file named with --inception-weights that cannot be read stays an error: whoever names one wants FID.
    """
    from tfsr.errors import ModelError
    from tfsr.evaluation.inception import inception_v3

    try:
        return inception_v3(args.inception_weights, allow_download=not args.offline), ""
    except ModelError as err:
        if args.inception_weights is not None:
            raise
        return None, " ".join(str(err).split())


def run(args: argparse.Namespace) -> int:
    from tfsr.errors import DataError
    from tfsr.evaluation.table1 import evaluate_model, format_markdown, load_evaluation_sets

    if args.batch_size < 1:
        raise DataError(f"--batch-size must be at least 1, got {args.batch_size}")
    # Folders first: a wrong folder fails in a second, before Inception's weights are read.
    sets = load_evaluation_sets(args.lr_test, args.hr_ref, args.paired_hr, args.num_images, args.num_paired,
                                args.paired_lr)
    unmatched = sets.paired_lr.unmatched_notice() if sets.paired_lr is not None else None
    if unmatched:
        notice(unmatched)
    extractor, why = feature_network(args)
    if extractor is None:
        notice(f"FID skipped, PSNR/SSIM still measured: {why}")
    results = evaluate_model(
        args.model,
        sets,
        extractor,
        batch_size=args.batch_size,
        cache_dir=default_cache_dir() if args.cache_dir is None else (args.cache_dir or None),
        high_to_low=args.high_to_low,
        fid_skipped=why,
    )
    out = Path(args.output) if args.output else default_output(Path(args.model))
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(results, indent=2) + "\n")
    table = format_markdown(results)
    (out / "eval.md").write_text(table + "\n")
    print(table)
    print(f"\nwrote {out / 'eval.json'} and {out / 'eval.md'}")
    return 0
