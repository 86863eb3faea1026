"""Projects: New, Open, Save, Save As and Open Recent for `.vgpnn` files; the question
before unsaved changes would be lost; the window title (project name, `*` when unsaved).

Opening a project reads its source clip again: a source that moved is looked for beside
the project and then asked for; one whose size or hash changed is opened with a warning.

A clip or project is read on a worker, and the editor stays usable meanwhile: the question
about unsaved changes is asked before the read, and asked again when the new clip arrives
if the open project was changed while it was read (Cancel then keeps it, and the new clip
is not opened), so no stroke or setting made in the meantime is dropped unasked.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMainWindow

from app.state.fingerprint import SourceInfo
from app.state.media import Source
from app.state.project_file import SUFFIX, ProjectData, ProjectError, load_project, save_project
from app.state.session import SessionModel
from app.widgets.dialogs import show_message
from app.window import preferences, prompts
from app.window.clips import ClipController, Loaded
from app.window.messages import Messages
from app.window.recent_files import RecentFiles
from app.window.settings_sync import SettingsSync

APP_NAME = "VGPNN Editor"


class ProjectController(QObject):
    def __init__(self, session: SessionModel, clips: ClipController, sync: SettingsSync,
                 recent: RecentFiles, messages: Messages, window: QMainWindow,
                 settings: QSettings | None = None) -> None:
        super().__init__(window)
        self.session, self.clips, self.sync = session, clips, sync
        self.settings = settings
        self.recent, self.messages, self._window = recent, messages, window
        self.ask_to_save = True  # tests switch the question off (changes are then dropped)
        for event in (session.project_changed, session.dirty_changed, session.clip_changed):
            event.connect(lambda *_: self._show_title())
        self._show_title()

    # -- before changes are lost ------------------------------------------------------------
    def confirm(self, before: str, why: str = "") -> bool:
        """Save / Discard / Cancel when there are unsaved changes; True to go on. `why`:
        said first in the question (why it is asked now)."""
        if not self.ask_to_save or not self.session.dirty:
            return True
        answer = (prompts.ask_save_changes(self._window, self.session.name, before, why)
                  if why else prompts.ask_save_changes(self._window, self.session.name, before))
        if answer == prompts.SAVE:
            return self.save()
        return answer == prompts.DISCARD

    # -- commands ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """A clip (a new session) or a `.vgpnn` project, by name: menus, drops, the command
        line."""
        if Path(path).suffix.lower() == SUFFIX:
            self.open_project(path)
        elif self.confirm("opening another clip"):
            self.clips.load(path, self._unless_kept(self.session.set_clip, Path(path).name))

    def new_project(self) -> None:
        """Start over on the current clip: full range, no mask, no favourites, untitled."""
        clip, source = self.session.clip, self.session.source
        if clip is None:
            self.messages.info("New project", "Open a video to start a project on it "
                               "(File ▸ Open or drop a file).")
            return
        if self.confirm("starting a new project"):
            self.session.set_clip(clip, source)

    def open_project(self, path: str | Path | None = None) -> None:
        if not self.confirm("opening another project"):
            return
        if path is None:
            path = prompts.choose_project_to_open(self._window, self._folder())
            if path is None:
                return
        try:
            data = load_project(path)
        except ProjectError as exc:
            self.messages.error("Cannot open the project", str(exc))
            return
        self.open_data(data, Path(path).expanduser().resolve(), dirty=False)

    def open_data(self, data: ProjectData, project_path: Path | None, dirty: bool,
                  then: Callable[[], None] | None = None) -> bool:
        """Read the data's source clip (found again if it moved), then restore the session
        from `data`; `then` runs once it is restored. False when the user gave up."""
        found = self._find_source(data.source, project_path)
        if found is None:
            self.messages.status("Not opened: the source clip was not found.", 8000)
            return False

        def restore(clip: Source, info: SourceInfo) -> None:
            moved = info.path != data.source.path
            changed = (info.size, info.digest) != (data.source.size, data.source.digest)
            notes = self.session.restore(data, clip, info, project_path,
                                         dirty=dirty or moved or changed)
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
        self.clips.load(found, self._unless_kept(restore, name))
        return True

    def save(self) -> bool:
        path = self.session.project_path
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
            self.messages.error("Nothing to save", "Open a video first: a project holds a "
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
    def _unless_kept(self, take: Loaded, name: str) -> Loaded:
        """`take` (what replaces the session with the clip read) once the clip is read,
        unless the open project was changed while `name` was read and the user keeps it:
        the question before the read was about the changes made until then."""
        revision = self.session.revision

        def loaded(clip: Source, info: SourceInfo) -> None:
            if self.session.revision != revision and not self.confirm(
                    f"opening “{name}”", f"You changed “{self.session.name}” while “{name}” "
                    "was being read."):
                self.messages.status(f"{name} was not opened: “{self.session.name}” stays open "
                                     "with your changes.", 10000)
                return
            take(clip, info)

        return loaded

    def _write(self, path: Path) -> bool:
        self.sync.commit_typed()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            save_project(self.session.snapshot(), path)
        except OSError as exc:
            self.messages.error("Cannot save the project",
                                f"{Path(path).name}: {exc.strerror or exc}. Nothing was "
                                "changed on disk; try another folder.")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.session.mark_saved(Path(path))
        self.recent.add(path)
        self.messages.status(f"Saved {Path(path).name}", 5000)
        return True

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
        for p in (self.session.project_path, self.session.clip and self.session.clip.path):
            if p:
                return Path(p).parent
        return Path.home()

    def _show_title(self) -> None:
        clip = self.session.clip
        if clip is None:
            self._window.setWindowTitle(APP_NAME)
            return
        star = "*" if self.session.dirty else ""
        self._window.setWindowTitle(f"{self.session.name}{star} — {clip.name} — {APP_NAME}")


def _read_only(path: Path) -> bool:
    """A project file that is there and made read-only (by its mode: root may write it)."""
    return os.path.exists(path) and (not os.access(path, os.W_OK)
                                     or not os.stat(path).st_mode & 0o222)
