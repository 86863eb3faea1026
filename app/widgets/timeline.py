"""The timeline under the viewer: a ruler in frames (bottom) and seconds (top), a strip of
thumbnails, the playhead, the in/out markers and a band marking frames that carry a mask.
Click or drag anywhere to scrub; drag the IN / OUT lines to move the in and out points.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from app.widgets.frames import thumbnail_strip

PLAYHEAD_COLOR = "#ff9f1c"
IN_OUT_COLOR = "#4fc3f7"
MASK_MARK_RGB = (255, 48, 96)  # the mask overlay's default colour
LINE_PX, HOVER_PX = 2.0, 3.0  # widths of the playhead and IN / OUT lines, in screen points
PLAYHEAD_Z, MARKER_Z = 20, 30  # the IN / OUT tabs stay readable wherever the playhead is
MARK_BAND = 0.12  # height of the mask band, as a fraction of the strip
STRIP_HEIGHT_PX = 64  # thumbnails are computed at most this tall (screen points: x2 at 200%)
MAX_THUMBS = 1000  # a strip of 1-px-wide frames would otherwise ask for one per pixel and more


# What Qt sends a widget whose screen's pixel ratio changes (the first exists from Qt 6.6).
_RATIO_CHANGES = {getattr(QEvent.Type, name) for name in
                  ("DevicePixelRatioChange", "ScreenChangeInternal") if hasattr(QEvent.Type, name)}


class _MarkerLine(pg.InfiniteLine):
    """An IN / OUT line with a grab zone of ±GRAB_PX screen pixels (pyqtgraph's is about
    ±2, hard to hit at any scale)."""

    GRAB_PX = 6

    def _computeBoundingRect(self):  # noqa: N802 (pyqtgraph API)
        self._maxMarkerSize = max(self._maxMarkerSize, self.GRAB_PX)  # widens the bounds only
        return super()._computeBoundingRect()


class _MarkerLabel(pg.InfLineLabel):
    """The IN / OUT tab, the obvious handle: dragging it drags its line (it scrubbed)."""

    def hoverEvent(self, ev):  # noqa: N802
        if not ev.isExit():
            ev.acceptDrags(Qt.MouseButton.LeftButton)

    def mouseDragEvent(self, ev):  # noqa: N802
        ev.currentItem = self.line  # the drag's positions in the line's coordinates
        self.line.mouseDragEvent(ev)


class FrameAxis(pg.AxisItem):
    """Ticks in whole frame numbers, counted from 1 as the position readout and the status
    bar count them (frame index 9 is labelled 10)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph API)
        return [(spacing, [v - 1 for v in values])
                for spacing, values in super().tickValues(minVal + 1, maxVal + 1, size)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [str(int(round(v)) + 1) if abs(v - round(v)) < 1e-6 else "" for v in values]


class SecondsAxis(pg.AxisItem):
    """The same range as the frame axis, labelled in seconds."""

    def __init__(self) -> None:
        super().__init__("top")
        self.fps = 25.0

    def linkedViewChanged(self, view, newRange=None):  # noqa: N802, N803 (pyqtgraph API)
        if newRange is None:
            newRange = view.viewRange()[0]  # noqa: N806
        lo, hi = newRange
        self.setRange((lo + 0.5) / self.fps, (hi + 0.5) / self.fps)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        # As many decimals as the spacing needs, so that no two ticks read alike (a one-frame
        # clip spans a few hundredths of a second).
        digits = min(4, max(0, math.ceil(-math.log10(spacing) - 1e-9))) if spacing > 0 else 2
        return [f"{v:.{digits}f} s" for v in values]


class _ScrubBox(pg.ViewBox):
    """A view box that turns clicks and drags into frame positions instead of pan/zoom."""

    scrubbed = Signal(float)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.scrubbed.emit(self.mapSceneToView(ev.scenePos()).x())

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.scrubbed.emit(self.mapSceneToView(ev.scenePos()).x())
        else:
            ev.ignore()

    def wheelEvent(self, ev, axis=None):  # noqa: N802
        ev.ignore()


class Timeline(pg.PlotWidget):
    frame_scrubbed = Signal(int)
    in_out_dragged = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        self._box = _ScrubBox(enableMenu=False)
        self._seconds = SecondsAxis()
        super().__init__(
            parent, background="#1b1b1b", viewBox=self._box,
            axisItems={"bottom": FrameAxis("bottom"), "top": self._seconds},
        )
        self.setAcceptDrops(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Timeline")
        self.setObjectName("focusFramed")  # style.qss: a frame shows where the keys go
        self.setToolTip("Timeline: click or drag to scrub. Drag IN / OUT to set the range used "
                        "for generation (keys I and O). A red band marks frames with a mask.")
        item = self.getPlotItem()
        item.hideAxis("left")
        item.showAxis("top")
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        self._box.invertY(True)
        self._box.setYRange(0, 1, padding=0)
        self.setMinimumHeight(110)
        self.setMaximumHeight(130)

        self._strip = pg.ImageItem(axisOrder="row-major")
        self._box.addItem(self._strip)
        shade = QBrush(QColor(0, 0, 0, 170))
        self._shades = [QGraphicsRectItem() for _ in range(2)]
        for rect in self._shades:
            rect.setBrush(shade)
            rect.setPen(QPen(Qt.PenStyle.NoPen))
            rect.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._box.addItem(rect)
        self._marks = pg.ImageItem(axisOrder="row-major")
        self._marks.setZValue(5)  # over the thumbnails and the shading
        self._box.addItem(self._marks)
        self._marked: np.ndarray | None = None
        # The labels sit inside the range (right of IN, left of OUT): at the strip's ends
        # a label centred on its line was cut in half.
        self._in_line = self._marker("IN", 0.05, anchor=(0.0, 0.0))
        self._out_line = self._marker("OUT", 0.05, anchor=(1.0, 0.0))
        self.playhead = pg.InfiniteLine(0, angle=90, movable=False,
                                        pen=pg.mkPen(PLAYHEAD_COLOR, width=LINE_PX))
        self.playhead.setZValue(PLAYHEAD_Z)
        self._box.addItem(self.playhead)
        self._box.scrubbed.connect(self._on_scrub)

        self._pen_ratio = 1.0  # the screen's pixel ratio the lines' pens are made for
        self._frames: np.ndarray | None = None
        self._length = 1
        self._in, self._out = 0, 0
        self._rebuild = QTimer(self, singleShot=True, interval=120)
        self._rebuild.timeout.connect(self._rebuild_strip)
        self.show_in_out(False)  # until a clip is shown (with none, IN and OUT would overlap)
        self._show_scale(False)  # no clip: no seconds, frames or playhead to show

    def _marker(self, text: str, position: float, anchor: tuple[float, float]) -> pg.InfiniteLine:
        line = _MarkerLine(0, angle=90, movable=True, pen=pg.mkPen(IN_OUT_COLOR, width=LINE_PX),
                           hoverPen=pg.mkPen("#ffffff", width=HOVER_PX))
        line.label = _MarkerLabel(line, text=text, position=position, color=IN_OUT_COLOR,
                                  fill=(0, 0, 0, 220),  # readable on sky and over the playhead
                                  anchors=[anchor, anchor])
        # Over the playhead: its tab is a child of the line, so the line's stacking decides.
        # Under it, the playhead on the first or last frame ran through "IN" or "OUT".
        line.setZValue(MARKER_Z)
        line.sigDragged.connect(self._on_marker_moved)  # user drags only
        self._box.addItem(line)
        return line

    # -- public API --------------------------------------------------------------------
    def set_clip(self, frames: np.ndarray | None, fps: float, length: int | None = None) -> None:
        """Show `frames` (T, H, W, 3) spread over `length` frames (default T) at `fps`."""
        self._show_scale(True)
        self._frames = frames
        self._length = max(1, length if length is not None else (len(frames) if frames is not None else 1))
        self._seconds.fps = float(fps) if fps and fps > 0 else 25.0
        self._box.setXRange(-0.5, self._length - 0.5, padding=0)
        self._seconds.linkedViewChanged(self._box)
        for line in (self._in_line, self._out_line):
            line.blockSignals(True)  # moving the bounds must not look like a user drag
            line.setBounds((-0.5, self._length - 0.5))
            line.blockSignals(False)
        self._rebuild_strip()
        self._draw_marks()

    def show_nothing(self) -> None:
        """Nothing to show (the Result view before any result): no strip, seconds, frames
        or playhead (a one-frame scale of 0.01 s ticks, or a stopped run's thumbnails,
        read as a result). Not `clear`: PlotWidget puts its plot's clear() on the instance,
        which removes every item."""
        self.set_clip(None, self._seconds.fps, 1)
        self._show_scale(False)

    def _show_scale(self, shown: bool) -> None:
        item = self.getPlotItem()
        for side in ("top", "bottom"):
            item.showAxis(side, shown)
        self.playhead.setVisible(shown)

    def set_frame(self, frame: int) -> None:
        self.playhead.setValue(frame)

    def set_in_out(self, first: int, last: int) -> None:
        self._in, self._out = first, last
        for line, value in ((self._in_line, first - 0.5), (self._out_line, last + 0.5)):
            line.blockSignals(True)
            line.setValue(value)
            line.blockSignals(False)
        self._update_shades()

    def show_in_out(self, visible: bool) -> None:
        """The source's decorations: in/out markers, shading and mask marks."""
        for item in (self._in_line, self._out_line, *self._shades, self._marks):
            item.setVisible(visible)

    def set_marks(self, marked: np.ndarray | None) -> None:
        """(T,) bool: frames that carry a mask, drawn as a band at the top of the strip."""
        self._marked = None if marked is None else np.asarray(marked, bool).copy()
        self._draw_marks()

    def marks(self) -> np.ndarray:
        """(length,) bool: the frames marked on screen (for tests and tooltips)."""
        if self._marked is None or len(self._marked) != self._length:
            return np.zeros(self._length, bool)
        return self._marked.copy()

    @property
    def length(self) -> int:
        return self._length

    # -- internals ---------------------------------------------------------------------
    def _on_scrub(self, x: float) -> None:
        self.frame_scrubbed.emit(min(max(int(round(x)), 0), self._length - 1))

    def _on_marker_moved(self, line: pg.InfiniteLine) -> None:
        """The dragged line moves its own bound (stopping at the other one); both lines
        snap to frame edges at once, whether or not the range changes."""
        first, last = self._in, self._out
        if line is self._in_line:
            first = min(max(int(round(line.value() + 0.5)), 0), last)
        else:
            last = max(min(int(round(line.value() - 0.5)), self._length - 1), first)
        self.set_in_out(first, last)
        self.in_out_dragged.emit(first, last)

    def _update_shades(self) -> None:
        left, right = self._shades
        left.setRect(QRectF(-0.5, 0, max(0.0, self._in), 1))
        right.setRect(QRectF(self._out + 0.5, 0, max(0.0, self._length - 1 - self._out), 1))

    def _draw_marks(self) -> None:
        marked = self.marks()
        if not marked.any():
            self._marks.clear()
            return
        rgba = np.zeros((1, len(marked), 4), np.uint8)
        rgba[0, marked] = (*MASK_MARK_RGB, 255)
        self._marks.setImage(rgba, autoLevels=False, levels=(0, 255),
                             rect=QRectF(-0.5, 0, len(marked), MARK_BAND))

    def showEvent(self, ev):  # noqa: N802
        super().showEvent(ev)
        self._scale_pens()

    def event(self, ev):
        if ev.type() in _RATIO_CHANGES:  # moved to a screen of another scale
            self._scale_pens()
        return super().event(ev)

    def _scale_pens(self) -> None:
        """pyqtgraph's pens are cosmetic, their widths in the screen's pixels: at 200% the
        playhead was a hairline. Made again at the screen's pixel ratio, as the brush
        circle's (app.inpaint.painter)."""
        ratio = self.devicePixelRatioF()
        if ratio == self._pen_ratio:
            return
        self._pen_ratio = ratio
        self.playhead.setPen(pg.mkPen(PLAYHEAD_COLOR, width=LINE_PX * ratio))
        for line in (self._in_line, self._out_line):
            line.setPen(pg.mkPen(IN_OUT_COLOR, width=LINE_PX * ratio))
            line.setHoverPen(pg.mkPen("#ffffff", width=HOVER_PX * ratio))

    def resizeEvent(self, ev):  # noqa: N802
        super().resizeEvent(ev)
        rebuild = self.__dict__.get("_rebuild")  # None while the base class is constructed
        if rebuild is not None:
            rebuild.start()

    def _rebuild_strip(self) -> None:
        if self._frames is None or len(self._frames) == 0:
            self._strip.clear()
            return
        _, h, w = self._frames.shape[:3]
        box_px = self._box.sceneBoundingRect()
        height_px = max(box_px.height(), 20.0)
        thumb_px = height_px * w / h
        # As many thumbnails as fit at the frames' own aspect; a still or a short clip repeats
        # its frames (each under its own time) instead of stretching one across the strip.
        count = max(1, min(MAX_THUMBS, math.ceil(max(box_px.width(), 100.0) / thumb_px)))
        # In the screen's pixels: at 200% a strip of 64-pixel thumbnails was magnified
        # about 3x, blocky, where at 100% it is magnified 1.4x.
        thumb_h = min(round(STRIP_HEIGHT_PX * self.devicePixelRatioF()), h)
        strip = thumbnail_strip(self._frames, count, thumb_h)
        self._strip.setImage(strip, autoLevels=False, levels=(0, 255),
                             rect=QRectF(-0.5, 0, self._length, 1))
