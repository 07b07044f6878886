"""Faces, the lowest layer above pixels: framing, cropping, resampling, pasting and detection.

`tfsr.data` (training crops, `tfsr prepare`), `tfsr.enhance` (`tfsr enhance`) and `tfsr.evaluation` use
these, and the Android core mirrors them, so a face is framed, cut, resized and pasted one way everywhere.
Nothing here imports a higher layer of tfsr; the pixel convention is `tfsr.pixels`.

- `framing`: `FACE_MARGIN`, `square_box`, `scale_square`, `crop_square`, `face_input`.
- `resample`: the face resizes and the background upscaler (`upscale`, `upscale_window`).
- `paste`: `feather_mask`, `paste`, `paste_face`.
- `detection`: `YuNetDetector` and the `FaceDetector` protocol (imported on its own: it loads OpenCV's
  face detector).

Example:
    >>> import numpy as np
    >>> from tfsr import faces
    >>> frame = np.zeros((120, 160, 3), np.uint8)
    >>> square = faces.square_box((40, 30, 50, 60), faces.FACE_MARGIN, frame.shape[:2])
    >>> faces.face_input(frame, *square).shape
    (16, 16, 3)
"""

from __future__ import annotations

from tfsr.faces.framing import (
    FACE_MARGIN,
    INPUT_SIDE,
    MODEL_SCALE,
    OUTPUT_SIDE,
    Square,
    crop_square,
    face_input,
    rgba_to_rgb_float,
    scale_square,
    square_box,
)
from tfsr.faces.paste import feather_mask, paste, paste_face
from tfsr.faces.resample import (
    BACKGROUND_RESAMPLER,
    area_resize,
    area_weights,
    bilinear_weights,
    resize_bilinear,
    resize_to_side,
    upscale,
    upscale_window,
)

__all__ = [
    "BACKGROUND_RESAMPLER", "FACE_MARGIN", "INPUT_SIDE", "MODEL_SCALE", "OUTPUT_SIDE", "Square", "area_resize",
    "area_weights", "bilinear_weights", "crop_square", "face_input", "feather_mask", "paste", "paste_face", "resize_bilinear",
    "resize_to_side", "rgba_to_rgb_float", "scale_square", "square_box", "upscale", "upscale_window",
]
