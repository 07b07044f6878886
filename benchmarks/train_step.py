"""Seconds per generator update (n_critic discriminator updates + 1 generator update) and peak memory.

Each case runs in its own process (clean dtype policy, honest peak RSS): the stage GAN at the paper's widths
(or the official Low-to-High generator), a global batch of `--batch` random faces, `--steps` timed updates
after `--warmup` untimed ones (the first includes tracing). Stage 2 is timed with the bilinear degradation
(the learned one adds one inference pass of the High-to-Low generator); stage 3 starts from untrained
generators saved to a temporary run.

Reference (same 2-core CPU): the authors' PyTorch code takes ~15 s per Low-to-High generator update
(official generator, float32, batch 32 per discriminator step). Target: <= 7 s.

    python benchmarks/train_step.py                       # official Low-to-High, float32 and mixed_bfloat16
    python benchmarks/train_step.py --cases all --steps 3  # every stage, precision and jit setting (long)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REFERENCE_S = 15.0
DEFAULT_CASES = ["official:float32:nojit", "official:mixed_bfloat16:nojit"]
ALL_STAGES = ["high_to_low", "low_to_high", "official", "joint"]


def all_cases() -> list[str]:
    return [
        f"{s}:{p}:{j}" for s in ALL_STAGES for p in ("float32", "mixed_bfloat16") for j in ("nojit", "jit")
    ]


def run_case(case: str, batch: int, n_critic: int, steps: int, warmup: int) -> dict:
    """Child side: build, train `warmup + steps` updates, return the timings."""
    import keras
    import numpy as np
    import tensorflow as tf

    from tfsr.config import config_from_dict
    from tfsr.models import build_high_to_low, build_low_to_high
    from tfsr.training.distribute import make_strategy
    from tfsr.training.stage import build_stage_model

    stage, precision, jit = case.split(":")
    model = {"variant": "official" if stage == "official" else "paper"}
    training = {
        "stage": "low_to_high" if stage == "official" else stage,
        "degradation": "bilinear" if stage in ("low_to_high", "official") else "learned",
        "batch_size": batch, "n_critic": n_critic, "precision": precision, "jit_compile": jit == "jit",
    }
    if stage == "joint":
        run = tempfile.mkdtemp()
        os.makedirs(f"{run}/models")
        cfg0 = config_from_dict({"model": model})
        build_high_to_low(cfg0.model).save(f"{run}/models/high_to_low.keras")
        build_low_to_high(cfg0.model).save(f"{run}/models/low_to_high.keras")
        training.update(high_to_low_run=run, low_to_high_run=run)
    cfg = config_from_dict({"model": model, "training": training}, "benchmark")
    gan = build_stage_model(cfg, make_strategy("auto"))
    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (batch, 64, 64, 3)).astype("float32")
    lr = rng.uniform(-1, 1, (batch, 16, 16, 3)).astype("float32")
    ds = tf.data.Dataset.from_tensors(hr if training["stage"] == "low_to_high" else (hr, lr)).repeat()

    times: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_begin(self, b, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, b, logs=None):
            times.append(time.perf_counter() - self.t)

    gan.fit(ds, epochs=1, steps_per_epoch=warmup + steps, verbose=0, callbacks=[Clock()])
    return {
        "case": case,
        "first_s": times[0],
        "median_s": statistics.median(times[warmup:]),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=DEFAULT_CASES,
                        help="stage:precision:jit|nojit (stage: high_to_low, low_to_high, official, joint), or 'all'")
    parser.add_argument("--batch", type=int, default=160, help="global batch (32 per discriminator update x 5)")
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed generator updates per case")
    parser.add_argument("--warmup", type=int, default=1, help="untimed updates first (tracing, allocation)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.batch, args.n_critic, args.steps, args.warmup)))
        return 0
    cases = all_cases() if args.cases == ["all"] else args.cases
    print(f"| case | first update (s, incl. tracing) | median s / G update | vs PyTorch ref {REFERENCE_S:.0f} s | peak RSS (GiB) |")
    print("|---|---|---|---|---|")
    for case in cases:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        cmd = [sys.executable, __file__, "--child", case, "--batch", str(args.batch), "--n-critic", str(args.n_critic),
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"| {case} | failed: {out.stderr.strip().splitlines()[-1][:120]} | | | |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {case} | {r['first_s']:.1f} | {r['median_s']:.2f} | {REFERENCE_S / r['median_s']:.2f}x | {r['peak_rss_gib']:.1f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
