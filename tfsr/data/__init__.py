"""Face data: sources (folders, file lists, TFDS, WIDER FACE, the demo set), the `tf.data` training
streams, augmentation and hand-made degradations.

The training streams:

    >>> from tfsr.data import build_hr_dataset, build_lr_dataset, build_unpaired_dataset, build_eval_images
"""

from tfsr.data.pipeline import (
    build_eval_images,
    build_eval_lr_images,
    build_hr_dataset,
    build_lr_dataset,
    build_unpaired_dataset,
)

__all__ = [
    "build_eval_images",
    "build_eval_lr_images",
    "build_hr_dataset",
    "build_lr_dataset",
    "build_unpaired_dataset",
]
