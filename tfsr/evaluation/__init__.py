"""Measuring super-resolution: FID under a pinned protocol, PSNR/SSIM, a classifier two-sample test, the
paper's table 1 for one model (`table1`), and the self-contained real-world benchmark (`real_world`)."""
