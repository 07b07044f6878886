"""The authors' released Low-to-High network in PyTorch, rebuilt from its state_dict's layout: baselines
measured in the same run as ours instead of numbers quoted from another day.

The generator is written from the layout facts of `shared/design/NETWORKS.md` (second part); `load` checks
it against the shared fixture's recorded outputs, so a timing is only printed for the real network. For
training, a 64x64 discriminator of the paper's shape (6 pre-activation residual blocks of 128 channels,
spectral norm, pooling in blocks 1, 2, 5 and 6) and the schedule as the training issue describes the
authors' code: 5 discriminator updates, each on 32 real faces and 32 fresh generated ones (generated without
gradient), then one generator update on 32 faces (pixel MSE + 0.05 x hinge), Adam(1e-4, 0, 0.9), written
as well as PyTorch allows (`seconds_per_update`: no discriminator weight gradients in the generator step,
channels_last, bf16 autocast).
Needs `torch` (the optional `tfsr[torch]` or `tfsr[bench]` extra); the benchmarks skip its rows without it.

    .venv/bin/python benchmarks/pytorch_reference.py           # inference: batch 1 and 8, 1 and 2 threads
    .venv/bin/python benchmarks/pytorch_reference.py --train   # also seconds per generator update, 3 settings
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

FIXTURE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "gen_deep"


def _network():
    import torch
    from torch import nn
    from torch.nn import functional

    class Block(nn.Module):
        """Pre-activation residual block: BN -> ReLU -> conv3x3, twice, plus a (1x1 conv) shortcut."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, padding=1, bias=False)
            self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

        def forward(self, x):
            y = self.conv1(functional.relu(self.bn1(x)))
            y = self.conv2(functional.relu(self.bn2(y)))
            return y + (self.skip(x) if self.skip is not None else x)

    def up_stage(channels: int) -> nn.Sequential:
        # Indices 1 and 3 carry weights, as in the state_dict: 0 upsamples, 2 is the ReLU.
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
            nn.BatchNorm2d(channels), nn.ReLU(), nn.ConvTranspose2d(channels, channels, 1),
        )

    class GenDeep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers_in = nn.Conv2d(3, 256, 3, padding=1, bias=False)
            self.layers_set_final = nn.ModuleList([
                nn.Sequential(*[Block(256, 256) for _ in range(12)]),
                nn.Sequential(Block(256, 128), Block(128, 128), Block(128, 128)),
            ])
            self.layers_set_final_up = nn.ModuleList([up_stage(256), up_stage(128)])
            self.a1 = nn.Sequential(nn.Conv2d(256, 128, 1))
            self.a2 = nn.Sequential(nn.Conv2d(128, 96, 1))  # in the released file, never used
            self.main = nn.Sequential(
                nn.Conv2d(128, 96, 3, padding=1, bias=False), nn.ReLU(), nn.Conv2d(96, 96, 1), nn.ReLU(),
                nn.Conv2d(96, 3, 1),
            )

        def forward(self, x):
            x = self.layers_in(x)
            x = x + self.layers_set_final[0](x)
            x = self.layers_set_final_up[0](x)
            x = self.layers_set_final[1](x) + self.a1(x)
            x = self.layers_set_final_up[1](x)
            return torch.tanh(self.main(x))

    return GenDeep()


def load(fixture_dir: Path = FIXTURE_DIR):
    """The network with the fixture's weights, in eval mode, checked against the fixture's outputs.

    Raises:
        FileNotFoundError: the fixture is missing.
        AssertionError: the rebuilt network does not reproduce the recorded outputs.
    """
    import torch

    net = _network()
    state = torch.load(fixture_dir / "gen_deep_random_state_legacy.pkl", weights_only=True)
    net.load_state_dict(state)
    net.eval()
    io = np.load(fixture_dir / "gen_deep_io.npz")
    with torch.no_grad():
        out = net(torch.from_numpy(io["input_nchw"])).numpy()
    error = float(np.abs(out - io["output_nchw"]).max())
    assert error < 1e-4, f"the rebuilt PyTorch network is not the released one (max error {error:.2e})"
    return net


def faces_per_second(net, batch: int, threads: int, seconds: float = 2.0) -> dict[str, float]:
    """Median-call faces/s and p50/p90 ms of `net` on random [-1, 1] faces, float32, no autograd."""
    import torch

    torch.set_num_threads(threads)
    x = torch.rand(batch, 3, 16, 16) * 2 - 1
    times: list[float] = []
    with torch.inference_mode():
        for _ in range(2):
            net(x)
        start = time.perf_counter()
        while len(times) < 5 or time.perf_counter() - start < seconds:
            t = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t)
    p50, p90 = np.percentile(times, [50, 90])
    return {"faces_s": batch / p50, "p50_ms": 1e3 * p50, "p90_ms": 1e3 * p90}


