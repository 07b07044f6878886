"""The FID feature network: Keras' Inception-v3 without its classifier, global-average pooled (2048-d).

Weights come from a file the user names, or from Keras' own cache of its ImageNet download
(`$KERAS_HOME/models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, `~/.keras` by default).
Only when neither exists and downloading is allowed does Keras fetch them; offline that fails with a
`ModelError` that says which file to provide.

Example:
    >>> extractor = inception_v3("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")  # doctest: +SKIP
    >>> extractor(np.zeros((2, 299, 299, 3), np.float32)).shape  # doctest: +SKIP
    (2, 2048)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tfsr.errors import ModelError
from tfsr.evaluation.fid import KerasFeatures

KERAS_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
# MD5 that Keras publishes for that file: a file matching it is reported as the standard ImageNet weights.
KERAS_WEIGHTS_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"
INPUT_SIZE = 299


def keras_cached_weights() -> Path:
    """Where Keras keeps its downloaded Inception-v3 (no top) weights."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home).expanduser() / "models" / KERAS_WEIGHTS_FILE


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _build(weights: str | None):
    import keras

    return keras.applications.InceptionV3(
        include_top=False, weights=weights, input_shape=(INPUT_SIZE, INPUT_SIZE, 3), pooling="avg"
    )


def inception_v3(weights: str | os.PathLike[str] | None = None, allow_download: bool = True) -> KerasFeatures:
    """Inception-v3 pool features for FID.

    Args:
        weights: a weights file for `InceptionV3(include_top=False)` (Keras' `.h5` download or a
            `.weights.h5` saved by Keras). None: Keras' cached ImageNet download.
        allow_download: with `weights=None` and nothing cached, let Keras download the ImageNet weights.

    Returns:
        A feature extractor whose `name` records the weights (`imagenet` for Keras' published file,
        otherwise the file's MD5), so cached statistics never mix networks.

    Raises:
        ModelError: the weights file is missing or does not fit the network, or no weights are available
            offline.
    """
    if weights is None:
        cached = keras_cached_weights()
        if cached.is_file():
            weights = cached
        elif not allow_download:
            raise ModelError(
                f"Inception-v3 weights for FID are not available offline: put Keras' {KERAS_WEIGHTS_FILE} in "
                f"{cached.parent} or pass its path (--inception-weights FILE)"
            )
        else:
            try:
                model = _build("imagenet")
            except Exception as err:  # noqa: BLE001 - network errors come in many types
                raise ModelError(
                    f"cannot download the Inception-v3 ImageNet weights ({type(err).__name__}: {err}); "
                    f"pass a local copy of {KERAS_WEIGHTS_FILE} with --inception-weights FILE"
                ) from None
            return KerasFeatures(model, "inception_v3:imagenet", INPUT_SIZE)
    path = Path(weights).expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: no such Inception-v3 weights file")
    model = _build(None)
    try:
        model.load_weights(str(path))
    except Exception as err:  # noqa: BLE001 - h5py, shape and format errors all mean a wrong file
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise ModelError(f"{path}: not Inception-v3 (include_top=False) weights ({type(err).__name__}: {first})") from None
    digest = _md5(path)
    return KerasFeatures(model, f"inception_v3:{'imagenet' if digest == KERAS_WEIGHTS_MD5 else 'md5-' + digest}",
                         INPUT_SIZE)
