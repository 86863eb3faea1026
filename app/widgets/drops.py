"""File drops, shared by the window and the clip slots: only local files are taken."""

from __future__ import annotations


def accept_local_files(event) -> None:
    """dragEnter/dragMove: accept when the drag carries at least one local file."""
    if any(u.isLocalFile() for u in event.mimeData().urls()):
        event.acceptProposedAction()


def dropped_file(event) -> str | None:
    """dropEvent: the first local file dropped (the drop accepted), else None."""
    files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
    if not files:
        return None
    event.acceptProposedAction()
    return files[0]
