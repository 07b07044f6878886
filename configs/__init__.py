"""The YAML experiments, installed as package data `tfsr.configs` so that an installed tfsr finds them.

This folder stays the one copy: `tfsr.config.bundled_configs()` resolves it through the import system
(the repository's `configs/` in an editable install, the installed copy otherwise), never by walking up
from a source file.
"""
