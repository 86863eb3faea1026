"""Autosave and recovery: while there are unsaved changes the session is written to this
editor's recovery file (app.state.recovery) every AUTOSAVE_S seconds and shortly after
each batch of paint strokes; a clean exit deletes it. At start, recovery files left by an
editor that crashed or was killed are offered back.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from app.state.export_journal import clean_after_dead_editors
from app.state.project_file import ProjectError, load_project
from app.state.recovery import RecoveryStore
from app.state.session import SessionModel
from app.window import prompts
from app.window.messages import Messages
from app.window.projects import ProjectController
from app.window.settings_sync import SettingsSync

AUTOSAVE_S = float(os.environ.get("VGPNN_AUTOSAVE_S", "60"))  # the variable is for tests
STROKE_BATCH_MS = 1500  # strokes closer together than this are one batch
STALE_LIMIT = 1  # dropped copies in a row before one is made on the GUI thread


class AutosaveController(QObject):
    def __init__(self, session: SessionModel, sync: SettingsSync, store: RecoveryStore,
                 projects: ProjectController, messages: Messages, window: QWidget) -> None:
        super().__init__(window)
        self.session, self.sync, self.store = session, sync, store
        self.projects, self.messages, self._window = projects, messages, window
        self._written = -1  # the session revision in the recovery file
        self._stale = 0  # writes dropped in a row: their layers changed while copied
        self._timer = QTimer(self, interval=int(AUTOSAVE_S * 1000))
        self._timer.timeout.connect(self.write_now)
        self._timer.start()
        self._batch = QTimer(self, singleShot=True, interval=STROKE_BATCH_MS)
        self._batch.timeout.connect(self.write_now)
        session.mask.edited.connect(self._batch.start)
        session.sketch.edited.connect(self._batch.start)
        session.dirty_changed.connect(self._on_dirty)

    def write_now(self) -> bool:
        """Write the recovery file if something changed since the last write."""
        session = self.session
        if not session.dirty or session.clip is None:
            return False  # saved: nothing is unprotected (a failure before is moot)
        if self.store.last_error:  # the previous write failed (a full disk, say): say so,
            self.messages.status(f"{self.store.last_error}; your work is not protected "
                                 "until it succeeds (save the project elsewhere)", 15000)
            self._written = -1  # and try again now, changed or not
        self.sync.commit()
        stale = self.store.taken_stale()
        if stale:  # the last write was skipped: its layers changed while copied
            self._written = -1
        self._stale = self._stale + 1 if stale else 0
        if session.revision == self._written:
            return False
        self._written = session.revision
        # The layers are copied on the store's thread (a big mask blocked this one), unless
        # painting went on through the last STALE_LIMIT copies: then here, so that painting
        # without a pause cannot put the recovery file off for good (131 of 133 writes were
        # dropped over 20 s of strokes on a large mask). A stroke restarts the batch timer:
        # only the AUTOSAVE_S timer writes while one follows another.
        later = self._stale < STALE_LIMIT
        if self.store.write(session.snapshot(project_path=session.project_path,
                                             later=later)) is None:
            self._written = -1
            self.messages.status(f"{self.store.last_error}; your work is not protected "
                                 "until it succeeds (save the project elsewhere)", 15000)
            return False
        return True

    def shutdown(self) -> None:
        """A clean exit: nothing to recover."""
        self._timer.stop()
        self._batch.stop()
        self.store.close()

    def offer_recovery(self) -> bool:
        """At start: clear what editors that died left half written, then ask about each
        recovery file left by a crash, newest first; True when one was recovered (the rest
        stay for another start)."""
        clean_after_dead_editors(self.store.folder)  # their half-written exports
        orphans = self.store.orphans()
        for i, item in enumerate(orphans):
            answer = prompts.ask_recover(self._window, item, len(orphans) - i - 1)
            if answer == prompts.LATER:
                return False
            if answer == prompts.DISCARD:
                self.store.remove(item.path)
                continue
            return self.recover(item.path)
        return False

    def recover(self, path) -> bool:
        """Restore a recovery file exactly (it is deleted once the session holds it)."""
        try:
            data = load_project(path)
        except ProjectError as exc:
            self.messages.error("Cannot recover", f"{exc} The file was kept: {path}")
            return False
        project = data.project_path

        def taken() -> None:
            # The old file goes only once this editor's own holds the work: a second crash
            # right after recovering must find it again.
            self.write_now()
            self.store.wait()
            if self.store.path.exists() and not self.store.last_error:
                self.store.remove(path)

        return self.projects.open_data(data, None if project is None else Path(project),
                                       dirty=True, then=taken, take=True)

    def _on_dirty(self, dirty: bool) -> None:
        if not dirty:  # saved, opened or new: the recovery file would only repeat it
            self._written = -1
            self.store.discard()
            self.store.last_error = ""  # nothing is unprotected now

