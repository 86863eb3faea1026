"""The editor's main window: viewer, transport and timeline on the left, the control panel
on the right; and `launch()`, the entry point `python main.py [VIDEO]` calls.

The window owns the models (playback, in/out range, source, result) and wires the
widgets to them; engine work runs in jobs (app.jobs) and comes back as signals.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.control_panel import ControlPanel
from app.dialogs import show_error, show_info
from app.eta import format_seconds
from app.export_dialog import ExportRunner
from app.generation import GenerationController, RunProgress
from app.main_actions import MainActionsMixin
from app.media import Source, read_source
from app.menus import build_menus
from app.playback import InOutRange, Playback
from app.recent_files import RecentFiles
from app.request_builder import build_request
from app.result_cache import ResultCache
from app.result_clip import ResultClip, result_index_for_source
from app.seed_browser import SeedBrowser
from app.style import apply_style
from app.timeline import Timeline
from app.transport import TransportBar
from app.viewer import VideoViewer

APP_NAME = "VGPNN Editor"


class MainWindow(MainActionsMixin, QMainWindow):
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

    # -- display -----------------------------------------------------------------------
    @Slot(int)
    def _show_frame(self, frame: int) -> None:
        self.timeline.set_frame(frame)
        if self.source is None:
            return
        if self.mode == "result":
            if self.result is not None:
                self.viewer.result.show_frame(self.result.frame_at(frame),
                                              self.result.display_size)
            return
        self.viewer.source.show_frame(self.source.frames[frame])
        if self.mode == "side" and self.result is not None:
            index = result_index_for_source(frame, self.in_out.in_point, self.result.length)
            self.viewer.result.show_frame(self.result.frame_at(index), self.result.display_size)

    def set_view_mode(self, mode: str) -> None:
        """"source", "result" or "side". In Result mode the timeline is the result's own."""
        if self.source is None:
            self.transport.set_mode(self.mode)
            return
        old, pos = self.mode, self.playback.frame
        self.mode = mode
        self.viewer.set_mode(mode)
        self.transport.set_mode(mode)
        fps = self.source.fps
        if mode == "result" and old != "result":
            length = self.result.length if self.result is not None else 1
            start = result_index_for_source(pos, self.in_out.in_point, length)
            self.timeline.show_in_out(False)
            self.timeline.set_clip(self.result.frames if self.result else None, fps, length)
            self.playback.set_clip(length, fps, start)
        elif mode != "result" and old == "result":
            start = min(self.in_out.in_point + pos, self.source.length - 1)
            self.timeline.set_clip(self.source.frames, fps)
            self.timeline.set_in_out(self.in_out.in_point, self.in_out.out_point)
            self.timeline.show_in_out(True)
            self.playback.set_clip(self.source.length, fps, start)
        else:
            self._show_frame(self.playback.frame)

    def toggle_source_result(self) -> None:
        self.set_view_mode("source" if self.mode == "result" else "result")

    def toggle_side_by_side(self) -> None:
        self.set_view_mode("source" if self.mode == "side" else "side")

    def show_result(self, clip: ResultClip) -> None:
        """Make `clip` the result on screen (a preview level or a finished video)."""
        first = self.result is None or self.result.request != clip.request
        self.result = clip
        if clip.notes:
            self.viewer.result.title.setToolTip("\n".join(clip.notes))
        self.viewer.result.title.setText(clip.label())
        if self.mode == "source":
            self.set_view_mode("result")
        elif self.mode == "result":
            if self.playback.length != clip.length or first:
                self.timeline.set_clip(clip.frames, self.source.fps, clip.length)
                self.playback.set_clip(clip.length, self.source.fps, self.playback.frame)
            else:
                self.timeline.set_clip(clip.frames, self.source.fps, clip.length)
        self._show_frame(self.playback.frame)
        self.result_shown.emit(clip)

    # -- in / out ----------------------------------------------------------------------
    def set_in_point(self) -> None:
        if self.source is not None and self.mode != "result":
            self.in_out.set_in(self.playback.frame)

    def set_out_point(self) -> None:
        if self.source is not None and self.mode != "result":
            self.in_out.set_out(self.playback.frame)

    def clear_in_out(self) -> None:
        if self.source is not None:
            self.in_out.reset(self.source.length)

    @Slot(int, int)
    def _on_in_out(self, first: int, last: int) -> None:
        if self.mode != "result":
            self.timeline.set_in_out(first, last)
        self.panel.output.set_range_length(last - first + 1)
        self.statusBar().showMessage(
            f"In {first + 1}, out {last + 1}: {last - first + 1} frames used as input", 4000)

    # -- generation --------------------------------------------------------------------
    def current_request(self):
        return build_request(self.panel.choices())

    def current_selection(self):
        return self.source.selection(self.in_out.in_point, self.in_out.out_point)

    def generate(self) -> None:
        if self.source is None:
            self.report_error("No clip", "Open a video first (File ▸ Open or drop a file).")
            return
        self._generated_once = True
        self.panel.set_progress(0, 1, "Starting…")
        self.generation.start(self.current_selection(), self.current_request())

    def cancel_generation(self) -> None:
        if self.generation.busy:
            self.generation.cancel()

    def _on_choices_changed(self) -> None:
        if self.panel.auto_update.isChecked() and self._generated_once and self.source:
            self.generate()

    @Slot(object)
    def _on_preview(self, clip: ResultClip) -> None:
        self.show_result(clip)

    @Slot(object)
    def _on_progress(self, p: RunProgress) -> None:
        status = f"Level {p.level} of {p.levels}"
        timing = f"{format_seconds(p.elapsed)} elapsed"
        if p.level < p.levels:
            timing += f" · about {format_seconds(p.remaining)} left"
        self.panel.set_progress(p.level, p.levels, status, timing)
        self.statusBar().showMessage(f"{status} · {timing} · {p.device}")

    @Slot(object)
    def _on_finished(self, clip: ResultClip) -> None:
        w, h = clip.size
        self.panel.set_progress(clip.levels, clip.levels, f"Done: {w}×{h}, {len(clip.frames)} "
                                "frames", f"{format_seconds(clip.elapsed)} on {clip.device}")
        notes = f" ({'; '.join(clip.notes)})" if clip.notes else ""
        self.statusBar().showMessage(f"Result ready in {format_seconds(clip.elapsed)}{notes}",
                                     10000)

    @Slot(str)
    def _on_generation_failed(self, message: str) -> None:
        self.panel.set_progress(0, 1, "Failed")
        self.report_error("Generation failed", message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.panel.set_progress(0, 1, "Cancelled")
        self.statusBar().showMessage("Generation cancelled.", 5000)

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


def launch(path: str | None = None) -> int:
    """Open the editor on `path` (or the bundled sample clip) and run until it closes."""
    from engine.io import SAMPLE_CLIP

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("vgpnn")
    apply_style(app)
    window = MainWindow()
    window.show()
    if path:
        window.open_path(path)
    elif SAMPLE_CLIP.exists():
        window.open_path(SAMPLE_CLIP)
    code = app.exec()
    if not jobs.stop_all(timeout_ms=jobs.EXIT_WAIT_MS):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # a QThread destroyed while running would abort the interpreter
    return code
