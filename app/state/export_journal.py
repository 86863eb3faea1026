"""Exports in flight, noted in the recovery folder.

The writer (engine.io.write_video) makes a hidden temporary beside each target
(`.NAME.partial-XXXXXXXX.mp4`, a `.NAME.partial-…` folder for PNG frames) and removes it on
any error or cancel; a kill -9 or a crash in the middle leaves it, hidden in the user's
export folder, where nothing would ever look again. So the targets of a running export are
noted in `session-<pid>-<start>.exports`, under the same lock as the recovery file; an
editor that starts removes the leftovers of the exports of editors that died (and the
temporaries of their recovery files' own writes, killed mid-write, and their locks where
no recovery file is left to offer).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from app.state.atomic import write_atomic
from app.state.recovery import RecoveryStore, owner_alive
from engine.io.partials import remove, side_names, sweep_stale


class ExportJournal:
    def __init__(self, store: RecoveryStore) -> None:
        self.store = store
        self.path = store.path.with_suffix(".exports")

    def begin(self, targets: list[Path | str]) -> None:
        """Note the targets of an export about to start (best effort: a recovery folder
        that cannot be written must not stop the export)."""
        if not self.store.claim():
            return
        names = [os.path.abspath(os.path.expanduser(os.fspath(t))) for t in targets]
        with contextlib.suppress(OSError):
            write_atomic(self.path, lambda f: f.write(json.dumps(names).encode()))

    def end(self) -> None:
        """The export ended (written, failed or cancelled): the writer cleaned up itself."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def clean_after_dead_editors(folder: Path) -> list[Path]:
    """Remove what editors that died left half written: their exports' temporaries (named
    in their journals) and their recovery files' unfinished writes. Returns what went."""
    removed: list[Path] = []
    for journal in sorted(folder.glob("session-*.exports")):
        if owner_alive(journal):
            continue
        try:
            targets = json.loads(journal.read_text())
        except (OSError, ValueError):
            targets = []
        for target in targets if isinstance(targets, list) else []:
            if isinstance(target, str) and target:
                # Partials a live writer (another editor, the command line) holds stay.
                removed += sweep_stale(Path(target))
                for p in side_names(Path(target), "old"):
                    remove(p)
                    removed.append(p)
        with contextlib.suppress(OSError):
            journal.unlink()
    # write_atomic's temporary of a recovery file: .session-….vgpnn.save-PID.tmp
    for tmp in folder.glob(".session-*.vgpnn.save-*.tmp"):
        owner = folder / tmp.name[1:tmp.name.index(".vgpnn.save-") + len(".vgpnn")]
        if not owner_alive(owner):
            remove(tmp)
            removed.append(tmp)
    # A lock with nothing of its dead editor's left to offer (it held no unsaved work).
    for lock in folder.glob("session-*.lock"):
        if not lock.with_suffix(".vgpnn").exists() and not owner_alive(lock):
            remove(lock)
            removed.append(lock)
    return removed
