"""This CPU's own arithmetic limit, from first principles: peak fp32 FMA, bf16 dot-product and int8
multiply-accumulate throughput of register-only instruction loops (benchmarks/cpu_peak.c, built here with
the system C compiler), per core and on both cores.

Rates are MACs per CPU-second of each thread (not per wall second), so they hold on a shared machine; a
direct convolution cannot do more multiply-accumulates per second than these, so an engine that seems to
(MACs of the network / its CPU time) computes fewer multiplies than the network's count (Winograd, FFT)
or skips work. A row `unsupported` means the CPU lacks the instruction (e.g. AVX512-BF16, AMX, VNNI).

    nice -n 15 .venv/bin/python benchmarks/cpu_peak.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().with_suffix(".c")
WHAT = {
    "fp32_fma": "vfmadd231ps ymm (AVX2+FMA), 8 MAC/instr",
    "int8_avx2": "vpmaddubsw+vpmaddwd+vpaddd ymm, 32 MAC/3 instr (u8 x s8)",
    "int8_avx2_madd16": "vpmaddwd+vpaddd ymm on int8 widened to int16, 16 MAC/2 instr",
    "int8_avx_vnni": "vpdpbusd ymm (AVX-VNNI), 32 MAC/instr",
    "int8_avx512_vnni": "vpdpbusd zmm (AVX512-VNNI), 64 MAC/instr",
    "bf16_avx512": "vdpbf16ps zmm (AVX512-BF16), 32 MAC/instr",
}


def measure(threads: int, seconds: float = 0.3, repeats: int = 3) -> dict[str, float]:
    """Kernel name -> MAC/s of `threads` threads (absent: the CPU lacks the instruction)."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        raise RuntimeError("no C compiler (cc, gcc or clang) to build benchmarks/cpu_peak.c")
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "cpu_peak"
        subprocess.run([compiler, "-O2", "-pthread", "-o", str(binary), str(SOURCE)], check=True)
        out = subprocess.run([str(binary), str(threads), str(seconds), str(repeats)], check=True,
                             capture_output=True, text=True).stdout
    rates = {}
    for line in out.splitlines():
        name, _, value = line.split()
        if value != "unsupported":
            rates[name] = float(value)
    return rates


def main() -> int:
    one, two = measure(1), measure(2)
    flags = Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0] if Path("/proc/cpuinfo").is_file() else ""
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), "unknown") if Path("/proc/cpuinfo").is_file() else "unknown"
    print(f"CPU: {model}; AMX: {'yes' if 'amx_bf16' in flags else 'no'}, AVX512-BF16: "
          f"{'yes' if 'avx512_bf16' in flags else 'no'}, VNNI: {'yes' if 'vnni' in flags else 'no'}")
    print("| kernel | instructions | 1 core GMAC/s | 2 cores GMAC/s | faces/s bound at 5.376 GMAC (2 cores) |")
    print("|---|---|---:|---:|---:|")
    for name, what in WHAT.items():
        if name in two:
            print(f"| {name} | {what} | {one[name] / 1e9:.0f} | {two[name] / 1e9:.0f} | {two[name] / 5.376e9:.1f} |")
        else:
            print(f"| {name} | {what} | unsupported | unsupported | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
