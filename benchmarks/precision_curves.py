"""Loss curves of the demo's High-to-Low GAN in float32 and mixed_bfloat16, side by side (docs/precision_curves.png).

Both runs start from the same weights (training.seed) and see the same demo batches and noise, so any gap is
the precision's. Prints a per-step table of the final values and the largest relative gap of the running means.

    python benchmarks/precision_curves.py --steps 60 --out docs/precision_curves.png
"""

from __future__ import annotations

import argparse
import sys

PRECISIONS = ("float32", "mixed_bfloat16")
KEYS = ("g_pixel", "g_gan", "d_loss")


def curves(precision: str, steps: int, config: str) -> dict[str, list[float]]:
    import keras

    from tfsr.config import load_config
    from tfsr.data.pipeline import build_unpaired_dataset
    from tfsr.training.distribute import make_strategy
    from tfsr.training.stage import build_stage_model

    cfg = load_config(config, [f"training.precision={precision}", "training.stage=high_to_low"])
    gan = build_stage_model(cfg, make_strategy("auto"))
    history: dict[str, list[float]] = {k: [] for k in KEYS}

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            for k in KEYS:
                history[k].append(float(logs[k]))

    # Per-step values, not fit's running means: reset the trackers before each step.
    class Reset(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            for m in gan.metrics:
                m.reset_state()

    data = build_unpaired_dataset(cfg, cfg.training.batch_size, seed=cfg.training.seed)
    gan.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[Reset(), Record()])
    return history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--out", default="docs/precision_curves.png")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    results = {p: curves(p, args.steps, args.config) for p in PRECISIONS}
    fig, axes = plt.subplots(1, len(KEYS), figsize=(4 * len(KEYS), 3.2))
    for ax, key in zip(axes, KEYS):
        for p in PRECISIONS:
            ax.plot(results[p][key], label=p)
        ax.set_title(key)
        ax.set_xlabel("generator update")
    axes[0].legend()
    fig.suptitle(f"Demo High-to-Low GAN ({args.config}): float32 vs mixed_bfloat16")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print("| loss | float32 last 10 (mean) | mixed_bfloat16 last 10 (mean) |")
    print("|---|---|---|")
    for key in KEYS:
        a, b = (np.mean(results[p][key][-10:]) for p in PRECISIONS)
        print(f"| {key} | {a:.4f} | {b:.4f} |")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
