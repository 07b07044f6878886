"""Build every network of a config and print its parameters and multiply-accumulates per image."""

from __future__ import annotations

import argparse

from tfsr.commands import add_overrides
from tfsr.config import Config, load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="YAML config (default: the paper's settings)")
    add_overrides(parser, "model.variant=official")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table (as in docs/training.md)")
    parser.add_argument("--summary", action="store_true", help="also print each network's Keras summary")


def model_table(cfg: Config, variants: tuple[str, ...] = ("paper", "official")) -> list[dict[str, object]]:
    """Rows `{network, input, output, parameters, trainable, gmacs}` for the four networks of `cfg`, with the
    Low-to-High generator of each variant in `variants`."""
    import dataclasses

    import tensorflow as tf

    from tfsr.models import build_discriminator, build_high_to_low, build_low_to_high
    from tfsr.models.complexity import complexity

    m = cfg.model
    hr, lr, z = m.hr_size, m.lr_size, m.high_to_low.noise_dim
    image = lambda side: tf.TensorSpec((1, side, side, 3))  # noqa: E731
    entries = [
        ("High-to-Low generator", build_high_to_low(m), (image(hr), tf.TensorSpec((1, z))), f"{hr}x{hr} + z({z})", f"{lr}x{lr}"),
    ]
    for variant in variants:
        network = build_low_to_high(dataclasses.replace(m, variant=variant))
        entries.append((f"Low-to-High generator ({variant})", network, image(lr), f"{lr}x{lr}", f"{hr}x{hr}"))
    entries += [
        ("Discriminator 16x16", build_discriminator(m, 16), image(16), "16x16", "score"),
        ("Discriminator 64x64", build_discriminator(m, 64), image(64), "64x64", "score"),
    ]
    rows = []
    for title, network, spec, inp, out in entries:
        c = complexity(network, spec)
        rows.append(
            {"network": title, "input": inp, "output": out, "parameters": c.parameters, "trainable": c.trainable,
             "gmacs": c.macs / 1e9, "model": network}
        )
    return rows


def format_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| network | input | output | trainable parameters | all weights | GMACs / image |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['input']} | {r['output']} | {r['trainable']:,} | {r['parameters']:,} | {r['gmacs']:.3f} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides) if args.config else Config()
    rows = model_table(cfg)
    if args.markdown:
        print(format_markdown(rows))
        return 0
    if args.summary:
        for r in rows:
            r["model"].summary()
    width = max(len(str(r["network"])) for r in rows)
    print(f"{'network':<{width}}  {'input':>14}  {'output':>7}  {'trainable':>12}  {'GMACs':>7}")
    for r in rows:
        print(f"{r['network']:<{width}}  {r['input']:>14}  {r['output']:>7}  {r['trainable']:>12,}  {r['gmacs']:>7.3f}")
    return 0
