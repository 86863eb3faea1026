"""The video viewer: source, result or both side by side, each a pyqtgraph ImageItem in a
ViewBox (wheel zooms, dragging pans, F fits). No ImageView: it aborts at exit on PySide6.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.widgets.elided_label import ElidedLabel

VIEW_MODES = ("source", "result", "side")
BACKGROUND = "#141414"


class _FrameBox(pg.ViewBox):
    """A ViewBox whose fit leaves the same margin at any size. pyqtgraph's margin shrinks
    as the box widens (50 * padding / sqrt(width)), and a fit kept the margin of the size
    it was made at: side by side, the Source pane fitted when it was alone and the wide
    Result pane drew one frame at two scales (468 and 456 pixels wide)."""

    def suggestPadding(self, axis: int) -> float:  # noqa: N802 (pyqtgraph's name)
        return float(self.state["defaultPadding"])


class FramePane(QWidget):
    """One titled picture: a zoomable, pannable frame, or a placeholder message."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ElidedLabel(title)
        self.title.setObjectName("paneTitle")
        # Says when what is shown no longer matches the panel (set by the window), or what
        # a sketch frame is; hidden else.
        self.badge = QLabel()
        self.badge.setObjectName("paneBadge")
        self.badge.setVisible(False)
        # Side by side, the result's own frame beside the transport's source frame: a longer
        # result plays on over the clip's loops, and its frame is not the one counted there.
        self.counter = QLabel()
        self.counter.setObjectName("paneCounter")
        self.counter.setVisible(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # see VideoViewer.focus_view
        # It has the keys itself while it shows its placeholder: named as its view is (a
        # screen reader said nothing there), with the placeholder's words as description.
        self.setAccessibleName(f"{title} viewer")
        self.view = pg.GraphicsView(background=BACKGROUND)
        self.view.setAcceptDrops(False)  # let file drops reach the window
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.setAccessibleName(f"{title} viewer")
        self.view.setObjectName("focusFramed")  # style.qss: a frame shows where the keys go
        # Smooth scaling: coarse preview levels and small clips look like video, not mosaics.
        self.view.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.box = _FrameBox(lockAspect=True, invertY=True, enableMenu=False)
        self.box.setDefaultPadding(0.02)
        self.view.setCentralItem(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.placeholder = QLabel()
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.badge)
        header.addWidget(self.counter)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self._rect: tuple[int, int] | None = None
        self.show_message("")

    def set_badge(self, text: str, tooltip: str = "", warning: bool = True) -> None:
        """A short note at the title's right ("" hides it): amber for a warning, grey for
        plain information."""
        self.badge.setText(text)
        self.badge.setToolTip(tooltip)
        self.badge.setVisible(bool(text))
        if self.badge.property("plain") != (not warning):
            self.badge.setProperty("plain", not warning)
            self.badge.style().unpolish(self.badge)  # the style sheet reads the property
            self.badge.style().polish(self.badge)

    def set_counter(self, text: str, tooltip: str = "") -> None:
        """The frame shown, at the title's right ("" hides it)."""
        if text != self.counter.text():
            self.counter.setText(text)
            self.counter.setToolTip(tooltip)
        self.counter.setVisible(bool(text))

    def show_frame(self, frame: np.ndarray, display_size: tuple[int, int] | None = None) -> None:
        """Draw an (H, W, 3) frame stretched to display_size (w, h); fits on a size change."""
        w, h = display_size or (frame.shape[1], frame.shape[0])
        # uint8 frames go to the screen as they are: levels (0, 255) made pyqtgraph rescale
        # every Full-HD frame first (4-10 ms a frame a pane, twice side by side).
        levels = None if frame.dtype == np.uint8 else (0, 255)
        self.image.setImage(frame, autoLevels=False, levels=levels, rect=QRectF(0, 0, w, h))
        self.stack.setCurrentWidget(self.view)
        if self._rect != (w, h):
            self._rect = (w, h)
            # The wheel stops at a few pixels across and at 8 frames' width, where the frame
            # would otherwise vanish into one colour or a dot (F or Fit brought it back).
            side = float(max(w, h))
            least, most = max(4.0, side / 64), 8 * side
            self.box.setLimits(minXRange=least, maxXRange=most, minYRange=least, maxYRange=most)
            self.fit()

    def show_message(self, text: str) -> None:
        self.image.clear()
        self._rect = None
        self.placeholder.setText(text)
        self.setAccessibleDescription(text)
        self.stack.setCurrentWidget(self.placeholder)

    def has_frame(self) -> bool:
        return self.image.image is not None

    def fit(self) -> None:
        """Fit the whole frame in the pane and keep fitting as the pane resizes."""
        if self._rect is not None:
            self.box.enableAutoRange(enable=True)
            self.box.autoRange()


class VideoViewer(QWidget):
    """Source and result panes; the mode decides which are visible."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = FramePane("Source")
        self.result = FramePane("Result")
        self.result.show_message("No result yet.\nPress Generate (G) to make one.")
        self.source.show_message("Open a video: File ▸ Open, or drop a file here.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.source, 1)
        layout.addWidget(self.result, 1)
        self.mode = ""
        self.set_mode("source")

    def set_mode(self, mode: str) -> None:
        if mode not in VIEW_MODES:
            raise ValueError(f"unknown view mode {mode!r}")
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.isAncestorOf(focus)
        self.mode = mode
        self.source.setVisible(mode in ("source", "side"))
        self.result.setVisible(mode in ("result", "side"))
        if had_focus:  # Tab toggled: the keys stay with the viewer, not the timeline below
            self.focus_view()

    def fit(self) -> None:
        self.source.fit()
        self.result.fit()

    def focus_view(self) -> None:
        pane = self.result if self.mode == "result" else self.source
        # The pane itself while it shows its placeholder ("No result yet"): the focus stays
        # in the viewer rather than falling to the timeline.
        (pane.view if pane.view.isVisible() else pane).setFocus()
