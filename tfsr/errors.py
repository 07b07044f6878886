"""Errors that describe a user's mistake rather than a bug in tfsr.

The CLI prints these as one line (no traceback) and exits non-zero; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class TfsrError(Exception):
    """Base class of every error caused by user input (a file, a config value, a model)."""


class ConfigError(TfsrError):
    """A configuration file or override is invalid: the message names the file and the key."""


class DataError(TfsrError):
    """A data source is missing, empty or unreadable: the message names the path."""


class ModelError(TfsrError):
    """A model or checkpoint file is missing, corrupt or of the wrong kind: the message names the file."""
