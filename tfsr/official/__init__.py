"""The authors' released Low-to-High weights: a code-free reader of PyTorch files and a strict converter."""

from tfsr.official.convert import convert_official, load_official_weights
from tfsr.official.torch_pickle import read_state_dict

__all__ = ["convert_official", "load_official_weights", "read_state_dict"]
