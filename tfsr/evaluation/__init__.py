"""Measuring super-resolution: FID under a pinned protocol, PSNR/SSIM, a classifier two-sample test, and the
paper's table 1 for one model (`table1`). The real-world benchmark, which trains its models first, is an
experiment: `tfsr.experiments.real_world`."""
