"""The `tfsr` command's quiet start: TensorFlow's start-up notices are hidden unless asked for.

TensorFlow's C++ start-up notices (absl's "before absl::InitializeLog()" banner, the CPU-instructions and
oneDNN notices, CUDA plug-in registration) are written straight to file descriptor 2 before any log level
applies, so neither TF_CPP_MIN_LOG_LEVEL nor Python's logging holds them back; the only reliable way is to
point fd 2 elsewhere while TensorFlow starts. `-v/--verbose` or TFSR_VERBOSE=1 shows them.

This module has no tfsr imports, so the package can use it before it imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

VERBOSE_FLAGS = ("-v", "--verbose")


def wants_verbose(argv: Sequence[str]) -> bool:
    """Whether TensorFlow's start-up and info messages should show.

    Args:
        argv: the command-line arguments; only those before a bare `--` count.
    """
    args = list(argv)
    if "--" in args:
        args = args[: args.index("--")]
    return os.environ.get("TFSR_VERBOSE", "").strip().lower() not in ("", "0", "false", "no") or any(
        a in VERBOSE_FLAGS for a in args
    )


@contextlib.contextmanager
def stderr_fd_hidden() -> Iterator[None]:
    """Points file descriptor 2 at a temporary file for the block; replays what it caught if the block fails.

    Replaying on failure keeps the reason of a broken import (a missing CUDA library, say) visible next to its
    traceback, which prints after the block, on the restored stderr.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (a detached process): nothing to hide.
        yield
        return
    failed = True
    with tempfile.TemporaryFile() as caught:
        # Flush first so Python text written before the block is not swallowed, and after so none leaks out.
        _flush_stderr()
        os.dup2(caught.fileno(), 2)
        try:
            yield
            failed = False
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                caught.seek(0)
                os.write(2, caught.read())


def _flush_stderr() -> None:
    if sys.stderr is not None:
        sys.stderr.flush()


def quiet_tensorflow_startup(argv: Sequence[str]) -> None:
    """Imports TensorFlow and lists its devices with fd 2 hidden, unless `argv` or TFSR_VERBOSE asks to see them.

    Device discovery is in the quiet window because CUDA's notices come from it, not from the import; it does
    not create devices, so commands can still choose visible devices or memory growth afterwards. Once
    TensorFlow is imported this does nothing: its start-up is over.

    Args:
        argv: the command-line arguments, searched for `-v/--verbose`.
    """
    if "tensorflow" in sys.modules or wants_verbose(argv):
        return
    # Level 2 keeps TensorFlow's run-time warnings and errors but not its info lines.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with stderr_fd_hidden():
        # Imported here, not at the top, so the quiet window is exactly TensorFlow's start-up.
        import tensorflow as tf

        tf.config.list_physical_devices()


def is_tfsr_command() -> bool:
    """Whether this process is the `tfsr` console script or `python -m tfsr.cli`."""
    script = Path(sys.argv[0]).name if sys.argv else ""
    if script.removesuffix(".exe") in ("tfsr", "tfsr-script.py"):
        return True
    orig = list(getattr(sys, "orig_argv", []))
    return any(a == "-m" and b == "tfsr.cli" for a, b in zip(orig, orig[1:]))


def start_command_quietly() -> None:
    """Hides TensorFlow's start-up notices when this process is the `tfsr` command, and only then.

    `tfsr/__init__.py` calls this before it imports TensorFlow (to register the layers): the console script
    imports the package before `main` runs, so `main` would come too late. A library `import tfsr` is left
    as TensorFlow makes it.
    """
    if is_tfsr_command():
        quiet_tensorflow_startup(sys.argv[1:])
