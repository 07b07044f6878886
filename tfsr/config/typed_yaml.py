"""A generic typed YAML loader: plain YAML data -> a tree of dataclasses, and back; `key=value` overrides.

This is machinery, not the experiment: it knows dataclasses, `Literal`, unions, lists and scalars, and
nothing of tfsr's sections (those are `tfsr.config.schema`, their checks `tfsr.config.validation`), as
TF Model Garden keeps its `hyperparams` apart from its task configs. Every error names the file and the
dotted key, and an unknown key suggests the nearest known one, so a typo never silently becomes a default.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Optimiser:
    ...     learning_rate: float = 1e-3
    >>> build_dataclass(Optimiser, {"learning_rate": "1e-4"}, "", "demo.yaml")  # YAML 1.1 reads 1e-4 as text
    Optimiser(learning_rate=0.0001)
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

from tfsr.errors import ConfigError

# A decimal number in YAML 1.2's spelling. PyYAML reads YAML 1.1, whose floats need a dot, so `1e-4` or `5E3`
# arrive as strings; where a float is expected these are taken as numbers, while `nan`, `inf`, `1,5` or `fast`
# stay refused (`.inf` and `.nan` are already floats when someone really means them).
_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a mapping, got {value!r}")
        return build_dataclass(tp, value, key, where)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: {key} must be one of {_type_name(tp)}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {key} must be {_type_name(tp)}, got {value!r}")
    if origin is list:
        if isinstance(value, (str, int, float)) and typing.get_args(tp)[0] is str:
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: {key} must be a {_type_name(tp)}, got {value!r}")
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r} for {key}")


def build_dataclass(cls: type, raw: dict[str, Any], prefix: str, where: str) -> Any:
    """`cls(**raw)` with every value converted to its field's type; `prefix` is the dotted key of `raw`.

    Fields marked `metadata={"internal": True}` are not keys of the file.

    Raises:
        ConfigError: an unknown key (with the nearest known one) or a value of the wrong type.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs = {}
    for k, v in raw.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if k not in fields:
            close = difflib.get_close_matches(str(k), list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(fields)})"
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        kwargs[k] = _convert(hints[k], v, key, where)
    return cls(**kwargs)


def to_plain(obj: Any) -> Any:
    """A dataclass tree as plain YAML-able data (internal fields left out)."""
    if dataclasses.is_dataclass(obj):
        return {
            f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.metadata.get("internal")
        }
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    return obj


def apply_override(raw: dict[str, Any], override: str, where: str = "--set") -> None:
    """Applies one `dotted.key=value` override (value parsed as YAML) to a raw config mapping."""
    if "=" not in override:
        raise ConfigError(f"{where}: override '{override}' must look like section.key=value")
    dotted, text = override.split("=", 1)
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"{where}: cannot parse the value of '{dotted}': {err}") from None
    node = raw
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: '{dotted}': '{part}' is not a section")
        node = child
    node[parts[-1]] = value


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`, mapping by mapping (a list or scalar in `top` replaces the one in `base`)."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_mapping(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML file's mapping, with its `base:` file (relative to it) merged underneath.

    Raises:
        ConfigError: the file (or a base) is missing, not YAML, not a mapping, or includes itself.
    """
    if not path.is_file():
        where = f"{chain[-1]}: base" if chain else str(path)
        raise ConfigError(f"{where}: no such config file: {path}" if chain else f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of sections, got {type(raw).__name__}")
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base must be the path of another config file, got {base!r}")
    base_path = (path.parent / base).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ConfigError(f"{path}: base: {base} includes itself")
    return deep_merge(read_mapping(base_path, (*chain, path.resolve())), raw)


__all__ = ["apply_override", "build_dataclass", "deep_merge", "read_mapping", "to_plain"]
