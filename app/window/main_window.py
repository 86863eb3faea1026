"""The editor's main window: viewer, transport and timeline on the left, the control panel
on the right (`launch()` in app.window.launch opens it).

The window owns the models (playback, in/out range, source, result, the inpaint mask
through app.inpaint.controller) and wires the widgets to them; engine work runs in jobs
(app.workers.jobs) and comes back as signals. Its commands live in mixins: display
(main_view), generation (main_generation), dialogs (main_actions).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.inpaint.controller import InpaintController
from app.state.media import Source, read_source
from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from app.widgets.control_panel import ControlPanel
from app.widgets.dialogs import show_error, show_info
from app.widgets.export_dialog import ExportRunner
from app.widgets.playback import InOutRange, Playback
from app.widgets.seed_browser import SeedBrowser
from app.widgets.timeline import Timeline
from app.widgets.transport import TransportBar
from app.widgets.viewer import VideoViewer
from app.window.main_actions import MainActionsMixin
from app.window.main_generation import GenerationMixin
from app.window.main_view import ViewMixin
from app.window.menus import build_menus
from app.window.recent_files import RecentFiles
from app.workers import jobs
from app.workers.generation import GenerationController

APP_NAME = "VGPNN Editor"


class MainWindow(ViewMixin, GenerationMixin, MainActionsMixin, QMainWindow):
    source_loaded = Signal(object)  # Source
    result_shown = Signal(object)  # ResultClip (each preview level and the final)
    error_reported = Signal(str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings()
        self.recent = RecentFiles(self.settings)
        self.cache = ResultCache()
        self.source: Source | None = None
        self.result: ResultClip | None = None
        self.mode = "source"
        self.last_error = ""
        self.browser: SeedBrowser | None = None
        self._loader: jobs.Job | None = None
        self._generated_once = False
        self._run_note = ""  # said in the status bar while a run reports back
        self.exported_paths: list[Path] = []
        self.device_label = ""

        self.playback = Playback(self)
        self.in_out = InOutRange(self)
        self.viewer = VideoViewer()
        self.timeline = Timeline()
        self.transport = TransportBar(self.playback)
        self.info = QLabel("No clip")
        self.info.setObjectName("clipInfo")
        self.panel = ControlPanel()
        self.generation = GenerationController(self.cache, self)
        self.exporter = ExportRunner(self)
        self.inpaint = InpaintController(self.viewer.source, self)
        self.panel.page_for("inpaint").set_tools(self.inpaint.panel)
        self._build_layout()
        self.actions_by_name = build_menus(self)
        self._connect()
        self._probe_device()

    # -- construction ------------------------------------------------------------------
    def _build_layout(self) -> None:
        media = QWidget()
        ml = QVBoxLayout(media)
        ml.setContentsMargins(6, 6, 0, 6)
        ml.setSpacing(4)
        ml.addWidget(self.info)
        ml.addWidget(self.viewer, 1)
        ml.addWidget(self.transport)
        ml.addWidget(self.timeline)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(340)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(media)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([920, 360])
        self.setCentralWidget(splitter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: "working"
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy_bar)

    def _connect(self) -> None:
        self.playback.frame_changed.connect(self._show_frame)
        self.in_out.changed.connect(self._on_in_out)
        self.timeline.frame_scrubbed.connect(self.playback.seek)
        self.timeline.in_out_dragged.connect(self.in_out.set_range)
        self.transport.mode_chosen.connect(self.set_view_mode)
        self.transport.fit_requested.connect(self.viewer.fit)
        self.panel.generate_requested.connect(self.generate)
        self.panel.cancel_requested.connect(self.cancel_generation)
        self.panel.browse_requested.connect(self.browse_seeds)
        self.panel.choices_changed.connect(self._on_choices_changed)
        self.panel.task_changed.connect(self._on_task_changed)
        self.inpaint.maskedFramesChanged.connect(self.timeline.set_marks)
        self.inpaint.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.generation.preview.connect(self._on_preview)
        self.generation.progress.connect(self._on_progress)
        self.generation.finished.connect(self._on_finished)
        self.generation.failed.connect(self._on_generation_failed)
        self.generation.cancelled.connect(self._on_cancelled)
        self.generation.busy_changed.connect(self.panel.set_busy)
        self.exporter.finished.connect(self._on_exported)
        self.exporter.failed.connect(lambda msg: self.report_error("Export failed", msg))
        self.exporter.cancelled.connect(
            lambda: self.statusBar().showMessage("Export cancelled; nothing was written.", 8000))

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
        self.report_error("Engine unavailable", message)

    # -- opening -----------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Read a clip on a worker (a busy indicator shows); bad files give a dialog."""
        if not self.inpaint.confirm_discard(self):
            return
        path = str(path)
        job = jobs.Job(lambda _job: read_source(path), name="open")
        job.succeeded.connect(self._on_loaded)
        job.failed.connect(self._on_load_failed)
        job.done.connect(self._on_load_done)
        if self._loader is not None:
            self._loader.cancel()  # its result will be ignored
        self._loader = job
        self._pending_path = path
        self.busy_bar.setVisible(True)
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        jobs.start(job)

    @property
    def loading(self) -> bool:
        return self._loader is not None

    @Slot(object, object)
    def _on_loaded(self, job: jobs.Job, source: Source) -> None:
        if job is not self._loader:
            return
        self.recent.add(self._pending_path)
        self.set_source(source)

    @Slot(object, str)
    def _on_load_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._loader:
            self.report_error("Cannot open the file", message)

    @Slot(object)
    def _on_load_done(self, job: jobs.Job) -> None:
        if job is self._loader:
            self._loader = None
            self.busy_bar.setVisible(False)

    def set_source(self, source: Source) -> None:
        self.generation.cancel()
        if self.browser is not None:
            self.browser.close()
        self.source = source
        self.result = None
        self._generated_once = False
        self.viewer.result.show_message("No result yet.\nPress Generate (G) to make one.")
        self.info.setText(source.describe())
        self.setWindowTitle(f"{source.name} — {APP_NAME}")
        self.inpaint.reset(source.frames.shape[:3], source.path)
        self.in_out.reset(source.length)
        self.panel.output.set_source(source.width, source.height, source.length, source.fps)
        self.mode = "source"
        self.viewer.set_mode("source")
        self.transport.set_mode("source")
        self.timeline.set_clip(source.frames, source.fps)
        self.timeline.set_in_out(self.in_out.in_point, self.in_out.out_point)
        self.timeline.show_in_out(True)
        self.playback.set_clip(source.length, source.fps, 0)
        self.viewer.source.fit()
        self.viewer.focus_view()
        notes = "; ".join(source.clip.notes)
        self.statusBar().showMessage(f"Opened {source.name}" + (f" ({notes})" if notes else ""),
                                     8000)
        self.source_loaded.emit(source)

    # -- tasks -------------------------------------------------------------------------
    @Slot(str)
    def _on_task_changed(self, task: str) -> None:
        painting = task == "inpaint"
        self.inpaint.set_active(painting)
        if painting and self.source is not None and self.mode == "result":
            self.set_view_mode("side")  # painting happens on the Source pane

    def import_masks(self) -> None:
        if self._inpaint_with_clip():
            self.inpaint.panel.choose_import()

    def export_masks(self) -> None:
        if self._inpaint_with_clip():
            if not self.inpaint.has_mask():
                self.report_error("Export masks", "There is no mask to export yet.")
                return
            self.inpaint.panel.choose_export()

    def _inpaint_with_clip(self) -> bool:
        """Masks belong to a clip: need one, and show the Inpaint task to see them."""
        if self.source is None:
            self.report_error("No clip", "Open a video first (File ▸ Open or drop a file).")
            return False
        self.panel.set_task("Inpaint")
        return True

    # -- messages ----------------------------------------------------------------------
    def report_error(self, title: str, message: str) -> None:
        """Status bar + a (non-blocking) dialog; never a crash."""
        self.last_error = message
        self.statusBar().showMessage(message, 15000)
        show_error(self, title, message)
        self.error_reported.emit(message)

    def show_info(self, title: str, message: str) -> None:
        show_info(self, title, message)

    # -- window ------------------------------------------------------------------------
    def closeEvent(self, event):  # noqa: N802
        self.playback.stop()
        self.generation.cancel()
        self.exporter.cancel()
        if self.browser is not None:
            self.browser.close()
        jobs.stop_all(timeout_ms=2000)
        super().closeEvent(event)