def _discriminator():
    from torch import nn
    from torch.nn import functional
    from torch.nn.utils.parametrizations import spectral_norm

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, pool: bool, preactivate: bool) -> None:
            super().__init__()
            self.conv1 = spectral_norm(nn.Conv2d(cin, cout, 3, padding=1))
            self.conv2 = spectral_norm(nn.Conv2d(cout, cout, 3, padding=1))
            self.skip = spectral_norm(nn.Conv2d(cin, cout, 1)) if (pool or cin != cout) else None
            self.pool, self.preactivate = pool, preactivate

        def forward(self, x):
            y = self.conv1(functional.relu(x) if self.preactivate else x)
            y = self.conv2(functional.relu(y))
            shortcut = self.skip(x) if self.skip is not None else x
            if self.pool:
                y, shortcut = functional.max_pool2d(y, 2), functional.max_pool2d(shortcut, 2)
            return y + shortcut

    class Discriminator64(nn.Module):
        def __init__(self, filters: int = 128) -> None:
            super().__init__()
            self.blocks = nn.Sequential(*[
                Block(3 if i == 0 else filters, filters, pool=i in (0, 1, 4, 5), preactivate=i > 0) for i in range(6)
            ])
            self.score = spectral_norm(nn.Linear(filters, 1))

        def forward(self, x):
            return self.score(functional.relu(self.blocks(x)).sum(dim=(2, 3)))

    return Discriminator64()


def seconds_per_update(
    threads: int = 2, part: int = 32, n_critic: int = 5, steps: int = 2, channels_last: bool = False,
    bf16: bool = False,
) -> dict[str, float]:
    """Median seconds per generator update of the schedule in the module docstring (after one warm-up).

    The best PyTorch one can write for it: the generator step freezes the discriminator's weights
    (`requires_grad_(False)`: gradients flow through it to the generator, none are computed for its weights,
    the work the tfsr step does not do either), `channels_last` stores activations NHWC (oneDNN's preferred
    layout), `bf16` runs the forward passes under `torch.autocast("cpu", torch.bfloat16)` (losses and the
    optimiser in float32), the counterpart of Keras' `mixed_bfloat16`.
    """
    import contextlib

    import torch
    from torch.nn import functional

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    memory = torch.channels_last if channels_last else torch.contiguous_format
    generator = load().train().to(memory_format=memory)
    discriminator = _discriminator().train().to(memory_format=memory)
    g_opt = torch.optim.Adam(generator.parameters(), 1e-4, betas=(0.0, 0.9))
    d_opt = torch.optim.Adam(discriminator.parameters(), 1e-4, betas=(0.0, 0.9))
    hr = (torch.rand(n_critic * part, 3, 64, 64) * 2 - 1).contiguous(memory_format=memory)
    lr = functional.avg_pool2d(hr, 4).contiguous(memory_format=memory)

    def autocast():
        return torch.autocast("cpu", torch.bfloat16) if bf16 else contextlib.nullcontext()

    times = []
    for _ in range(1 + steps):
        start = time.perf_counter()
        discriminator.requires_grad_(True)
        for i in range(n_critic):
            real, low = hr[i * part:(i + 1) * part], lr[i * part:(i + 1) * part]
            with torch.no_grad(), autocast():
                fake = generator(low)
            with autocast():
                scores = discriminator(torch.cat([real, fake.to(real.dtype)])).float()
            d_loss = functional.relu(1 - scores[:part]).mean() + functional.relu(1 + scores[part:]).mean()
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
        discriminator.requires_grad_(False)
        with autocast():
            fake = generator(lr[:part])
            score = discriminator(fake).float()
        g_loss = functional.mse_loss(fake.float(), hr[:part]) - 0.05 * score.mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        times.append(time.perf_counter() - start)
    return {"first_s": times[0], "median_s": float(np.median(times[1:]))}


def main() -> int:
    import torch

    net = load()
    print(f"PyTorch {torch.__version__}, the released network (fixture weights), float32 eval mode")
    print("| threads | batch | faces/s | p50 ms | p90 ms |\n|---:|---:|---:|---:|---:|")
    for threads in (1, 2):
        for batch in (1, 8):
            r = faces_per_second(net, batch, threads)
            print(f"| {threads} | {batch} | {r['faces_s']:.1f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} |")
    if "--train" in sys.argv[1:]:
        print("\n| training, 2 threads | first update s | median s / update |\n|---|---:|---:|")
        for name, options in (("float32 NCHW", {}), ("float32 channels_last", {"channels_last": True}),
                              ("bf16 autocast channels_last", {"channels_last": True, "bf16": True})):
            r = seconds_per_update(**options)
            print(f"| {name} | {r['first_s']:.1f} | {r['median_s']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
