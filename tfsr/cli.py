"""The `tfsr` command line: one subcommand per job, each in its own module under `tfsr/commands/`."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from tfsr.startup import VERBOSE_FLAGS, quiet_tensorflow_startup

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


def _add_verbose(parser: argparse.ArgumentParser, default: object) -> None:
    """The `-v/--verbose` flag; `main` reads it from argv before parsing (TensorFlow starts before that).

    Args:
        parser: the main parser or a subcommand's.
        default: `False` on the main parser; `argparse.SUPPRESS` on subcommands, so their default does not
            overwrite a flag given before the subcommand.
    """
    parser.add_argument(
        *VERBOSE_FLAGS,
        action="store_true",
        default=default,
        help="show TensorFlow's start-up and info messages (also TFSR_VERBOSE=1)",
    )


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
    _add_verbose(parser, False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _available_commands().items():
        doc = (module.__doc__ or name).strip().splitlines()[0]
        sub = subparsers.add_parser(name, help=doc, description=module.__doc__)
        module.add_arguments(sub)
        _add_verbose(sub, argparse.SUPPRESS)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tfsr` console script; returns the process exit code.

    TensorFlow's start-up notices are hidden unless `-v/--verbose` or TFSR_VERBOSE=1 asks for them; its
    warnings and errors while a command runs still print.

    Args:
        argv: the arguments after `tfsr` (default: the process's).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # Usually already done by `tfsr.startup.start_command_quietly`; needed when `main` is the first to reach TensorFlow.
    quiet_tensorflow_startup(argv)
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
