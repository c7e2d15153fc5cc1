"""Atomic file writes shared by every writer: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ['atomic_path', 'atomic_write_bytes', 'atomic_write_text', 'TMP_PREFIX']


#: Every temporary file esglib creates next to a target starts with this prefix.
TMP_PREFIX = ".esglib-tmp-"


#: A temporary file whose writer cannot be identified as dead is swept only when older than this (seconds).
STALE_AFTER_SECONDS = 60


def _host_tag() -> str:
    import socket
    import zlib

    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _writer_is_dead(tag: str) -> bool:
    """True when ``tag`` (``<pid>-<host>`` from a temp file name) names a process of this host that has exited."""
    pid, _, host = tag.partition("-")
    if not pid.isdigit() or host != _host_tag():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to someone else, or cannot be asked: assume alive
        return False
    return False


def _cleanup_stale(folder: Path, name: str) -> None:
    """Remove temp files of earlier, killed writes of the same target.

    A temp file is named ``.esglib-tmp-<target>.<pid>-<host>.<random>``: it is removed at once when its writer
    (same host) is gone, else (another host, or an older name without the tag) when it is older than
    :data:`STALE_AFTER_SECONDS` — a concurrent writer's file is never removed under its feet.
    """
    import time

    stem = f"{TMP_PREFIX}{name}."
    for p in folder.glob(glob.escape(stem) + "*"):
        with contextlib.suppress(OSError):
            tag = p.name[len(stem):].split(".", 1)[0]
            if _writer_is_dead(tag) or time.time() - p.stat().st_mtime > STALE_AFTER_SECONDS:
                p.unlink()


def _target_mode(target: Path) -> int:
    """Permission bits the written file should have: the existing target's, else the default for new files."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return _default_mode()


def _default_mode() -> int:
    """Permissions a normally created file would get under the current umask."""
    try:  # Linux: read the umask without changing it (os.umask would, briefly, for every thread)
        status = Path("/proc/self/status").read_text()
        mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


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
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.{os.getpid()}-{_host_tag()}.", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        mode = _target_mode(target)  # mkstemp makes 0600: keep the target's permissions (new file: umask default)
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, mode)  # after the body, which may have replaced the temp file
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
