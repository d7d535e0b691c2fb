"""Files written whole or not at all: the one atomic writer every output goes through (tables,
figures, batch results and their Parquet parts)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

from .errors import InputError


def new_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file (0o666 less the umask): mkstemp's
    temporary files are 0o600, which would leave outputs unreadable to others."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_dir(path: str) -> None:
    """Flush a directory's entries to disk (a rename is durable only once its folder is)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - no directory descriptors on this platform
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # the file's bytes reach the disk before its name appears
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], *,
                 durable: bool = False, prefix: str = ".sigfit-", suffix: str | None = None) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``:
    readers see the old file or the whole new one, never a part.

    ``durable``: fsync the file before the rename and its folder after it, so that a crash
    leaves the old file or the new one on disk too (batch outputs, which a rerun resumes from).
    ``prefix``, ``suffix``: the temporary file's name around mkstemp's random part (default
    suffix: the path's own, which some writers read the format from)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"cannot write {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a directory")
    suffix = os.path.splitext(path)[1] if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, new_file_mode())
        if durable:
            _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(directory)


def atomic_write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> None:
    """:func:`atomic_write` of UTF-8 ``text``, newlines as given."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    atomic_write(path, write, durable=durable)


__all__ = ["atomic_write", "atomic_write_text", "fsync_dir", "new_file_mode"]
