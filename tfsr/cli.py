"""The `tfsr` command line: one subcommand per job, each in its own module under `tfsr/commands/`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

# Subcommands are imported only when used, so `tfsr --help` stays fast and a broken optional dependency of
# one command cannot take the others down.
COMMANDS: dict[str, str] = {
    "info": "tfsr.commands.info",
    "demo": "tfsr.commands.demo",
    "prepare": "tfsr.commands.prepare",
    "train": "tfsr.commands.train",
    "export": "tfsr.commands.export",
    "enhance": "tfsr.commands.enhance",
    "evaluate": "tfsr.commands.evaluate",
    "convert-official": "tfsr.commands.convert_official",
    "benchmark": "tfsr.commands.benchmark",
}


def _available_commands() -> dict[str, object]:
    modules = {}
    for name, path in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(path)
        except ModuleNotFoundError as err:
            # A command whose module is not written yet is simply not offered; a missing third-party
            # dependency of an existing module is a real problem and must surface.
            if err.name != path:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    from tfsr import __version__

    parser = argparse.ArgumentParser(
        prog="tfsr",
        description="Real-world face super-resolution: learn the degradation first (Bulat et al., ECCV 2018).",
    )
    parser.add_argument("--version", action="version", version=f"tfsr {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _available_commands().items():
        doc = (module.__doc__ or name).strip().splitlines()[0]
        sub = subparsers.add_parser(name, help=doc, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tfsr` console script; returns the process exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tfsr.errors import TfsrError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except TfsrError as err:
        print(f"tfsr {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tfsr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
