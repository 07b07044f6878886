"""Training the paper's GANs: the three stage models, their distribution, and runs that survive interruption.

- `run_training(cfg, run_dir)`: one stage start to finish (what `tfsr train` and `tfsr demo` call).
- `build_stage_model(cfg, strategy)`: the compiled GAN of `cfg.training.stage`, for use with plain `fit`.
- `DegradationGAN` (stage 1), `SuperResolutionGAN` (stage 2), `JointFineTune` (stage 3), on `StageGAN`.
- `make_strategy(name)`: `training.strategy` -> a `tf.distribute.Strategy`.

Example:
    >>> from tfsr.training import run_training
    >>> run_training(load_config("configs/demo_stage1.yaml"), Path("runs/demo_stage1"))  # doctest: +SKIP
"""

from tfsr.runs import RunDir
from tfsr.training.callbacks import TrainingDiverged
from tfsr.training.degradation_gan import DegradationGAN
from tfsr.training.distribute import make_strategy
from tfsr.training.ema import ExponentialMovingAverage
from tfsr.training.joint_fine_tune import JointFineTune
from tfsr.training.precision import use_precision
from tfsr.training.rundir import open_run
from tfsr.training.runner import run_training
from tfsr.training.samples import SampleSheet
from tfsr.training.stage import build_stage_model
from tfsr.training.stage_gan import StageGAN
from tfsr.training.super_resolution_gan import SuperResolutionGAN

__all__ = [
    "DegradationGAN",
    "ExponentialMovingAverage",
    "JointFineTune",
    "RunDir",
    "SampleSheet",
    "StageGAN",
    "SuperResolutionGAN",
    "TrainingDiverged",
    "build_stage_model",
    "make_strategy",
    "open_run",
    "run_training",
    "use_precision",
]
