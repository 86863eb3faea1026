"""Atomic file writes: the file is either the old one or the complete new one, never half
written (a crash, a full disk or kill -9 in the middle leaves the old file as it was)."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from engine.io.paths import side_name


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Call write(f) on a temporary file in the same folder, flush it to disk, then rename
    it over `path` (same folder: the rename is atomic) and flush the folder entry."""
    # Through a symbolic link, the file it points to: replacing the link itself left the
    # project split in two (the link a file of its own, the target the old project).
    path = Path(os.path.realpath(path))
    tmp = side_name(path.with_suffix(path.suffix + ".tmp"), "save", str(os.getpid()))
    _sweep_killed(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # a private file stays private
    except OSError:
        mode = None
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(path.parent)
    return path


WINDOWS = os.name == "nt"
STALE_TEMP_S = 3600  # a killed save's temporary is this old at least before it is removed


def _sweep_killed(path: Path) -> None:
    """Remove what a save killed mid-write (kill -9, a power cut) left beside `path`: its
    hidden temporary, several MB for a painted clip, stayed there for good. Only one whose
    process is gone and that has not changed for an hour (a folder shared with another
    machine, whose process ids mean nothing here, keeps a live write)."""
    # By name, not as a glob pattern: "take [1].vgpnn" is a character class to glob.
    before = side_name(path.with_suffix(path.suffix + ".tmp"), "save", "*").name[:-len("*.tmp")]
    with contextlib.suppress(OSError):
        for tmp in path.parent.iterdir():
            if not (tmp.name.startswith(before) and tmp.name.endswith(".tmp")):
                continue
            token = tmp.name[len(before):-len(".tmp")]
            if not token.isdigit() or int(token) == os.getpid() or pid_running(int(token)):
                continue
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > STALE_TEMP_S:
                    tmp.unlink()


def pid_running(pid: int) -> bool:
    """Whether process `pid` runs on this machine. POSIX: os.kill(pid, 0) only asks; on
    Windows os.kill(pid, 0) would end that process, so Windows asks its process table."""
    if WINDOWS:
        return _windows_pid_running(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _windows_pid_running(pid: int) -> bool:
    import ctypes  # Windows only: its kernel32
    from ctypes import wintypes

    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE  # a pointer: not truncated to an int
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        # No such process, or one this user may not look at (alive): the error tells which.
        return ctypes.get_last_error() == access_denied
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # unknown: keep what may be in use
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no folder handles to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
