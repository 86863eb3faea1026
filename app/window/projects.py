"""Projects: New, Open, Save, Save As and Open Recent for `.vgpnn` files; the question
before unsaved changes would be lost; the window title (project name, `*` when unsaved).

Opening a project reads its source clip again: a source that moved is looked for beside
the project and then asked for; one whose size or hash changed is opened with a warning.

A clip or project is read on a worker, and the editor stays usable meanwhile: the question
about unsaved changes is asked before the read, and asked again when the new clip arrives
if the open project was changed while it was read (Cancel then keeps it, and the new clip
is not opened), so no stroke or setting made in the meantime is dropped unasked.

A project is written on a worker too (compressing a whole-clip Full-HD mask took about a
second of the GUI thread): the layers are copied there (LaterLayers), the status bar shows
the save going on, and the title loses its `*` only once the file is written, and only for
what it holds (an edit made meanwhile stays unsaved). Whatever replaces the session, and
closing, first waits for a save in flight (a dialog says so when it takes a moment), so a
failed save is still asked about and a running one is never cut short.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QProgressBar, QProgressDialog

from app.state.fingerprint import SourceInfo
from app.state.media import Source
from app.state.project_file import (
    SUFFIX,
    PaintLayers,
    ProjectData,
    ProjectError,
    SnapshotStale,
    load_project,
    save_project,
)
from app.state.release import let_go
from app.state.session import SessionModel
from app.widgets.dialogs import show_message
from app.window import preferences, prompts
from app.window.clips import ClipController, Loaded
from app.window.messages import STILL_READING, Messages
from app.window.recent_files import RecentFiles
from app.window.settings_sync import SettingsSync
from app.workers import jobs
from engine.io import SAMPLE_CLIP

APP_NAME = "VGPNN Editor"
WAIT_DIALOG_MS = 300  # a wait for a save shows its dialog after this (a quick save: none)
SAVED, STALE, FAILED = "saved", "stale", "failed"  # a save's outcome


@dataclass
class _Save:
    """A save in flight: where to, the session's revision and generation it wrote, and
    whether its layers were copied on the GUI thread (a retry after a stale copy)."""

    path: Path
    revision: int
    generation: int
    eager: bool
    job: jobs.Job


class ProjectController(QObject):
    save_finished = Signal(bool)  # a save is over: its file written (True) or not

    def __init__(self, session: SessionModel, clips: ClipController, sync: SettingsSync,
                 recent: RecentFiles, messages: Messages, window: QMainWindow,
                 settings: QSettings | None = None) -> None:
        super().__init__(window)
        self.session, self.clips, self.sync = session, clips, sync
        self.settings = settings
        self.recent, self.messages, self._window = recent, messages, window
        self.ask_to_save = True  # tests switch the question off (changes are then dropped)
        self._save: _Save | None = None  # the save in flight
        self._next: Path | None = None  # a save asked for meanwhile: after it
        self._saved_ok = True  # whether the last save wrote its file
        self._failure = ""  # what the save's job said when it failed
        # Counts the sessions replaced: a save that ends after one leaves the new one alone.
        self._generation = 0
        session.clip_changed.connect(self._replaced)
        self._reader: jobs.Job | None = None  # the project file being read
        self._read_path = Path()  # which file
        self._note = ""  # said once it is shown (note_on_open)
        self._read_since = 0  # the session's revision when that read began
        self._busy = QProgressBar()
        self._busy.setRange(0, 0)  # indeterminate: saving or reading a project
        self._busy.setMaximumWidth(140)
        self._busy.setVisible(False)
        window.statusBar().addPermanentWidget(self._busy)
        for event in (session.project_changed, session.dirty_changed, session.clip_changed):
            event.connect(lambda *_: self._show_title())
        self._show_title()

    # -- before changes are lost ------------------------------------------------------------
    def confirm(self, before: str, why: str = "") -> bool:
        """Save / Discard / Cancel when there are unsaved changes; True to go on (once a
        save chosen here has written its file). `why`: said first in the question (why it
        is asked now). A save in flight ends first: what it leaves unsaved is asked about."""
        self.wait()
        if not self.ask_to_save or not self.session.dirty:
            return True
        answer = (prompts.ask_save_changes(self._window, self.session.name, before, why)
                  if why else prompts.ask_save_changes(self._window, self.session.name, before))
        if answer == prompts.SAVE:
            return self.save() and self.wait()
        return answer == prompts.DISCARD

    @property
    def saving(self) -> bool:
        """A save is in flight."""
        return self._save is not None

    def wait(self) -> bool:
        """Until the save in flight, if any, has ended (a window-modal dialog says so after
        WAIT_DIALOG_MS); True when the last save wrote its file."""
        if self._save is None:
            return self._saved_ok
        loop = QEventLoop()
        self.save_finished.connect(loop.quit)
        dialog = _WaitDialog(f"Saving {self._save.path.name}…", "", 0, 0, self._window)
        dialog.setWindowTitle("Saving the project")
        dialog.setCancelButton(None)  # a save is never cut short: the file must be whole
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(WAIT_DIALOG_MS)
        dialog.setValue(0)  # starts the wait before it shows (none without a value)
        try:
            if self._save is not None:  # (the dialog's events may have ended it)
                loop.exec()
        finally:
            self.save_finished.disconnect(loop.quit)
            dialog.hide()
            dialog.deleteLater()
        return self._saved_ok

    # -- commands ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """A clip (a new session) or a `.vgpnn` project, by name: menus, drops, the command
        line. "~/My Videos/clip.mp4", quoted so the shell left the ~, is the home's (the clip
        was read and then dropped as "Unexpected error (OSError)")."""
        path = Path(path).expanduser()
        if path.suffix.lower() == SUFFIX:
            self.open_project(path)
        elif self.confirm("opening another clip"):
            self._drop_read()  # the latest choice wins
            self.clips.load(path, self._unless_kept(self._set_clip, Path(path).name))

    def _set_clip(self, clip: Source, info: SourceInfo) -> None:
        """A plain clip replaces the session, keeping its settings (but sizes): those the
        user chose while it was read too, still inside the panel's debounce (a slider held,
        a number typed), which the session's settings shown again would undo."""
        self.sync.commit_typed()
        self.sync.panel.settle()
        self.session.set_clip(clip, info)

    def new_project(self) -> None:
        """Start over on the current clip: full range, no mask, no favourites, untitled."""
        clip, source = self.session.clip, self.session.source
        if clip is None:
            if self.messages.reading():
                self.messages.status(STILL_READING, 6000)
            else:
                self.messages.info("New project", "Open a video to start a project on it "
                                   "(File ▸ Open or drop a file).")
            return
        if self.confirm("starting a new project"):
            self._drop_read()
            self.session.set_clip(clip, source)

    def open_project(self, path: str | Path | None = None) -> None:
        """Read a project file on a worker (decompressing a whole-clip Full-HD mask took
        0.6 s of the GUI thread), then its clip (open_data). A change made meanwhile is
        asked about again once it is read, as for a clip."""
        if not self.confirm("opening another project"):
            return
        if path is None:
            path = prompts.choose_project_to_open(self._window, self._folder())
            if path is None:
                return
        path = Path(path)
        job = jobs.Job(lambda job: _read_file(path), name="open project")
        job.succeeded.connect(self._on_project_read)
        job.failed.connect(self._on_read_failed)
        job.done.connect(self._on_read_done)
        self._drop_read()  # the latest choice wins
        self._reader, self._read_path, self._note = job, path, ""
        self._read_since = self.session.revision
        self._show_busy()
        self.messages.status(self._reading_text(path))
        jobs.start(job)

    @property
    def reading(self) -> bool:
        """A project file is being read."""
        return self._reader is not None

    def note_on_open(self, text: str) -> None:
        """A sentence for the status line once the project being read is shown (as
        ClipController.note_on_open, whose clip read starts after this one)."""
        if self._reader is not None:
            self._note = text

    def open_data(self, data: ProjectData, project_path: Path | None, dirty: bool,
                  then: Callable[[], None] | None = None, take: bool = False) -> bool:
        """Read the data's source clip (found again if it moved), then restore the session
        from `data`; `then` runs once it is restored. False when the user gave up. take:
        `data` was read for this open alone, and its layers become the session's as they
        are (SessionModel.restore; copying a whole-clip Full-HD mask took 170 ms of the
        GUI thread, and freeing what was read 40 ms more)."""
        self._drop_read()

        def abandoned() -> None:  # the open goes no further: what it read is let go of
            if take:
                _let_go_of_layers(data)

        found = self._find_source(data.source, project_path)
        if found is None:
            self.messages.status("Not opened: the source clip was not found.", 8000)
            abandoned()
            return False

        def restore(clip: Source, info: SourceInfo) -> None:
            moved = info.path != data.source.path
            changed = (info.size, info.digest) != (data.source.size, data.source.digest)
            notes = self.session.restore(data, clip, info, project_path,
                                         dirty=dirty or moved or changed, take=take)
            if project_path is not None and not dirty and self.settings is not None:
                # Exported in, then closed without saving: its last export's choices.
                since = preferences.export_since(self.settings, project_path)
                if since is not None:
                    self.session.set_export(since)
            if project_path is not None and not dirty:
                self.recent.add(project_path)
            if changed:
                dropped = any("not loaded" in n for n in notes)  # a mask of another size
                kept = ("The settings and favourites were restored" if dropped else
                        "The mask, settings and favourites were restored")
                notes.insert(0, f"The source clip “{info.name}” has changed since the project "
                             f"was saved (its size or content differs). {kept}; results may "
                             "differ from before.")
            if moved:
                notes.append(f"The source clip is now read from {info.path}; save the "
                             "project to remember the new place.")
            if notes:
                show_message(self._window, "Opened with changes", "\n\n".join(notes))
            if then is not None:
                then()

        name = project_path.name if project_path is not None else found.name
        note, self._note = self._note, ""
        self.clips.load(found, self._unless_kept(restore, name, abandoned), abandoned)
        if note:
            self.clips.note_on_open(note)
        return True

    def save(self) -> bool:
        """Save to the project's file (Save As for a new one): True when the save started
        (it ends with save_finished; wait() waits for it)."""
        path = self.session.project_path
        if path is None and self._save is not None:
            path = self._save.path  # a Save As being written: its name
        if path is None:
            return self.save_as()
        if _read_only(path):
            # Saving would replace a file its owner made read-only: ask for another name,
            # in the file dialog's own title (a message beside it would be a second window).
            self.messages.status(f"{path.name} is read-only, so Save leaves it as it is: "
                                 "choose another name to keep your changes", 15000)
            return self.save_as(path.with_name(f"{path.stem} copy{path.suffix}"),
                                caption=f"{path.name} is read-only: save your changes as")
        return self._write(path)

    def save_as(self, suggested: Path | None = None, caption: str = "Save project as") -> bool:
        if self.session.clip is None:
            self.messages.no_clip("Nothing to save", "Open a video first: a project holds a "
                                  "clip with its mask, settings and favourites.")
            return False
        suggested = (suggested or self.session.project_path or
                     self.session.project_file_for(self._folder()))
        path = prompts.choose_project_to_save(self._window, suggested, caption)
        if path is not None and _read_only(Path(path)):
            self.messages.error("Read-only project", f"{Path(path).name} is read-only and "
                                "is left as it is; choose another name.")
            return False
        return path is not None and self._write(path)

    # -- internals --------------------------------------------------------------------------
    def _unless_kept(self, take: Loaded, name: str,
                     kept: Callable[[], None] | None = None) -> Loaded:
        """`take` (what replaces the session with the clip read) once the clip is read,
        unless the open project was changed while `name` was read and the user keeps it
        (then `kept`): the question before the read was about the changes made until then."""
        revision = self.session.revision

        def loaded(clip: Source, info: SourceInfo) -> None:
            self.wait()  # a save started meanwhile is of the session this one replaces
            if self.session.revision != revision and not self.confirm(
                    f"opening “{name}”", f"You changed “{self.session.name}” while “{name}” "
                    "was being read."):
                self.messages.status(f"{name} was not opened: “{self.session.name}” stays open "
                                     "with your changes.", 10000)
                if kept is not None:
                    kept()
                return
            take(clip, info)

        return loaded

    def _write(self, path: Path, eager: bool = False) -> bool:
        """Start writing the session to `path` on a worker (after the save in flight: two
        would share the temporary file's name). Its layers are copied there, unless eager:
        a retry after painting went on through that copy (then here, as the autosave does)."""
        if self._save is not None and not eager:
            self._next = Path(path)  # written after the one in flight, with what is then
            return True
        self.sync.commit_typed()
        data = self.session.snapshot(later=not eager)
        # As opening names it: the export choices, the recent list and recovery are kept by
        # this name, and one saved through a linked folder was not found again on opening.
        path = Path(path).expanduser().resolve()
        job = jobs.Job(lambda job: _write_file(job, data, path), name="project save")
        job.failed.connect(self._on_save_failed)
        job.done.connect(self._on_save_done)
        self._save = _Save(path, self.session.revision, self._generation, eager, job)
        self._failure = ""
        self._show_busy()
        self.messages.status(self._saving_text(path))
        jobs.start(job)
        return True

    @Slot(object, str)
    def _on_save_failed(self, job: jobs.Job, message: str) -> None:
        if self._save is not None and self._save.job is job:
            self._failure = message

    @Slot(object)
    def _on_save_done(self, job: jobs.Job) -> None:
        save = self._save
        if save is None or save.job is not job:
            return
        self._save = None
        outcome, message = job.kept[0] if job.kept else (FAILED, self._failure or
                                                         f"{save.path.name} was not written.")
        current = save.generation == self._generation  # the session written is still open
        if outcome == STALE and not save.eager and current:
            self._write(save.path, eager=True)  # painting went on: copied here this time
            return
        nxt, self._next = self._next, None
        if nxt is not None and current and outcome != FAILED:
            if outcome == SAVED:
                self.session.mark_saved(save.path, save.revision)
            self._write(nxt)
            return
        if nxt is not None and current and outcome == FAILED and Path(nxt) != save.path:
            # A Save As chosen while this save failed (another place, often because of the
            # failure): said, then written; the wait ends with its outcome.
            self.messages.withdraw(self._saving_text(save.path))
            self.messages.error("Cannot save the project", message)
            self._write(nxt)
            return
        if outcome == STALE:
            outcome, message = FAILED, (f"{save.path.name} was not written: another clip or "
                                        "project was opened while it was being saved.")
        self._show_busy()
        self.messages.withdraw(self._saving_text(save.path))
        self._saved_ok = outcome == SAVED
        if self._saved_ok:
            if current:  # what the file holds is saved; an edit made meanwhile is not
                self.session.mark_saved(save.path, save.revision)
            self.recent.add(save.path)
            self.messages.status(f"Saved {save.path.name}", 5000)
        else:
            self.messages.error("Cannot save the project", message)
        self.save_finished.emit(self._saved_ok)

    def _replaced(self, *_args) -> None:
        self._generation += 1

    @staticmethod
    def _saving_text(path: Path) -> str:
        return f"Saving {path.name}…"

    @staticmethod
    def _reading_text(path: Path) -> str:
        return f"Reading project {path.name}…"

    def _show_busy(self) -> None:
        self._busy.setVisible(self._save is not None or self._reader is not None)

    def _drop_read(self) -> None:
        """Forget the project being read (another clip or project was chosen since)."""
        job, self._reader = self._reader, None
        if job is not None:
            job.cancel()  # its result is ignored
            self.messages.withdraw(self._reading_text(self._read_path))
            self._show_busy()

    @Slot(object, object)
    def _on_project_read(self, job: jobs.Job, result: ProjectData | str) -> None:
        if job is not self._reader:
            return
        self._reader = None
        self._show_busy()
        path = self._read_path
        self.messages.withdraw(self._reading_text(path))
        if isinstance(result, str):
            self.messages.error("Cannot open the project", result)
            return
        if self.session.revision != self._read_since and not self.confirm(
                f"opening “{path.name}”", f"You changed “{self.session.name}” while “{path.name}” "
                "was being read."):
            self.messages.status(f"{path.name} was not opened: “{self.session.name}” stays "
                                 "open with your changes.", 10000)
            return
        self.open_data(result, path.expanduser().resolve(), dirty=False, take=True)

    @Slot(object, str)
    def _on_read_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._reader:
            self.messages.error("Cannot open the project", message)

    @Slot(object)
    def _on_read_done(self, job: jobs.Job) -> None:
        if job is self._reader:  # ended without a result (failed)
            self._reader = None
            self.messages.withdraw(self._reading_text(self._read_path))
            self._show_busy()

    def _find_source(self, source: SourceInfo, project_path: Path | None) -> Path | None:
        """The source's path, else a file of that name beside the project, else ask."""
        # os.path.exists: False, not an exception, for a folder one may not enter.
        if os.path.exists(source.path):
            return Path(source.path)
        if project_path is not None:
            beside = project_path.parent / source.name
            if os.path.exists(beside):
                return beside
        start = project_path.parent if project_path else Path(source.path).parent
        return prompts.find_moved_source(self._window, source, start)

    def _folder(self) -> Path:
        """Where the project dialogs start: the project's folder, else the clip's where one
        may write there and it is not the program's own (the bundled sample's: a project
        offered in `resources/`, or in a read-only shared folder, in an audit), else the
        last project's folder, else home."""
        if self.session.project_path is not None:
            return Path(self.session.project_path).parent
        clip = self.session.clip
        if clip is not None and clip.path is not None and os.access(clip.path.parent, os.W_OK) \
                and clip.path.resolve() != SAMPLE_CLIP.resolve():
            return clip.path.parent
        last = self.recent.paths()[0] if self.recent.paths() else None
        if last is not None and Path(last).parent.is_dir():
            return Path(last).parent
        return Path.home()

    def _show_title(self) -> None:
        clip = self.session.clip
        if clip is None:
            self._window.setWindowTitle(APP_NAME)
            return
        star = "*" if self.session.dirty else ""
        self._window.setWindowTitle(f"{self.session.name}{star} — {clip.name} — {APP_NAME}")


