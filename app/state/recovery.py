"""Recovery files: the session written now and then to the user's data folder, so that a
crash or kill -9 loses at most the last minute of work.

Each running editor writes its own `recovery/session-<pid>-<start>.vgpnn` (a project file)
and holds a lock on the matching `.lock` file for as long as it runs. A recovery file whose
lock nobody holds belongs to an editor that died: the next start offers it. A clean exit
deletes its own file. Writes run on one background thread (a big mask takes a moment to
compress) and are atomic, so a kill in the middle leaves the previous recovery file.
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.state.atomic import pid_running
from app.state.project_file import (
    ProjectData,
    ProjectError,
    SnapshotStale,
    read_summary,
    save_project,
)

ENV_DATA_DIR = "VGPNN_DATA_DIR"  # overrides the data folder (tests, portable installs)

try:
    import fcntl
except ImportError:  # Windows: fall back to "is that process still alive"
    fcntl = None


def data_dir(default: str | os.PathLike[str] | None = None) -> Path:
    """$VGPNN_DATA_DIR, else `default` (the platform's app data folder), else ~/.vgpnn."""
    chosen = os.environ.get(ENV_DATA_DIR) or default or Path.home() / ".vgpnn"
    return Path(chosen).expanduser()


@dataclass(frozen=True)
class Recoverable:
    """A recovery file left by an editor that did not exit cleanly."""

    path: Path
    clip_name: str
    project_name: str  # "" when the session had not been saved as a project
    saved_at: str  # ISO 8601
    mtime: float

    def describe(self) -> str:
        what = f"Project “{self.project_name}” ({self.clip_name})" if self.project_name \
            else f"Unsaved work on {self.clip_name}"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.mtime))
        return f"{what}, autosaved {when}"


class RecoveryStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder) / "recovery"
        stamp = f"{os.getpid()}-{int(time.time() * 1000)}"
        self.path = self.folder / f"session-{stamp}.vgpnn"
        self._lock_path = self.path.with_suffix(".lock")
        self._lock_file = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self.last_error = ""
        # A write skipped: its layers changed before they were copied (LaterLayers). Read
        # and cleared by taken_stale(); the next write must not be skipped as unchanged.
        self._stale = False

    # -- this editor's file ---------------------------------------------------------------
    def write(self, data: ProjectData) -> Future | None:
        """Write `data` as this editor's recovery file on the background thread; None, with
        `last_error` set, when the recovery folder cannot be made or locked."""
        if self._pool is None:
            if not self.claim():
                return None
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="vgpnn-autosave")
        self._pending = self._pool.submit(self._write, data)
        return self._pending

    def claim(self) -> bool:
        """Make the folder and hold this editor's lock (once): whatever it writes there is
        known to be alive. False, with `last_error` set, when that cannot be done."""
        if self._lock_file is not None:
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._hold_lock()
        except OSError as exc:
            self._release_lock()
            self.last_error = (f"Autosave failed: cannot use {self.folder} "
                               f"({exc.strerror or exc})")
            return False
        return True

    def wait(self, timeout: float | None = None) -> None:
        """Until the last write has finished (or `timeout` seconds passed)."""
        if self._pending is not None:
            with contextlib.suppress(Exception):
                self._pending.result(timeout)

    def discard(self) -> None:
        """A clean exit (or a save that makes the recovery file pointless): delete it."""
        if self._pool is not None:  # after the write on its thread, not waiting here
            self._pending = self._pool.submit(self._unlink)
            return
        self._unlink()

    def _unlink(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()

    def close(self) -> None:
        """Delete the file, stop the thread and release the lock (a clean exit)."""
        self.discard()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._unlink()
        if self._lock_file is not None:
            self._release_lock()
            with contextlib.suppress(OSError):
                self._lock_path.unlink()

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def taken_stale(self) -> bool:
        """Whether a write was skipped as stale since the last call."""
        stale, self._stale = self._stale, False
        return stale

    def _write(self, data: ProjectData) -> None:
        try:
            save_project(data, self.path)
            self.last_error = ""
        except SnapshotStale:  # painting went on: the file keeps the previous write
            self._stale = True
        except OSError as exc:  # a full disk must not stop the editor; the prompt says so
            self.last_error = f"Autosave failed: {exc.strerror or exc}"
            raise
        except MemoryError:  # the copy of a large mask, now made on this thread
            self.last_error = "Autosave failed: not enough memory to copy the painted layers"
            raise

    def _hold_lock(self) -> None:
        self._lock_file = open(self._lock_path, "a+")  # held (locked) while this editor runs
        self._lock_file.write(f"{os.getpid()}\n")
        self._lock_file.flush()
        if fcntl is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    # -- files left by others ---------------------------------------------------------------
    def orphans(self) -> list[Recoverable]:
        """Recovery files of editors that are no longer running, newest first."""
        found = []
        for path in sorted(self.folder.glob("session-*.vgpnn")):
            if path == self.path or owner_alive(path):
                continue
            try:
                doc = read_summary(path)
                source = doc.get("source") if isinstance(doc.get("source"), dict) else {}
                project = doc.get("project_path")
                found.append(Recoverable(
                    path=path, clip_name=Path(str(source.get("path", "clip"))).name,
                    project_name=Path(project).stem if isinstance(project, str) else "",
                    saved_at=str(doc.get("saved_at", "")), mtime=path.stat().st_mtime))
            except (ProjectError, OSError, ValueError):
                continue  # damaged (a bad sector): it must not stop the editor starting
        return sorted(found, key=lambda r: r.mtime, reverse=True)

    @staticmethod
    def remove(path: Path) -> None:
        """Delete a recovered (or declined) recovery file and its lock file."""
        for p in (path, path.with_suffix(".lock")):
            with contextlib.suppress(OSError):
                p.unlink()


def owner_alive(path: Path) -> bool:
    lock = path.with_suffix(".lock")
    if fcntl is not None:
        try:
            with open(lock, "a+") as f:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return True  # its editor holds the lock: still running
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
                return False
        except OSError:
            return False
    try:
        pid = int(path.stem.split("-")[1])
    except (ValueError, IndexError):
        return False
    return pid_running(pid)
