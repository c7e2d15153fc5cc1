"""Atomic file writes shared by every writer: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from esglib.errors import ConfigError

__all__ = ['atomic_path', 'atomic_write_bytes', 'atomic_write_text', 'TMP_PREFIX', 'check_output_path',
           'same_file']


#: Every temporary file esglib creates next to a target starts with this prefix.
TMP_PREFIX = ".esglib-tmp-"


#: A temporary file whose writer cannot be identified as dead is swept only when older than this (seconds).
STALE_AFTER_SECONDS = 60


#: Longest target name kept as is in a temp name; longer ones are cut and tagged with a checksum, so the temp
#: name of a legal (up to 255-byte) target name is always legal too.
_TMP_NAME_KEEP = 40


def _tmp_stem(name: str) -> str:
    """``.esglib-tmp-<name>.`` with a long ``name`` shortened (first characters plus a CRC-32 of the whole)."""
    import zlib

    if len(name.encode("utf-8", "surrogateescape")) > _TMP_NAME_KEEP:
        name = f"{name[:16]}~{zlib.crc32(name.encode('utf-8', 'surrogateescape')):08x}"
    return f"{TMP_PREFIX}{name}."


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

    stem = _tmp_stem(name)
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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    _cleanup_stale(target.parent, target.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_tmp_stem(target.name)}{os.getpid()}-{_host_tag()}.",
                                   dir=target.parent)
    except OSError as exc:  # name the file the user asked for, not the temp file
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        mode = _target_mode(target)  # mkstemp makes 0600: keep the target's permissions (new file: umask default)
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, mode)  # after the body, which may have replaced the temp file
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp_path), tmp_path):
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
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


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Tell whether ``a`` and ``b`` name the same file.

    Same resolved path (symlinks followed) or same inode (hard links). A path that does not exist is compared
    by its resolved name only.
    """
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    try:
        return pa.resolve() == pb.resolve()
    except (OSError, RuntimeError):
        return False


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def check_output_path(target: str | os.PathLike[str], inputs: dict[str, object] | None = None,
                      flag: str = "--out", command: str = "") -> Path:
    """Check, before any work, that ``target`` can be written without harming anything.

    Parameters
    ----------
    target : path-like
        The output file.
    inputs : dict, optional
        ``{label: path}`` of every file the run reads (``--holdings`` etc.). The output may be none of them
        (compared after resolving symlinks, and by inode, so hard links count).
    flag : str
        How the user named the output (for the message).
    command : str
        The command running, for the message ("one of the report's inputs").

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        The output is an input, a folder, sits under a file, has too long a name, or its folder is not
        writable; the message names the path and the rule.
    """
    p = Path(target)
    shown = str(target)
    for label, src in (inputs or {}).items():
        if src is not None and same_file(p, src):
            whose = f"one of the {command}'s inputs" if command else "one of its inputs"
            raise ConfigError(f"`{flag}` {shown}: is the same file as the input {label} ({src}), {whose}; esglib "
                              "never overwrites its input: choose another output name")
    if p.name in ("", ".", ".."):
        raise ConfigError(f"`{flag}` {shown}: names a folder, not a file")
    try:
        if p.is_dir():
            raise ConfigError(f"`{flag}` {shown}: is a folder, not a file: add a file name")
    except OSError:
        pass
    folder = p.parent
    limit = _name_max(folder if folder.is_dir() else Path("."))
    if len(p.name.encode("utf-8", "surrogateescape")) > limit:
        raise ConfigError(f"`{flag}` {shown[:60]}...: the file name is {len(p.name.encode())} bytes long, more than "
                          f"the {limit} this file system allows: choose a shorter name")
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(f"`{flag}` {shown}: cannot be created because {probe} is a file, not a folder")
    if probe.is_dir() and not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"`{flag}` {shown}: the folder {probe} is not writable")
    return p
