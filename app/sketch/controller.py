"""The Sketch task inside the editor: the session's sketch layers drawn over a blank canvas
(white paper of the clip's size) on the Source pane, the brush panel, sketch import, and the
sketch frames a run is given (engine.sketch_layers makes them from the layers).

The window tells it what happens (a clip opens, a frame shows, the in/out range or the task
changes) and asks it for the sketch of the in/out range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QColor

from app.inpaint.mask_model import MaskChange, MaskModel
from app.inpaint.painter import MaskOverlay
from app.sketch.panel import SketchPanel
from app.state.media import project_not_clip
from app.state.project_file import SUFFIX
from app.widgets.viewer import FramePane
from app.workers import jobs
from engine.request import Request

IMPORT_FAILED = "Cannot import the sketch"


class SketchController(QObject):
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (title, message) for an error dialog
    drawnFramesChanged = Signal(object)  # (T,) bool: frames that carry ink

    def __init__(self, model: MaskModel, pane: FramePane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.overlay = MaskOverlay(pane.box, model, pane.image)
        self.overlay.set_overlay_color(QColor(0, 0, 0))
        self.overlay.set_opacity(1.0)
        self.panel = SketchPanel(model, self.overlay)
        self.panel.message.connect(self.message)
        self.panel.import_requested.connect(self.import_file)
        model.masked_frames_changed.connect(self.drawnFramesChanged.emit)
        model.changed.connect(self._on_changed)
        self._revision = 0
        self._frames: tuple | None = None  # (revision, the whole clip's sketch)
        self._paper: np.ndarray | None = None
        self._import: jobs.Job | None = None
        self._import_resets = 0  # the layers' reset when the import began (MaskModel.resets)
        self.set_active(False)

    @property
    def active(self) -> bool:
        return self.overlay.active

    def set_active(self, active: bool) -> None:
        self.panel.set_active(active)
        self.overlay.set_mask_visible(active and self.panel.show_mask.isChecked())

    def show_clip(self, path: Path | None = None) -> None:
        self.overlay.set_frame(0)
        self.panel.folder = path.parent if path is not None else None

    def paper(self) -> np.ndarray:
        """The blank canvas shown under the drawing: (H, W, 3) white at the clip's size."""
        _, h, w = self.model.shape
        if self._paper is None or self._paper.shape[:2] != (h, w):
            self._paper = np.full((h, w, 3), 255, np.uint8)
        return self._paper

    def show_frame(self, index: int) -> None:
        self.overlay.set_frame(index)

    def set_in_out(self, first: int, last: int) -> None:
        self.panel.set_in_out((first, last))

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

    def frames_maker(self, first: int, last: int) -> Callable[[Request], Request]:
        """A function giving a request the sketch of the range, safe to call on a worker:
        the frames made already, or a copy of the layers to make them from."""
        from engine.sketch_layers import sketch_from_layers

        if self._frames is not None and self._frames[0] == self._revision:
            frames = self._frames[1][first : last + 1]
            return lambda request: replace(request, guide=frames)
        ink, hints = self.model.as_request_arrays(None)  # copies: strokes may go on

        def make(request: Request) -> Request:
            return replace(request, guide=sketch_from_layers(ink, hints)[first : last + 1])

        return make

    # -- import ----------------------------------------------------------------------------
    def import_file(self, path: str | Path) -> None:
        """Read a sketch file into the canvas on a worker (one undo step)."""
        if Path(path).suffix.lower() == SUFFIX:  # the engine's message names the command line
            self.failed.emit(IMPORT_FAILED, project_not_clip(
                path, "Sketch: Import takes a sketch video, an image or a folder of numbered "
                "images."))
            return
        shape = self.model.shape
        self._import_resets = self.model.resets

        def work(job: jobs.Job):
            from engine.io import source_shape
            from engine.sketch_layers import load_sketch, picture_tones

            layers = load_sketch(path, shape)
            return layers, source_shape(path), picture_tones(*layers)

        job = jobs.Job(work, name="import sketch")
        job.succeeded.connect(self._on_imported)
        job.failed.connect(self._on_import_failed)
        self._import = job
        self.message.emit(f"Importing {Path(path).name}…")
        jobs.start(job)

    @Slot(object, object)
    def _on_imported(self, job: jobs.Job, layers) -> None:
        if job is not self._import:
            return
        (ink, hints), (t, h, w), tones = layers
        if self.model.resets != self._import_resets:
            return  # another clip (or a new project) meanwhile, of any size
        if not ink.any():
            self.failed.emit(IMPORT_FAILED, "The sketch has no strokes: it is "
                             "all white (or one flat light tone). Draw in black or dark tones.")
            return
        self.model.set_arrays(ink, hints, label="import sketch")
        ch, cw = self.model.shape[1:]
        said = "Sketch imported"
        if abs(w / h - cw / ch) > 0.02 * cw / ch:  # another shape: said, not done silently
            said += f", stretched from {w}×{h} to the clip's {cw}×{ch} (another shape)"
        clip_t = self.model.shape[0]
        if t > 1 and t != clip_t:  # another length: its frames spread over the clip's
            said += f", retimed from {t} frames to the clip's {clip_t}"
        if tones:  # a photo: a run keeps its darkness only; said, not done silently
            said += (f"{';' if ',' in said else ':'} a colour picture, which a run reduces "
                     f"to {tones} tones of darkness (darker moves faster; its light parts "
                     "became paper, which stays still)")
        self.message.emit(said + ".")

    @Slot(object, str)
    def _on_import_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._import:
            self.failed.emit(IMPORT_FAILED, message)

    def _on_changed(self, change: MaskChange) -> None:
        self._revision += 1