class _WaitDialog(QProgressDialog):
    def reject(self) -> None:  # Escape: the save is never cut short, its wait neither
        pass

    def closeEvent(self, event) -> None:  # noqa: N802
        event.ignore()


def _write_file(job: jobs.Job, data: ProjectData, path: Path) -> None:
    """A save's work, on its thread: the outcome goes to job.kept, (SAVED, ""), (STALE, "")
    or (FAILED, what to tell the user), where a cancel at exit cannot drop it (the file is
    written whole or not at all either way)."""
    try:
        save_project(data, path)
    except SnapshotStale:  # the layers changed while they were copied: nothing written
        job.kept.append((STALE, ""))
    except OSError as exc:
        job.kept.append((FAILED, f"{path.name}: {exc.strerror or exc}. Nothing was changed "
                                 "on disk; try another folder."))
    except MemoryError:
        job.kept.append((FAILED, f"{path.name}: not enough memory to copy the painted layers. "
                                 "Nothing was changed on disk."))
    else:
        job.kept.append((SAVED, ""))


def _read_file(path: Path) -> ProjectData | str:
    """A project read on its thread: its data, or what to tell the user."""
    try:
        return load_project(path)
    except ProjectError as exc:
        return str(exc)
    except MemoryError:
        return f"{path.name}: not enough memory to read its painted layers."


def _read_only(path: Path) -> bool:
    """A project file that is there and made read-only (by its mode: root may write it)."""
    return os.path.exists(path) and (not os.access(path, os.W_OK)
                                     or not os.stat(path).st_mode & 0o222)


def _let_go_of_layers(data: ProjectData) -> None:
    """An open given up after its read (the clip not found, its read failed or cancelled,
    the open project kept): the painted layers read for it are freed on a thread of their
    own, not wherever its last reference goes (35 ms of the GUI thread for a whole-clip
    Full-HD mask), and not held until the next open."""
    held = [array for layers in (data.inpaint, data.sketch) if isinstance(layers, PaintLayers)
            for array in (layers.mask, layers.hints, layers.masked) if array is not None]
    data.inpaint = data.sketch = None
    let_go(held)
