"""The Sketch task inside the editor: the session's sketch layers drawn over the canvas
(app.sketch.canvas: white paper of the clip's size, with the in-between drawings faint) on
the Source pane, the brush panel, Make Key Frame, sketch import, and the sketch frames a
run is given (engine.sketch_layers makes them from the layers).

The window tells it what happens (a clip opens, a frame shows, the in/out range or the task
changes) and asks it for the sketch of the in/out range.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QColor

from app.inpaint import mask_io
from app.inpaint.mask_model import MaskChange, MaskModel
from app.inpaint.painter import MaskOverlay
from app.sketch.canvas import SketchCanvas, frame_role
from app.sketch.panel import EXPORT_FAILED, SketchPanel
from app.state.media import project_not_clip
from app.state.project_file import SUFFIX
from app.widgets.viewer import FramePane
from app.workers import jobs
from engine.request import Request

IMPORT_FAILED = "Cannot import the sketch"

log = logging.getLogger(__name__)


class SketchController(QObject):
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (title, message) for an error dialog
    drawnFramesChanged = Signal(object)  # (T,) bool: frames that carry ink

    def __init__(self, model: MaskModel, pane: FramePane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.pane = pane
        self.overlay = MaskOverlay(pane.box, model, pane.image)
        self.overlay.set_overlay_color(QColor(0, 0, 0))
        self.overlay.set_opacity(1.0)
        self.panel = SketchPanel(model, self.overlay)
        self.panel.message.connect(self.message)
        self.panel.import_requested.connect(self.import_file)
        self.panel.cancel_import_requested.connect(self.cancel_import)
        model.history_changed.connect(self._drop_stale_import)  # also emitted by a reset
        self.panel.export_requested.connect(self.export_to)
        self.panel.failed.connect(self.failed)
        self.panel.make_key_requested.connect(self.make_key_frame)
        model.masked_frames_changed.connect(self.drawnFramesChanged.emit)
        self.canvas = SketchCanvas(model)
        model.changed.connect(self._on_changed)
        # An erased key frame stops being one when its stroke ends (no change is sent then).
        model.masked_frames_changed.connect(lambda keys: self._refresh_canvas())
        model.edited.connect(self._on_edited)
        # Show sketch hides the faint drawings between key frames too, not only the ink.
        self.panel.show_mask.toggled.connect(lambda on: self._refresh_canvas())
        self.panel.onion.toggled.connect(lambda on: self._refresh_canvas())
        self._preparing: jobs.Job | None = None  # key frames prepared on a worker (canvas)
        self._prepare_failed = False  # then the canvas is made on the GUI thread
        self._revision = 0
        self._frames: tuple | None = None  # (revision, the whole clip's sketch)
        self._shown: np.ndarray | None = None  # the canvas picture on the pane
        self._import: jobs.Job | None = None
        self._export: jobs.Job | None = None
        self._import_resets = 0  # the layers' reset when the import began (MaskModel.resets)
        self._import_name = ""
        self._in_out: tuple[int, int] | None = None  # (first, last) frames, inclusive
        self._canvas_shown = True  # see set_canvas_shown
        self.set_active(False)

    @property
    def active(self) -> bool:
        return self.overlay.active

    def show_clip(self, path: Path | None = None) -> None:
        """A newly opened clip or project: its layers on the frame in view. (Not frame 0:
        this runs after the view showed the in point, and a restored project's key frame
        there showed as blank paper, its ink left on frame 0's overlay.)"""
        self.overlay.refresh()
        self.panel.folder = path.parent if path is not None else None

    def make_key_frame(self) -> None:
        """The frame in view becomes a key frame holding its in-between drawing (one undo
        step), to be changed from there."""
        index, keys = self.overlay.frame, self.model.masked_frames()
        if keys[index] or not keys.any():
            return
        ys, xs, ink, colours = self.canvas.drawing_at(index, keys)
        mask = np.maximum(self.model.mask[index, ys, xs], ink.astype(np.uint8) * 255)
        hints = None
        if colours is not None:
            toned = ink & colours.any(axis=-1)  # black is plain ink, no tone
            if toned.any():
                hints = self.model.hints[index, ys, xs].copy()
                hints[toned, :3], hints[toned, 3] = colours[toned], 255
        self.model.set_box(index, ys, xs, mask, hints, label="make key frame")
        self.message.emit(f"Frame {index + 1} is a key frame now, with its in-between "
                          "drawing to change.")

    def show_frame(self, index: int) -> None:
        """Show frame `index` on the canvas: its in-between drawing under its own ink."""
        self._show_canvas(index)
        self.overlay.set_frame(index)

    def _show_canvas(self, index: int) -> None:
        canvas, paper = self.canvas, self.canvas.paper()
        if not self.panel.show_mask.isChecked():
            shown = paper
        else:
            onion = self.panel.onion.isChecked()
            missing = [] if self._prepare_failed else canvas.missing(index, onion)
            key = bool(self.model.masked_frames()[min(index, self.model.shape[0] - 1)])
            if missing and key:
                # A key frame waits for its onion's frames on paper (it showed the faint
                # drawing it had before a stroke made it a key frame), and during a stroke
                # does not ask for them: each piece made the worker's drawings stale.
                if self.model.stroking is None:
                    self._prepare(missing)
                shown = paper
            elif missing:  # the picture on screen stays until they are ready, then this again
                self._prepare(missing)
                kept = self._shown is not None and self._shown.shape == paper.shape
                shown = self._shown if kept else paper
            else:
                shown = canvas.canvas(index, onion)
        if shown is not self._shown:  # the same paper or canvas again: kept
            self.pane.show_frame(shown)
        self._shown = shown
        keys = self.model.masked_frames()
        self.pane.set_badge(*frame_role(keys, index), warning=False)
        self._enable_key_button(keys, index)

    def _enable_key_button(self, keys: np.ndarray, index: int) -> None:
        self.panel.key_button.setEnabled(bool(self._canvas_shown and keys.any()
                                              and not keys[index]))

    def _prepare(self, frames: list[int]) -> None:
        """Prepare the key frames of `frames` on a worker (one at a time: the frame in view
        when it ends is shown next, and prepared again if the drawing changed meanwhile)."""
        if self._preparing is not None:
            return
        work = self.canvas.preparer(frames)

        def run(job: jobs.Job) -> tuple | Exception:
            try:
                return work()
            except Exception as exc:  # judged on the GUI thread: see _on_prepared
                return exc

        job = jobs.Job(run, name="sketch canvas")
        job.succeeded.connect(self._on_prepared)
        job.failed.connect(self._on_prepare_failed)
        job.done.connect(self._on_prepare_done)
        job.content = self.canvas.content()  # a failure on layers changed since: no fault
        self._preparing = job
        jobs.start(job)

    @Slot(object, object)
    def _on_prepared(self, job: jobs.Job, made: tuple | Exception) -> None:
        # The work reads the layers while the GUI thread edits them: a key frame a Clear or
        # an erase stroke emptied meanwhile has no ink and fails. Not logged as a failed
        # job, and not a fault unless the layers are as they were (a stroke's pieces count:
        # the model's state changes only at its end).
        if isinstance(made, Exception):
            self._on_prepare_failed(job, f"{type(made).__name__}: {made}", made)
        else:
            self.canvas.keep(made)

    @Slot(object, str)
    def _on_prepare_failed(self, job: jobs.Job, message: str,
                           error: Exception | None = None) -> None:
        if job.content == self.canvas.content():  # the same layers: a fault, not a torn read
            log.error("sketch canvas: %s; made on the GUI thread from now on", message,
                      exc_info=error)
            self._prepare_failed = True

    @Slot(object)
    def _on_prepare_done(self, job: jobs.Job) -> None:
        if job is self._preparing:
            self._preparing = None
            self._refresh_canvas()

    def set_canvas_shown(self, shown: bool) -> None:
        """The Source pane (the canvas) is on screen or not (the Result view): Make Key
        Frame acts on the canvas's frame, which the Result view does not show."""
        self._canvas_shown = shown
        if self.active:
            index = min(self.overlay.frame, self.model.shape[0] - 1)
            self._enable_key_button(self.model.masked_frames(), index)

    def set_active(self, active: bool) -> None:
        self.panel.set_active(active)
        self.overlay.set_mask_visible(active and self.panel.show_mask.isChecked())
        if not active:
            self.pane.set_badge("")  # the Source pane shows the clip again
            self.panel.key_button.setEnabled(False)
            self._shown = None

    def set_in_out(self, first: int, last: int) -> None:
        self.panel.set_in_out((first, last))
        self._in_out = (first, last)

    # -- what the window asks --------------------------------------------------------------
    def drawn_frames(self, first: int, last: int) -> int:
        """Frames of the range that hold a drawing: every one once any frame of the clip is
        drawn (between key frames the drawing slides from one to the next; before the first
        and after the last it holds), wherever the in/out range lies."""
        return last - first + 1 if self.model.masked_frames().any() else 0

    def sketch_frames(self, first: int, last: int) -> np.ndarray:
        """The sketch (T, H, W, 3) uint8 of the in/out range. The whole clip's sketch is made
        from all its key frames and then cut to the range, so a frame looks the same
        whatever the range; kept until the drawing changes (what names it in a cache key is
        the model's state, MaskModel.state: making it takes seconds on a long clip)."""
        from engine.sketch_layers import sketch_from_layers

        if self._frames is None or self._frames[0] != self._revision:
            ink, hints = self.model.as_request_arrays(None)
            self._frames = (self._revision, sketch_from_layers(ink, hints))
        return self._frames[1][first : last + 1]

    def frames_maker(self, first: int, last: int) -> Callable[..., Request]:
        """A function giving a request the sketch of the range, safe to call on a worker:
        the frames made already, or a copy of the layers to make them from, once (a grid's
        seeds and an export's favourites share one). Its second argument, cancel(), stops
        the making (the slides between key frames took seconds after a Cancel); its third,
        progress(made, total), is told after each frame slid between key frames. What it
        makes is kept for the next run while the drawing stays as it was (a second Generate
        on a long Full-HD sketch made the same frames again, seconds each time)."""
        from engine.sketch_layers import sketch_from_layers

        kept = self._frames
        if kept is not None and kept[0] == self._revision:
            frames = kept[1][first : last + 1]
            return lambda request, cancel=None, progress=None: replace(request, guide=frames)
        revision = self._revision
        ink, hints = self.model.as_request_arrays(None)  # copies: strokes may go on
        made: list[np.ndarray] = []

        def make(request: Request, cancel: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Request:
            if not made:
                whole = sketch_from_layers(ink, hints, cancel=cancel, progress=progress)
                made.append(whole[first : last + 1])
                # One assignment, atomic: the GUI thread reads the pair whole or not at all,
                # and uses it only while the drawing is still at this revision.
                self._frames = (revision, whole)
            return replace(request, guide=made[0])

        return make

    # -- export ----------------------------------------------------------------------------
    def export_to(self, folder: str | Path) -> jobs.Job:
        """Write the in/out range's drawing, as a run gets it, as numbered PNG frames into
        `folder`, on a worker (the slides between key frames take seconds on a long clip)."""
        t = self.model.shape[0]
        first, last = self._in_out if self._in_out is not None else (0, t - 1)
        make = self.frames_maker(min(first, t - 1), min(last, t - 1))
        job = jobs.Job(lambda job: mask_io.save_frames(make(Request(), job.is_cancelled).guide, folder),
                       name="export sketch")
        job.succeeded.connect(self._on_exported)
        job.failed.connect(self._on_export_failed)
        self._export = job
        self.message.emit(f"Writing {Path(folder).name}…")
        jobs.start(job)
        return job

    @Slot(object, object)
    def _on_exported(self, job: jobs.Job, written: Path) -> None:
        if job is self._export:
            self._export = None
            self.message.emit(f"Wrote the sketch to {written.name} (the in/out range's frames).")

    @Slot(object, str)
    def _on_export_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._export:
            self._export = None
            self.failed.emit(EXPORT_FAILED, message)

    # -- import ----------------------------------------------------------------------------
    def import_file(self, path: str | Path) -> None:
        """Read a sketch file into the canvas on a worker (one undo step). A sketch video
        is laid over the in/out range (the frames a run uses), retimed to it; the frames
        outside hold its first and last drawing, as any frames beyond the key frames do.
        One image is every frame's drawing."""
        if Path(path).suffix.lower() == SUFFIX:  # the engine's message names the command line
            self.failed.emit(IMPORT_FAILED, project_not_clip(
                path, "Sketch: Import takes a sketch video, an image or a folder of numbered "
                "images."))
            return
        shape = t, h, w = self.model.shape
        first, last = self._in_out if self._in_out is not None else (0, t - 1)
        first, last = min(first, t - 1), min(last, t - 1)
        self._import_resets = self.model.resets
        if self._import is not None:  # the last choice wins: the earlier read stops
            self._import.cancel()

        def work(job: jobs.Job):
            from engine.io import source_shape
            from engine.sketch_layers import load_sketch, picture_tones

            told = jobs.counting(job)
            file_shape = source_shape(path)
            if file_shape[0] == 1 or (first, last) == (0, t - 1):
                layers = load_sketch(path, shape, job.is_cancelled, told)
                return layers, file_shape, picture_tones(*layers), None
            ink, hints = load_sketch(path, (last - first + 1, h, w), job.is_cancelled, told)
            tones = picture_tones(ink, hints)
            whole_ink, whole_hints = np.zeros(shape, bool), np.zeros((*shape, 4), np.uint8)
            whole_ink[first : last + 1], whole_hints[first : last + 1] = ink, hints
            return (whole_ink, whole_hints), file_shape, tones, (first, last)

        job = jobs.Job(work, name="import sketch")
        job.succeeded.connect(self._on_imported)
        job.failed.connect(self._on_import_failed)
        job.progress.connect(self._on_import_progress)
        job.done.connect(self._on_import_done)
        self._import, self._import_name = job, Path(path).name
        self.message.emit(f"Importing {self._import_name}…")
        self.panel.show_importing(True)
        jobs.start(job)

    def cancel_import(self) -> None:
        """Stop the sketch being read (Cancel Import); the drawing stays as it was."""
        job, self._import = self._import, None
        if job is not None:
            job.cancel()
            self.panel.show_importing(False)
            self.message.emit(f"Import of {self._import_name} cancelled; the drawing is as "
                              "it was.")

    def _drop_stale_import(self) -> None:
        """Another clip (or a new project) reset the layers: the read for the old one stops."""
        if self._import is not None and self.model.resets != self._import_resets:
            self._import.cancel()
            self._import = None
            self.panel.show_importing(False)

    @Slot(object, object)
    def _on_import_progress(self, job: jobs.Job, value) -> None:
        if job is self._import:  # "Importing digit.mp4… 40 of 120 frames"
            self.message.emit(f"Importing {self._import_name}… {value[0]} of {value[1]} frames")

    @Slot(object)
    def _on_import_done(self, job: jobs.Job) -> None:
        if job is self._import:
            self._import = None
            self.panel.show_importing(False)

    @Slot(object, object)
    def _on_imported(self, job: jobs.Job, layers) -> None:
        if job is not self._import:
            return
        self._on_import_done(job)
        (ink, hints), (t, h, w), tones, over = layers
        if self.model.resets != self._import_resets:
            return  # another clip (or a new project) meanwhile, of any size
        if not ink.any():
            self.failed.emit(IMPORT_FAILED, "The sketch has no strokes: it is "
                             "all white (or one flat light tone). Draw in black or dark tones.")
            return
        self.model.set_arrays(ink, hints, label="import sketch")
        ch, cw = self.model.shape[1:]
        said = "Sketch imported"
        if over is not None:  # frames count from 1 on screen
            said += f" over the in/out range (frames {over[0] + 1}–{over[1] + 1})"
        if abs(w / h - cw / ch) > 0.02 * cw / ch:  # another shape: said, not done silently
            said += f", stretched from {w}×{h} to the clip's {cw}×{ch} (another shape)"
        frames = self.model.shape[0] if over is None else over[1] - over[0] + 1
        if t > 1 and t != frames:  # another length: its frames spread over the clip's
            said += (f", retimed from {t} frames to the {'range' if over else 'clip'}'s "
                     f"{frames}")
        if tones:  # a photo: a run keeps its darkness only; said, not done silently
            said += (f"{';' if ',' in said else ':'} a picture (shaded, not a few flat "
                     f"tones), which a run reduces "
                     f"to {tones} tones of darkness (darker moves faster; its light parts "
                     "became paper, which stays still)")
        self.message.emit(said + ".")

    @Slot(object, str)
    def _on_import_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._import:
            self._on_import_done(job)
            self.failed.emit(IMPORT_FAILED, message)

    def _on_changed(self, change: MaskChange) -> None:
        self._revision += 1
        self.canvas.on_changed(change)
        self._refresh_canvas()

    def _on_edited(self) -> None:
        self.canvas.on_edited()
        # A stroke's end (no change comes after it): the onion's frames as they are now.
        # (MaskModel says an edit is done after its changes: its key frames are known.)
        self._refresh_canvas()

    def _refresh_canvas(self) -> None:
        if self.active and self._shown is not None:
            # Another key frame (or none) changes what the frames between show; a stroke on
            # the frame in view keeps its paper, which is not set again. (The overlay redraws
            # the stroke itself.)
            self._show_canvas(self.overlay.frame)
