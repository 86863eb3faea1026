"""The writer's hidden partial outputs, and those a killed writer left behind.

Every output is written under a hidden sibling name (`.NAME.partial-XXXXXXXX.mp4`, a
`.NAME.partial-…` folder for PNG frames) and renamed when complete; an error or a cancel
removes it. A process killed mid-write (kill -9, a crash, a power cut) cannot, and the
hidden file stayed in the user's folder for ever. So a writer holds an advisory lock on its
partial output while it writes, and the next write of the same target removes the partials
that nobody holds: those of writers that died. (The editor also notes its exports' targets
and cleans them at its next start: app.state.export_journal.) Where the system has no
`flock` (Windows), nothing is locked and nothing is swept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import string
from collections.abc import Iterator
from pathlib import Path

from engine.io.paths import side_name

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

TOKEN = 8  # hex digits in a side name's token (writer._side_name)


def side_names(target: Path, tag: str) -> list[Path]:
    """The hidden side names `.STEM.TAG-XXXXXXXX.SUFFIX` of `target` in its folder."""
    name = side_name(target, tag, "0" * TOKEN).name
    head = name[:name.rindex(f".{tag}-") + len(tag) + 2]
    tail = name[len(head) + TOKEN:]
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            n = entry.name
            if (len(n) == len(head) + TOKEN + len(tail) and n.startswith(head) and n.endswith(tail)
                    and all(c in string.hexdigits for c in n[len(head):len(head) + TOKEN])):
                found.append(Path(entry.path))
    return found


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def held(tmp: Path, folder: bool) -> Iterator[None]:
    """Create the partial output `tmp` (an empty file, or a folder) and hold a lock on it
    for the duration of the write; the lock goes with the process if it is killed."""
    if folder:
        os.mkdir(tmp)
    else:
        with open(tmp, "xb"):
            pass  # the encoder opens it again by name: the same file, truncated
    if fcntl is None:
        yield
        return
    fd = os.open(tmp, os.O_RDONLY)
    try:
        _try_lock(fd)
        yield
    finally:
        os.close(fd)


def sweep_stale(target: Path) -> list[Path]:
    """Remove the partial outputs of `target` that no live writer holds; returns them."""
    if fcntl is None:
        return []
    removed = []
    for p in side_names(target, "partial"):
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if not _try_lock(fd):
                continue  # being written now
            remove(p)
            removed.append(p)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def remove(p: Path) -> None:
    """Remove a file or a folder's tree; never raises (a cleanup's failure is not the news)."""
    if os.path.isdir(p) and not os.path.islink(p):  # os.path never raises on a long name
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(p)
