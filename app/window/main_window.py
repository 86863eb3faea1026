"""The editor's main window: viewer, transport and timeline on the left, the control panel
on the right. It builds the widgets and the session (app.state.session), then composes the
controllers, each given what it uses:

    view      what the viewer and timeline show          runs      Generate, Cancel, requests
    clips     reading a clip, showing a new one          browsers  the seed browser, favourites
    projects  New / Open / Save, the unsaved question    exports   Export Result / Favourites
    autosave  recovery files, the recovery offer         sync      side panel <-> session
    inpaint   the mask painter                           sketch    the sketch canvas
    guided    Analogy and Sketch: clip A, structure overlays, their runs' layout

Menus (app.window.menus) call the controllers' commands; engine work runs in jobs
(app.workers) and comes back as signals.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.inpaint import mask_io
from app.inpaint.controller import InpaintController
from app.sketch.controller import SketchController
from app.state.export_journal import ExportJournal
from app.state.media import MEDIA_PATTERNS
from app.state.recovery import RecoveryStore, data_dir
from app.state.result_cache import ResultCache
from app.state.session import SessionModel
from app.widgets.accessible import name_form_fields
from app.widgets.control_panel import ControlPanel, PanelScroll
from app.widgets.dialogs import show_long_text
from app.widgets.drops import (
    accept_local_files,
    dropped_files,
    file_names,
    ignored_text,
    openable,
    pick_openable,
)
from app.widgets.elided_label import ElidedLabel, ElidingStatusBar
from app.widgets.focus_keys import give_keys_to_controls
from app.widgets.playback import Playback
from app.widgets.timeline import Timeline
from app.widgets.transport import ClipHeader, TransportBar
from app.widgets.viewer import VideoViewer
from app.window import preferences, prompts
from app.window.autosave import AutosaveController
from app.window.browser import BrowserController
from app.window.clips import ClipController
from app.window.export import ExportController
from app.window.freshness import ResultFreshness
from app.window.guided import GuidedController
from app.window.help_text import ABOUT, SHORTCUT_HELP
from app.window.menus import build_menus, fill_paths
from app.window.messages import Messages
from app.window.projects import APP_NAME, ProjectController
from app.window.recent_files import RecentFiles
from app.window.runs import RunController
from app.window.settings_sync import SettingsSync
from app.window.view import ViewController
from app.workers import jobs
from app.workers.eta import RatePriors
from app.workers.generation import GenerationRunner
from engine.errors import InputError
from engine.io.paths import check_reachable

__all__ = ["APP_NAME", "MainWindow"]

OPEN_FILTER = f"Videos and images ({MEDIA_PATTERNS});;VGPNN projects (*.vgpnn);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None,
                 data_folder: str | Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self._fit_screen(1280, 800)
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings()
        self.session = SessionModel()
        self.cache = ResultCache()
        self.device_label = ""

        self.playback = Playback(self)
        self.viewer = VideoViewer()
        self.timeline = Timeline()
        self.transport = TransportBar(self.playback)
        # Elided in the middle (a long file name must not widen the window past the screen;
        # the size, fps and duration at its end stay in view), the whole text in a tooltip.
        self.info = ElidedLabel("No clip", elide=Qt.TextElideMode.ElideMiddle, keep_after=" — ")
        self.info.setObjectName("clipInfo")
        self.panel = ControlPanel()
        self._build_layout()

        s = self.session
        self.messages = Messages(self)
        self.inpaint = InpaintController(s.mask, self.viewer.source, self)
        self.panel.page_for("inpaint").set_tools(self.inpaint.panel)
        self.sketch = SketchController(s.sketch, self.viewer.source, self)
        self.panel.page_for("sketch").set_tools(self.sketch.panel)
        give_keys_to_controls(self.panel)  # the painting tools too, now in the panel
        name_form_fields(self.panel)
        self.sync = SettingsSync(s, self.panel, self)
        self.view = ViewController(s, self.playback, self.viewer, self.timeline, self.transport,
                                   self.panel.output, self.inpaint, self.sketch,
                                   self.messages.status, self)
        self.guided = GuidedController(s, self.panel, self.sketch, self.messages, self.settings,
                                       open_look=lambda path: self.open_picked(path),
                                       choose_look=lambda: self.choose_file(), parent=self)
        self.generation = GenerationRunner(self.cache, self, RatePriors(self.settings))
        self.runs = RunController(s, self.sync, self.panel, self.inpaint, self.generation,
                                  self.view, self.messages, self.guided, self)
        self.freshness = ResultFreshness(s, self.runs, self.view, self.viewer.result, self)
        self.recent = RecentFiles(self.settings)
        self.clips = ClipController(s, self.view, self.panel.output, self.inpaint, self.info,
                                    self.busy_bar, self.recent, self.messages, self)
        self.clips.reading_changed.connect(self.guided.clip_reading)
        self.exports = ExportController(s, self.runs, self.cache, self.view, self.settings,
                                        self.messages, self)
        self.browsers = BrowserController(s, self.runs, self.cache, self.view, self.messages,
                                          self.exports, self)
        self.recent_projects = RecentFiles(self.settings, key="recentProjects")
        self.projects = ProjectController(s, self.clips, self.sync, self.recent_projects,
                                          self.messages, self, self.settings)
        self.messages.reading = lambda: self.clips.loading or self.projects.reading
        folder = data_folder or data_dir(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.AppDataLocation) or None)
        self.autosave = AutosaveController(s, self.sync, RecoveryStore(folder), self.projects,
                                           self.messages, self)
        self.exports.journal = ExportJournal(self.autosave.store)
        # Signals tests and tools listen to, under the names the window always had.
        self.error_reported = self.messages.error_reported
        self.result_shown = self.view.result_shown
        self.source_loaded = self.clips.source_loaded
        self.exporter = self.exports.runner

        self.actions_by_name, self.submenus = build_menus(
            self, self._commands(), self._fillers(), self.inpaint.panel.window_actions(),
            [self.viewer], self.sketch.panel.window_actions())
        self.panel.task_changed.connect(self._show_edit_actions)
        self.recent_menu = self.submenus["recent"]
        self.panel.task_changed.connect(self.view.on_task_changed)
        self.panel.browse_requested.connect(self.browsers.browse_seeds)
        self.inpaint.message.connect(lambda text: self.messages.status(text, 8000))
        self.inpaint.failed.connect(self.messages.error)
        self.sketch.message.connect(lambda text: self.messages.status(text, 8000))
        self.sketch.drawnFramesChanged.connect(self._show_marks)
        self.inpaint.maskedFramesChanged.connect(self._show_marks)
        self.panel.task_changed.connect(lambda task: self._show_marks())
        self.playback.frame_changed.connect(
            lambda frame: self.guided.show_frame(frame, self.view.mode == "result"))
        s.clip_changed.connect(lambda clip: clip and self.sketch.show_clip(clip.path))
        if preferences.restore(self.settings, self, self.splitter, s):
            self._keep_on_screen()
        self._probe_device()

    # -- construction ------------------------------------------------------------------------
    def _fit_screen(self, width: int, height: int) -> None:
        """Open at `width` x `height`, or within the screen where it is smaller (a 1024×640
        laptop): the layout fits down to about 680 px wide."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, room.width()), min(height, room.height())
        self.resize(width, height)

    def _keep_on_screen(self) -> None:
        """A restored window on a screen that is gone, or larger than this one: back within
        the screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        room, frame = screen.availableGeometry(), self.frameGeometry()
        if not room.contains(frame):
            self._fit_screen(frame.width(), frame.height())
            self.move(room.topLeft())

    def _build_layout(self) -> None:
        media = QWidget()
        ml = QVBoxLayout(media)
        ml.setContentsMargins(6, 6, 0, 6)
        ml.setSpacing(4)
        # The clip's name and size, and the view switch with Fit (below the name where the
        # window is narrow).
        self.header = ClipHeader(self.info, self.transport.view_controls)
        ml.addWidget(self.header)
        ml.addWidget(self.viewer, 1)
        ml.addWidget(self.transport)
        ml.addWidget(self.timeline)
        # As wide as the current page needs beside its scroll bar; a page wider than the
        # column (a large font, a long word) can be scrolled to rather than cut off.
        scroll = PanelScroll(self.panel)
        side = QWidget()  # the settings scroll; Generate and the progress stay below them
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(0)
        sl.addWidget(scroll, 1)
        sl.addWidget(self.panel.footer)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(media)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([900, 380])  # the panel narrows to its minimum on a small screen
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.setStatusBar(ElidingStatusBar(self))
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: "working"
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy_bar)

    def _next_pane(self) -> None:
        """F6: the keyboard focus moves from the viewer to the timeline, to the side panel
        (its Task box) and back (Tab in the viewer switches Source / Result instead)."""
        focus = QApplication.focusWidget()
        if focus is not None and self.viewer.isAncestorOf(focus):
            self.timeline.setFocus(Qt.FocusReason.TabFocusReason)
        elif focus is not None and (focus is self.timeline or self.timeline.isAncestorOf(focus)):
            self.panel.task.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.viewer.focus_view()

    def _commands(self) -> dict:
        pb, view, p = self.playback, self.view, self.projects
        return {
            "new_project": p.new_project, "open": self.choose_file,
            "open_project": p.open_project, "save": p.save, "save_as": p.save_as,
            "export": self.exports.export_result, "export_favs": self.exports.export_favourites,
            "import_masks": self.import_masks, "export_masks": self.export_masks,
            "import_sketch": self.import_sketch, "export_sketch": self.export_sketch,
            "quit": self.close,
            "play": pb.toggle_play, "reverse": pb.reverse, "stop": pb.stop, "forward": pb.forward,
            "prev": lambda: pb.step(-1), "next": lambda: pb.step(1),
            "back_1s": lambda: pb.step_seconds(-1), "fwd_1s": lambda: pb.step_seconds(1),
            "home": pb.home, "end": pb.end, "in": view.set_in_point, "out": view.set_out_point,
            "clear_in_out": view.clear_in_out, "toggle": view.toggle_source_result,
            "side": view.toggle_side_by_side, "fit": self.viewer.fit,
            "next_pane": self._next_pane,
            "generate": self.runs.generate, "cancel": self.runs.cancel,
            "browse": self.browsers.browse_seeds, "new_seed": self.panel.randomize_seed,
            # Over the window that asked (F1 works in the seed browser too).
            "keys": lambda: show_long_text(QApplication.activeWindow() or self, "Keyboard shortcuts",
                                           SHORTCUT_HELP),
            "about": lambda: self.messages.info("About", ABOUT),
        }

    def _fillers(self) -> dict:
        def opener(recent: RecentFiles):
            def open_recent(path: str) -> None:
                try:
                    check_reachable(path)  # a folder one may not enter: said, and kept
                except InputError as exc:
                    self.messages.error("Cannot open", str(exc))
                    return
                if not Path(path).exists():  # moved or deleted since: not offered again
                    recent.remove(path)
                    self.messages.error("Not found", f"{Path(path).name} is no longer at {path}; "
                                        "it was taken off the list.")
                    return
                self.projects.open_path(path)
            return open_recent

        return {
            "recent": lambda m: fill_paths(m, self.recent.paths(), opener(self.recent),
                                           self.recent.clear),
            "recent_projects": lambda m: fill_paths(m, self.recent_projects.paths(),
                                                    opener(self.recent_projects),
                                                    self.recent_projects.clear),
            "favourites": self._fill_favourites,
        }

    def _fill_favourites(self, menu: QMenu) -> None:
        """Generate ▸ Favourites: one click remakes a favourite (its settings and seed)."""
        menu.clear()
        labels = [self._favourite_label(fav) for fav in self.session.favourites]
        for fav, label in zip(self.session.favourites, labels, strict=True):
            action = menu.addAction("★ " + label)
            action.setStatusTip("Make this variation again with its own settings and seed")
            action.triggered.connect(lambda _=False, f=fav: self.runs.use_favourite(f))
        if not self.session.favourites:
            menu.addAction("(none: star variations in the seed browser)").setEnabled(False)
            return
        menu.addSeparator()
        remove = menu.addMenu("Remove")  # also those no grid shows a star for any more
        for fav, label in zip(self.session.favourites, labels, strict=True):
            remove.addAction(label).triggered.connect(
                lambda _=False, f=fav: self.session.remove_favourite(f))

    def _favourite_label(self, fav) -> str:
        """Its label, marked when the current mask, sketch or clip A would not make it."""
        s = self.session
        if s.clip is None or fav.in_out[1] >= s.clip.length:
            return fav.label() + " (a longer clip)"
        # (An analogy's from a file, with no clip A open yet, is not marked: none is known.)
        unknown = fav.settings.task == "analogy" and s.motion is None and not fav.layers
        earlier = not s.makes(fav) and not unknown
        return fav.label() + (" (earlier mask, sketch or clip A)" if earlier else "")

    def _show_edit_actions(self, task: str) -> None:
        """The Edit menu shows the sketch canvas's stroke actions in the Sketch task, the
        mask painter's otherwise (each set is enabled only while its task is on)."""
        sketch = task == "sketch"
        for action in (*self.inpaint.panel.window_actions(), self.actions_by_name["edit_separator"]):
            action.setVisible(not sketch)
        for action in (*self.sketch.panel.window_actions(), self.actions_by_name["sketch_edit_separator"]):
            action.setVisible(sketch)

    def _show_marks(self, *_args) -> None:
        """The timeline marks the frames that carry paint: in the Inpaint task the mask's,
        in the Sketch task the drawing's (its key frames); no marks in the other tasks,
        which use neither."""
        task = self.panel.current_task()
        model = self.session.sketch if task == "sketch" else self.session.mask
        self.timeline.set_marks(model.masked_frames() if task in ("inpaint", "sketch") else None)

    def _probe_device(self) -> None:
        """Import the engine (PyTorch) and name the device off the GUI thread."""

        def work(job: jobs.Job) -> str:
            from engine.run import device_label

            return device_label()

        job = jobs.Job(work, name="device probe")
        job.succeeded.connect(self._on_device)
        job.failed.connect(self._on_device_failed)
        self._device_job = job
        jobs.start(job)

    @Slot(object, object)
    def _on_device(self, job: jobs.Job, label: str) -> None:
        self.device_label = label
        self.panel.set_device(label)

    @Slot(object, str)
    def _on_device_failed(self, job: jobs.Job, message: str) -> None:
        self.panel.set_device("unavailable")
        self.messages.error("Engine unavailable", message)

    # -- commands that open dialogs ------------------------------------------------------------
    def choose_file(self) -> None:
        start = self.settings.value("openDir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open video or project", str(start),
                                              OPEN_FILTER)
        if path:
            self.settings.setValue("openDir", str(Path(path).parent))
            self.open_picked(path)

    def open_picked(self, path: str | Path) -> None:
        """A file picked or dropped. A frame of a numbered sequence may stand for the whole
        sequence, as for clip A and masks: asked, since a camera's photos are numbered too."""
        sequence = mask_io.import_target(path)
        count = len(mask_io.numbered_like(Path(path).expanduser())) \
            if sequence != Path(path).expanduser() else 1
        if count > 1:  # (an export's one frame stands for its folder: the same picture)
            answer = prompts.ask_sequence_or_image(self, Path(path).name, sequence.name, count)
            if answer is None:
                return
            path = sequence if answer == prompts.SEQUENCE else path
        self.projects.open_path(path)

    def import_masks(self) -> None:
        if self._inpaint_with_clip():
            self.inpaint.panel.choose_import()

    def export_masks(self) -> None:
        if self._inpaint_with_clip():
            if not self.inpaint.has_mask():
                self.messages.error("Export masks", "There is no mask to export yet.")
                return
            self.inpaint.panel.choose_export()

    def import_sketch(self) -> None:
        if self._task_with_clip("Sketch"):
            self.sketch.panel.choose_import()

    def export_sketch(self) -> None:
        if self._task_with_clip("Sketch"):
            self.sketch.panel.choose_export()

    def _task_with_clip(self, task: str) -> bool:
        """A clip is needed; `task` is shown, whose layers the files are."""
        if self.session.clip is None:
            self.messages.no_clip()
            return False
        self.panel.set_task(task)
        return True

    def _inpaint_with_clip(self) -> bool:
        """Masks belong to a clip: need one, and show the Inpaint task to see them."""
        return self._task_with_clip("Inpaint")

    # -- window events -------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802
        accept_local_files(event)

    dragMoveEvent = dragEnterEvent  # noqa: N815

    def dropEvent(self, event):  # noqa: N802
        files = dropped_files(event)
        if len(files) > 1 and not any(openable(f) for f in files):
            self.messages.error("Cannot open the dropped files", (
                f"None of the {len(files)} dropped files is a clip, an image folder or a "
                f"project: {file_names(files)}. Drop a video, an image, a folder of "
                "numbered images or a .vgpnn project."))
            return
        if files:  # one clip at a time: the first that can be opened (a lone file is tried)
            path, unopenable, extra = pick_openable(files)
            self.open_picked(path)
            ignored = ignored_text(unopenable, extra)
            if ignored and (self.clips.loading or self.projects.reading):  # said now, and
                self.messages.status(f"Opening {Path(path).name}; {ignored}", 15000)
                self.clips.note_on_open(ignored)  # again once it is shown
                self.projects.note_on_open(ignored)

    def closeEvent(self, event):  # noqa: N802
        # The export first: answering "keep exporting" must not have asked about saving.
        # (Tests that switch the save question off are not asked this either.)
        if (self.exporter.busy and self.projects.ask_to_save
                and not prompts.ask_quit_during_export(self)):
            event.ignore()
            return
        if not self.projects.confirm("closing"):
            event.ignore()
            return
        self.playback.stop()
        self.sync.commit_typed()
        preferences.save(self.settings, self, self.splitter, self.session)
        # Cancel everything first, then wait for all threads together (one deadline).
        self.generation.cancel()
        self.exporter.cancel()
        self.browsers.close()
        if jobs.stop_all(timeout_ms=2000):  # the writer removed its temporary
            self.exports.journal.end()
        self.autosave.shutdown()  # a clean exit: no recovery file is left
        super().closeEvent(event)

