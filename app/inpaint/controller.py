"""The Inpaint task inside the editor: one mask model for the open clip, its overlay on the
Source pane, and the painting panel on the Inpaint page of the side panel.

The window tells it what happens (a clip opens, a frame shows, the in/out range or the task
changes) and asks it for the request's mask arrays. The mask model belongs to the session
(app.state.session): it survives task switches, is saved with the project and is reset
when another clip opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.inpaint.mask_model import LayersChanged, MaskChange, MaskModel
from app.inpaint.painter import MaskOverlay
from app.inpaint.panel import InpaintPanel
from app.state.project_file import SnapshotStale
from app.widgets.viewer import FramePane
from engine.request import Request


class InpaintController(QObject):
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (title, message) for an error dialog
    maskedFramesChanged = Signal(object)  # (T,) bool: frames that carry a mask

    def __init__(self, model: MaskModel, pane: FramePane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.overlay = MaskOverlay(pane.box, self.model, pane.image)
        self.panel = InpaintPanel(self.model, self.overlay)
        self.panel.message.connect(self.message)
        self.panel.failed.connect(self.failed)
        self.model.masked_frames_changed.connect(self.maskedFramesChanged.emit)
        self.model.changed.connect(self._on_changed)
        self._revision = 0
        self._arrays: tuple | None = None  # (key, mask, hints) of the last request
        self.set_active(False)

    # -- what the window tells it --------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.overlay.active

    def set_active(self, active: bool) -> None:
        """The Inpaint task became (or stopped being) the current one: other tasks ignore
        the mask, so it is hidden (and kept) while they are current."""
        self.panel.set_active(active)
        self.overlay.set_mask_visible(active and self.panel.show_mask.isChecked())

    def show_clip(self, path: Path | None = None) -> None:
        """A newly opened clip (the session has reset or restored the mask)."""
        self.overlay.set_frame(0)
        self.panel.folder = path.parent if path is not None else None
        self.panel.export_name = f"{path.stem}_masks" if path is not None else "masks"

    def show_frame(self, index: int, rgb: np.ndarray) -> None:
        self.overlay.set_frame(index, rgb)

    def set_in_out(self, first: int, last: int) -> None:
        self.panel.set_in_out((first, last))

    # -- what the window asks --------------------------------------------------------------
    def has_mask(self) -> bool:
        return not self.model.is_empty()

    def request_arrays(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(mask (T, H, W) bool, hints (T, H, W, 4) or None) for the in/out range; kept
        until the mask or the range changes. What names the mask in a cache key is the
        model's state (MaskModel.state), which costs nothing to read."""
        key = (self._revision, first, last)
        if self._arrays is None or self._arrays[0] != key:
            self._arrays = (key, *self.model.as_request_arrays((first, last)))
        _, mask, hints = self._arrays
        return mask, hints

    def arrays_maker(self, first: int, last: int, now: bool = False) -> Callable[..., Request]:
        """A function giving a request the mask and hint arrays of the range, safe to call
        on a worker (request_arrays there: up to 1.3 s of the GUI thread at Generate for 64
        Full-HD frames painted across, and after every stroke with Update on change). It
        reads the layers as they are now; painted on before it read them, it raises
        LayersChanged (the run is made again). What it makes is kept for the next run while
        the mask and the range stay as they are. Its other arguments (cancel, progress)
        are those of a sketch's maker, unused. now: read them here, on the GUI thread (an
        export of favourites, whose later ranges are made minutes later: a stroke meanwhile
        made them fail instead of a run to make again)."""
        key = (self._revision, first, last)
        if now:
            self.request_arrays(first, last)
        kept = self._arrays
        if kept is not None and kept[0] == key:
            _, mask, hints = kept
            return lambda request, cancel=None, progress=None: replace(request, mask=mask,
                                                                        hints=hints)
        make_arrays = self.model.request_arrays_later((first, last))
        made: list[tuple] = []

        def make(request: Request, cancel=None, progress=None) -> Request:
            if not made:
                try:
                    mask, hints = make_arrays()
                except SnapshotStale as exc:
                    raise LayersChanged() from exc
                made.append((mask, hints))
                self._arrays = (key, mask, hints)  # one assignment: read whole or not at all
            mask, hints = made[0]
            return replace(request, mask=mask, hints=hints)

        return make

    def frames_with_mask(self, first: int, last: int) -> int:
        return int(self.model.masked_frames()[first : last + 1].sum())

    def _on_changed(self, change: MaskChange) -> None:
        self._revision += 1
