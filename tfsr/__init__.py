"""tfsr: real-world face super-resolution that learns the degradation first (Bulat et al., ECCV 2018).

Importing the package registers every custom layer and model with Keras, so
`keras.saving.load_model("model.keras")` works after `import tfsr`.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The `tfsr` command hides TensorFlow's start-up notices; this package imports TensorFlow below, before the
# command's entry point runs, so the quiet import has to start here (it does nothing for a library import).
from tfsr.startup import start_command_quietly as _start_command_quietly  # noqa: E402

_start_command_quietly()

from tfsr import layers as layers  # noqa: E402  (registration side effect)
from tfsr import models as models  # noqa: E402
from tfsr.config import Config, load_config  # noqa: E402

__all__ = ["Config", "Enhancer", "load_config", "layers", "models", "__version__"]


def __getattr__(name: str) -> type:
    # `tfsr.Enhancer` is loaded on first use: it pulls in OpenCV and the face detector.
    if name == "Enhancer":
        from tfsr.enhance.enhancer import Enhancer

        return Enhancer
    raise AttributeError(f"module 'tfsr' has no attribute {name!r}")
