"""Files written whole: atomic writes, digests, JSON documents read with limits, and the
output folder checked and locked before anything runs."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import BadInput, setting


class ResultsError(BadInput):
    """A result directory that cannot be read as whole: names the file and what is wrong."""


class FolderBusy(ResultsError):
    """An output folder that another process is writing into."""


MAX_NAME_BYTES = 255
"""Longest file or folder name most file systems take."""


def check_out_folder(out: str | Path, option: str = setting("out")) -> None:
    """Refuse an output folder that cannot be written, before anything runs.

    The folder must be a directory or not exist yet; every name in its path must fit the file
    system (255 bytes); the nearest existing folder above it must be a directory on a file
    system that takes new files (not read-only, not ``/proc`` or ``/sys``).

    Raises:
        ResultsError: naming ``option``, the folder and the reason.
    """
    out = Path(out)

    def fail(why: str) -> ResultsError:
        return ResultsError(f"{option} {out}: {why}")

    for part in out.parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise fail(f"a name in the path is longer than {MAX_NAME_BYTES} bytes")
    try:
        info = os.stat(out)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        info = None
    except (OSError, ValueError) as exc:
        raise fail(f"cannot be used ({exc})") from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise fail("exists and is not a directory")
    parent = out
    while True:
        try:
            if parent.exists() or parent == parent.parent:
                break
        except (OSError, ValueError) as exc:
            raise fail(f"cannot be used ({exc})") from None
        parent = parent.parent
    if not parent.is_dir():
        raise fail(f"{parent} is a file, not a directory")
    real = parent.resolve()
    if real.parts[1:2] in (("proc",), ("sys",), ("dev",)):
        raise fail(f"{real} is a system folder, not a place for results")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise fail(f"cannot write in {parent}")
    try:  # a read-only mount, or a file system that takes no files
        with tempfile.TemporaryFile(dir=parent, prefix=".calais-sim-probe."):
            pass
    except OSError as exc:
        why = "read-only file system" if exc.errno == errno.EROFS else exc.strerror or str(exc)
        raise fail(f"cannot write in {parent} ({why})") from None


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on an output folder while writing into it (created if need be).

    The lock is ``fcntl.flock`` on the folder itself, taken without waiting: a second writer
    (another ``run`` into the same ``--out``, another sweep or ``--resume`` on it) is refused at
    once with :class:`FolderBusy`. The kernel drops the lock when the holder exits, however it
    ends (SIGKILL included), and no lock file is left behind.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not on a POSIX system: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(
                f"{folder}: another calais-sim process is writing into this folder; wait for it "
                f"to finish (or stop it), or choose another {setting('out')}"
            ) from None
        yield
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write a file through a temporary file in the same folder, then rename it into place.

    A reader sees either the old file or the whole new one, never a part.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to a file atomically."""
    atomic_write(path, lambda fh: fh.write(data))


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (dates as ISO text)."""
    write_bytes(path, (json.dumps(obj, indent=2, default=str) + "\n").encode())


def digest(path: str | Path) -> str:
    """SHA-256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
"""Largest JSON document (manifest, run record) read."""


def read_json_document(path: Path) -> Any:
    """Read a JSON document written by calais-sim, raising every failure as a ValueError.

    Refuses what is not a regular file, is too large, is not UTF-8, is not JSON, or nests too
    deeply for the parser.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{info.st_size:,} bytes, more than any calais-sim writes")
        data = path.read_bytes()
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    except OSError as exc:
        raise ValueError(str(exc)) from None


def of_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    """Whether a JSON value is of a kind (a bool is not a number here, as it is in Python)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)
