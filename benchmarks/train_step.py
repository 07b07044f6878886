"""Seconds per generator update (n_critic discriminator updates + 1 generator update) and peak memory.

Each case runs in its own process (clean dtype policy, honest peak RSS): the stage GAN at the paper's widths
(or the official Low-to-High generator), a global batch of `--batch` random faces, `--steps` timed updates
after `--warmup` untimed ones (the first includes tracing). Stage 2 is timed with the bilinear degradation
(the learned one adds one inference pass of the High-to-Low generator); stage 3 starts from untrained
generators saved to a temporary run.

Reference (same 2-core CPU): the authors' PyTorch code takes ~15 s per Low-to-High generator update
(official generator, float32, batch 32 per discriminator step). Target: <= 7 s.

Next to each time the script prints the work of one update and what the CPU can do, measured in the same
process: the multiply-accumulates (MACs) of one update, counted from the networks' graphs (a backward pass
counted as twice its forward pass), and the throughput of one 3x3 128-channel convolution at 64x64 in the
case's compute dtype, the densest layer of these networks. Their ratio is the fastest an update could run here.

The baseline rows `pytorch` time the authors' schedule with the released generator in PyTorch (see
benchmarks/pytorch_reference.py: no discriminator weight gradients in the generator step, NCHW or
channels_last, float32 or bf16 autocast) in the same run, when torch and the shared fixture are installed.
PyTorch cases come first; each tfsr row is divided by the fastest PyTorch row of its own precision
(float32 with float32, mixed_bfloat16 with bf16 autocast).

    python benchmarks/train_step.py                       # PyTorch, then official Low-to-High float32 and bf16
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
# PyTorch cases are pytorch:precision:layout (nchw or channels_last).
DEFAULT_CASES = ["pytorch:float32:nchw", "pytorch:float32:channels_last", "pytorch:mixed_bfloat16:channels_last",
                 "official:float32:nojit", "official:mixed_bfloat16:nojit"]
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
    if stage == "pytorch":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from pytorch_reference import seconds_per_update

        bf16 = precision == "mixed_bfloat16"
        timing = seconds_per_update(part=batch // n_critic, n_critic=n_critic, steps=steps,
                                    channels_last=jit == "channels_last", bf16=bf16)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        layout = "channels_last" if jit == "channels_last" else "NCHW"
        return {"case": f"pytorch {'bf16 autocast' if bf16 else 'float32'} {layout} (authors' schedule)", **timing,
                "peak_rss_gib": peak, "precision": precision}
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
    # The stage sets its policy only while it builds the networks: the case names the compute dtype.
    dtype = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}.get(precision, "float32")
    return {
        "case": case,
        "first_s": times[0],
        "median_s": statistics.median(times[warmup:]),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "update_gmac": update_macs(gan, batch, n_critic) / 1e9,
        "conv_gmac_s": conv_throughput(dtype) / 1e9,
    }


def forward_macs(network) -> int:
    """MACs of one image through `network` (a generator or a discriminator of tfsr.models)."""
    import tensorflow as tf

    from tfsr.models.complexity import count_macs

    if hasattr(network, "noise_dim"):  # High-to-Low: an HR face and its noise vector
        spec = (tf.TensorSpec((1, 64, 64, 3)), tf.TensorSpec((1, network.noise_dim)))
    else:
        side = getattr(network, "input_size", 16)
        spec = tf.TensorSpec((1, side, side, 3))
    return count_macs(network, spec)


def update_macs(gan, batch: int, n_critic: int) -> int:
    """MACs of one generator update of `gan` (StageGAN.train_step's schedule), backward = 2 x forward.

    Every sample goes once through the generators (the frozen High-to-Low of a learned degradation
    included); the generator update back-propagates through one part of `batch / n_critic`; each
    discriminator makes `n_critic` updates on that part's real and fake images and scores part 0's fakes
    once for the generator (forward, and a backward to its input only).
    """
    part = batch // n_critic
    trained = sum(forward_macs(g) for g in gan._trained.values())
    frozen = getattr(gan, "high_to_low", None)
    frozen = forward_macs(frozen) if frozen is not None and getattr(gan, "degradation", None) == "learned" else 0
    macs = batch * (trained + frozen) + part * 2 * trained
    for d in gan._discriminators:
        macs += forward_macs(d) * (n_critic * 3 * 2 * part + 2 * part)
    return macs


def conv_throughput(dtype: str, repeats: int = 5) -> float:
    """MACs per second of a 3x3 128->128 convolution on 32 64x64 maps in `dtype` (median of `repeats`)."""
    import tensorflow as tf

    x = tf.cast(tf.random.normal((32, 64, 64, 128)), dtype)
    w = tf.cast(tf.random.normal((3, 3, 128, 128)), dtype)
    conv = tf.function(lambda: tf.nn.conv2d(x, w, 1, "SAME"), autograph=False)
    conv().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        conv().numpy()
        times.append(time.perf_counter() - start)
    return 32 * 64 * 64 * 9 * 128 * 128 / statistics.median(times)


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
    print(f"| case | first update (s, incl. tracing) | median s / G update | x best PyTorch, same precision and run "
          f"| x quoted ref {REFERENCE_S:.0f} s | peak RSS (GiB) | GMAC / update | achieved GMAC/s "
          "| conv GMAC/s (same dtype) | fastest possible s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    baselines: dict[str, float] = {}  # precision -> fastest PyTorch seconds per update so far
    for case in cases:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        cmd = [sys.executable, __file__, "--child", case, "--batch", str(args.batch), "--n-critic", str(args.n_critic),
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"| {case} | failed: {out.stderr.strip().splitlines()[-1][:120]} |" + " |" * 8, flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        precision = case.split(":")[1]
        if "update_gmac" not in r:  # a PyTorch baseline: the fastest one of each precision
            baselines[precision] = min(baselines.get(precision, r["median_s"]), r["median_s"])
        baseline = baselines.get(precision)
        speedup = "-" if baseline is None else f"{baseline / r['median_s']:.2f}x"
        cells = [r["case"], f"{r['first_s']:.1f}", f"{r['median_s']:.2f}", speedup,
                 f"{REFERENCE_S / r['median_s']:.2f}x", f"{r['peak_rss_gib']:.1f}"]
        if "update_gmac" in r:
            cells += [f"{r['update_gmac']:,.0f}", f"{r['update_gmac'] / r['median_s']:.0f}", f"{r['conv_gmac_s']:.0f}",
                      f"{r['update_gmac'] / r['conv_gmac_s']:.1f}"]
        else:
            cells += ["-"] * 4
        print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
