"""Reading a clip on a worker (a busy indicator shows; bad files give a dialog), and showing
a clip once the session holds it (a new clip, an opened project, a recovered session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel, QProgressBar

from app.inpaint.controller import InpaintController
from app.state.fingerprint import SourceInfo, describe
from app.state.media import Source, read_source
from app.state.session import SessionModel
from app.widgets.size_controls import OutputSizeGroup
from app.window.messages import Messages
from app.window.recent_files import RecentFiles
from app.window.view import ViewController
from app.workers import jobs
from engine.io import SAMPLE_CLIP

Loaded = Callable[[Source, SourceInfo], None]


def _read(path: str, cancel: Callable[[], bool]) -> tuple[Source, SourceInfo]:
    source = read_source(path, cancel)
    try:
        info = describe(path, source.frames.shape[:3])
    except OSError as exc:  # read, then gone or unreadable: say so, as for a bad file
        raise OSError(f"{Path(path).name}: cannot read the file ({exc.strerror})") from exc
    return source, info


class ClipController(QObject):
    source_loaded = Signal(object)  # Source, once shown
    reading_changed = Signal(bool)  # a clip is being read (or no longer)

    def __init__(self, session: SessionModel, view: ViewController, output: OutputSizeGroup,
                 inpaint: InpaintController, info: QLabel, busy: QProgressBar,
                 recent: RecentFiles, messages: Messages, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.view, self.output, self.inpaint = session, view, output, inpaint
        self.info, self.busy, self.recent, self.messages = info, busy, recent, messages
        self._loader: jobs.Job | None = None
        self._pending: tuple[str, Loaded, Callable[[], None] | None] | None = None
        self._note = ""  # said with "Opened …" once the clip being read is shown
        session.clip_changed.connect(self._show)

    @property
    def loading(self) -> bool:
        return self._loader is not None

    def load(self, path: str | Path, loaded: Loaded | None = None,
             abandoned: Callable[[], None] | None = None) -> None:
        """Read `path` on a worker, then hand it to `loaded` (default: a new session).
        `abandoned` runs instead when `loaded` never will: the read failed or was replaced
        by another (what was read for it, a project's layers, is let go of then)."""
        path = str(path)
        job = jobs.Job(lambda job: _read(path, job.is_cancelled), name="open")
        job.succeeded.connect(self._on_loaded)
        job.failed.connect(self._on_failed)
        job.done.connect(self._on_done)
        if self._loader is not None:
            self._loader.cancel()  # it stops at its next frame; its result is ignored
        self._give_up()
        self._loader = job
        self._pending = (path, loaded or self.session.set_clip, abandoned)
        self._note = ""
        self.busy.setVisible(True)
        self.messages.status(f"Opening {Path(path).name}…")
        self.reading_changed.emit(True)
        jobs.start(job)

    def note_on_open(self, text: str) -> None:
        """A sentence for the status line once the clip being read is shown (which files
        of a drop were left out): the "Opening …" line is replaced by then."""
        if self._loader is not None:
            self._note = text

    @Slot(object, object)
    def _on_loaded(self, job: jobs.Job, result: tuple[Source, SourceInfo]) -> None:
        if job is self._loader:
            path, loaded, _ = self._pending
            self._pending = None  # handed on: nothing is held here for a later open
            loaded(*result)
            if self.session.clip is not result[0]:
                return  # not taken (the project was kept, asked again): not a recent file
            if Path(path).resolve() != Path(SAMPLE_CLIP).resolve():  # opened at every start:
                self.recent.add(path)  # it would push the user's own clips down the list

    @Slot(object, str)
    def _on_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._loader:
            self._note = ""
            self.messages.error("Cannot open the file", message)

    @Slot(object)
    def _on_done(self, job: jobs.Job) -> None:
        if job is self._loader:
            self._loader = None
            self.busy.setVisible(False)
            self._give_up()  # failed or cancelled: `loaded` was never called
            self.reading_changed.emit(False)

    def _give_up(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending[2] is not None:
            pending[2]()

    def _show(self, source: Source | None) -> None:
        """The session holds a new clip: show it from the start, with no result."""
        if source is None:
            return
        in_out = self.session.in_out
        self.output.set_source(source.width, source.height, source.length, source.fps)
        self.output.set_range_length(in_out.count)
        self.inpaint.show_clip(source.path)
        self.view.show_clip()
        self.info.setText(source.describe())
        notes = "; ".join(source.clip.notes)
        said, self._note = self._note, ""
        project = self.session.project_path  # a project restored: named, with its clip
        what = f"project {project.name} on {source.name}" if project else source.name
        self.messages.status(f"Opened {what}" + (f" ({notes})" if notes else "") +
                             (f"; {said}" if said else ""), 15000 if said else 8000)
        self.source_loaded.emit(source)
