"""Small file-system helpers shared by every writer: atomic writes and bundled-data paths."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["DATA_DIR", "REPORTS_DIR", "atomic_path", "atomic_write_bytes", "atomic_write_text", "TMP_PREFIX"]

PACKAGE_DIR = Path(__file__).resolve().parent
#: Folder of the bundled data (``data/`` beside the package in a source checkout).
DATA_DIR = Path(os.environ.get("ESGLIB_DATA_DIR", PACKAGE_DIR.parent / "data"))
#: Default folder for generated output.
REPORTS_DIR = Path(os.environ.get("ESGLIB_REPORTS_DIR", PACKAGE_DIR.parent / "reports"))
#: Every temporary file esglib creates next to a target starts with this prefix.
TMP_PREFIX = ".esglib-tmp-"


def _cleanup_stale(folder: Path, name: str) -> None:
    """Remove temp files of earlier, killed writes of the same target (older than a minute)."""
    import time

    for p in folder.glob(f"{TMP_PREFIX}{name}.*"):
        with contextlib.suppress(OSError):
            if time.time() - p.stat().st_mtime > 60:
                p.unlink()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    If the body raises (or the process dies), ``target`` is left exactly as it was and the
    temporary file is removed (or, after a kill, swept away by the next write of the same target).

    Parameters
    ----------
    target : path-like
        Final destination. Its folder is created if missing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _cleanup_stale(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return the target path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically and return the target path."""
    return atomic_write_bytes(target, text.encode(encoding))


def atomic_write_with(target: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and move the result over ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)
