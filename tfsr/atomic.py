"""Files that appear whole or not at all: write to a temporary file beside the target, then rename it.

A reader (a resumed run, a concurrent `tfsr evaluate`, the user's file browser) sees the old file or the
new one, never half of one, and a failed or interrupted write leaves no temporary file behind. The
temporary file sits in the target's folder because a rename is only atomic within one file system, and it
ends in the target's suffix because some writers pick the format from it (Keras insists on `.keras`,
Pillow and `np.savez` read it). This module is a low layer: it imports nothing of tfsr.

Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> atomic_write(target, "hello")
    >>> target.read_text()
    'hello'
    >>> with replacing(target) as tmp:
    ...     _ = tmp.write_text("bye")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('bye', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path to write; on a clean exit it replaces `path`, on any error it is deleted.

    The temporary file already exists (empty) when the block starts; writers that open it by name
    (Keras' `model.save`, Pillow's `Image.save`, `np.savez`) overwrite it. The parent folder is created.

    Args:
        path: the file to write.

    Yields:
        The temporary file's path: `.<name>.<random>.part<suffix>` in the same folder.

    Raises:
        Whatever the block raises, after the temporary file is removed (`KeyboardInterrupt` included).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".part{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Flushed to disk before the rename: after a crash the new name never points at missing data.
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Writes `data` (text as UTF-8) to `path` through `replacing`.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "a.bin"
        >>> atomic_write(target, b"\\x00\\x01")
        >>> target.read_bytes()
        b'\\x00\\x01'
    """
    with replacing(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


__all__ = ["atomic_write", "replacing"]
