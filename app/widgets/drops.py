"""File drops, shared by the window and the clip slots: only local files are taken."""

from __future__ import annotations

import os
from pathlib import Path

from app.state.media import MEDIA_PATTERNS
from app.state.project_file import SUFFIX
from engine.io.clip import IMAGE_EXTS

# What the editor opens by name: the Open dialog's videos and images, and projects.
MEDIA_SUFFIXES = frozenset(p[1:] for p in MEDIA_PATTERNS.split())


def accept_local_files(event) -> None:
    """dragEnter/dragMove: accept when the drag carries at least one local file."""
    if any(u.isLocalFile() for u in event.mimeData().urls()):
        event.acceptProposedAction()


def dropped_files(event) -> list[str]:
    """dropEvent: the local files dropped, in their order (the drop accepted when any)."""
    files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
    if files:
        event.acceptProposedAction()
    return files


def openable(path: str | Path, projects: bool = True) -> bool:
    """Whether the editor can open `path`, by its name and kind (nothing is read): a video
    or image, a folder holding images (a numbered sequence), or, with `projects`, a
    `.vgpnn` project. A file of another kind may still open; this is for choosing among
    files dropped together."""
    p = Path(path)
    suffix = p.suffix.lower()
    if os.path.isdir(p):
        try:
            with os.scandir(p) as entries:
                return any(Path(e.name).suffix.lower() in IMAGE_EXTS for e in entries)
        except OSError:
            return False
    return suffix in MEDIA_SUFFIXES or (projects and suffix == SUFFIX)


def pick_openable(files: list[str], projects: bool = True) -> tuple[str, list[str], list[str]]:
    """Of files dropped together, the one to open: the first `openable` one (else the
    first, whose dialog then says why it cannot be opened); with those left out: (the
    one, the others that cannot be opened, the others that could)."""
    can = [f for f in files if openable(f, projects)]
    chosen = can[0] if can else files[0]
    others = [f for f in files if f != chosen]
    return chosen, [f for f in others if f not in can], [f for f in others if f in can]


def ignored_text(unopenable: list[str], extra: list[str], projects: bool = True) -> str:
    """"ignored a.txt (not a clip...) and b.mp4 (one clip at a time)", or ""."""
    what = "a clip, image folder or project" if projects else "a clip or image folder"
    parts = []
    if unopenable:
        parts.append(f"{file_names(unopenable)} (not {what})")
    if extra:
        parts.append(f"{file_names(extra)} (one clip at a time)")
    return "ignored " + " and ".join(parts) if parts else ""


def file_names(files: list[str]) -> str:
    names = [Path(f).name for f in files]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
