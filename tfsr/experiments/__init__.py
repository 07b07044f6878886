"""Experiments: runs that train networks and then measure them, above training and evaluation.

- `real_world`: the paper's claim in miniature, with no download (`tfsr benchmark real-world`): a High-to-Low
  GAN and four Low-to-High networks trained on the demo set against a hidden "real" degradation, measured by
  PSNR/SSIM and a classifier two-sample test.

A metric (`tfsr.evaluation`) measures a model it is given; an experiment makes its models first, so it
lives above both `training` and `evaluation`.
"""
