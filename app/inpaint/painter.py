"""The mask layer drawn over the viewer and the mouse tools that paint it.

MaskOverlay adds an RGBA ImageItem above the frame's ImageItem in a pyqtgraph ViewBox, plus a
brush circle. While active it takes left/right presses and drags on the view away from the
ViewBox (so painting never pans); the wheel still zooms and the middle button still pans.
`python -m tools.mask_demo VIDEO` opens a small demo window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem

from app.inpaint.mask_model import MaskChange, MaskModel
from app.inpaint.render import compose_overlay
from app.qt_fixes import protect_none

protect_none()  # this Qt module may be the first one imported (tests, tools/mask_demo.py)

MIN_RADIUS, MAX_RADIUS = 0.5, 400.0  # a 1 px brush (the Size box offers it) to 800 px
RINGS = (("#000000", 3.0), ("#ffffff", 1.2))  # the brush circle: (colour, width in points)
TOOLS = ("brush", "eraser", "eyedropper")
_PAINT_BUTTONS = (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)


class MaskOverlay(QObject):
    """Draws a MaskModel's current frame over `image_item` in `view_box`; paints into it."""

    colorPicked = Signal(QColor)  # the eyedropper's pick
    radiusChanged = Signal(float)  # Shift+drag or set_radius
    toolChanged = Signal(str)  # "brush" | "eraser" | "eyedropper"
    strokeFinished = Signal()

    def __init__(self, view_box: pg.ViewBox, model: MaskModel,
                 image_item: pg.ImageItem | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box, self.base, self.model = view_box, image_item, model
        self.frame, self._frame_rgb = 0, None
        self.tool, self._tool_before_pick = "brush", "brush"
        self.kind = "remove"
        self.radius, self.hardness = 12.0, 0.8
        self.hint_color = QColor(0, 0, 0)
        self.overlay_color, self.opacity = QColor(255, 48, 96), 0.5
        self.onion = False
        self.scope, self.in_out = "frame", None
        self.active = False
        self._drag: tuple | None = None  # ("paint",) or ("resize", x0, radius0, scene0)
        self._viewports: list = []
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue((image_item.zValue() if image_item else 0) + 10)
        view_box.addItem(self.image, ignoreBounds=True)
        self._rings = []
        for color, width in RINGS:  # visible on any picture
            ring = QGraphicsEllipseItem()
            pen = QPen(QColor(color), width)
            pen.setCosmetic(True)
            ring.setPen(pen)
            ring.setZValue(self.image.zValue() + 1)
            ring.setVisible(False)
            view_box.addItem(ring, ignoreBounds=True)
            self._rings.append(ring)
        self._rgba = np.zeros((1, 1, 4), np.uint8)
        self._blank = False  # the overlay is known to be empty (skip recomputing it)
        self._clear = True  # every alpha of _rgba is 0 (nothing composed since it was made)
        model.changed.connect(self._on_changed)
        self.refresh()

    # --- settings ----------------------------------------------------------------------
    def set_model(self, model: MaskModel) -> None:
        self.model.changed.disconnect(self._on_changed)
        self.model = model
        model.changed.connect(self._on_changed)
        self._rgba[..., 3] = 0  # the other model's paint may lie outside this one's extent
        self._clear, self._blank = True, False
        self.refresh()

    def set_active(self, active: bool) -> None:
        """Take the mouse on the view (paint) or give it back (pan / zoom as usual)."""
        self.active = bool(active)
        for vp in self._viewports:
            if shiboken6.isValid(vp):  # a closed view has dropped its viewport
                vp.removeEventFilter(self)
                vp.unsetCursor()
        self._viewports = []
        scene = self.box.scene() if shiboken6.isValid(self.box) else None
        if self.active and scene is not None:
            for view in scene.views():
                # A cosmetic pen's width is in the screen's pixels: half as thick at 200%.
                ratio = view.devicePixelRatioF()
                for ring, (_, width) in zip(self._rings, RINGS, strict=True):
                    pen = ring.pen()
                    pen.setWidthF(width * ratio)
                    ring.setPen(pen)
                vp = view.viewport()
                vp.setMouseTracking(True)  # the brush circle follows a hovering mouse
                vp.installEventFilter(self)
                vp.setCursor(Qt.CursorShape.CrossCursor)
                self._viewports.append(vp)
        if not self.active:
            self._cancel_drag()
            self._hide_rings()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        if tool == "eyedropper" and self.tool != "eyedropper":
            self._tool_before_pick = self.tool
        if tool != self.tool:
            self.tool = tool
            self.toolChanged.emit(tool)

    def set_kind(self, kind: str) -> None:
        self.kind = kind

    def set_radius(self, radius: float) -> None:
        radius = float(min(max(radius, MIN_RADIUS), MAX_RADIUS))
        if radius != self.radius:
            self.radius = radius
            self.radiusChanged.emit(radius)

    def set_hardness(self, hardness: float) -> None:
        self.hardness = float(min(max(hardness, 0.0), 1.0))

    def set_hint_color(self, color: QColor) -> None:
        self.hint_color = QColor(color)

    def set_overlay_color(self, color: QColor) -> None:
        self.overlay_color = QColor(color)
        self.refresh()

    def set_opacity(self, opacity: float) -> None:
        self.opacity = float(min(max(opacity, 0.0), 1.0))
        self.refresh()

    def set_mask_visible(self, visible: bool) -> None:
        self.image.setVisible(bool(visible))

    def set_onion(self, on: bool) -> None:
        self.onion = bool(on)
        self.refresh()

    def set_scope(self, scope: str, in_out: tuple[int, int] | None = None) -> None:
        self.scope = scope
        if in_out is not None:
            self.in_out = in_out

    def set_in_out(self, in_out: tuple[int, int] | None) -> None:
        self.in_out = in_out

    def set_frame(self, index: int, frame_rgb: np.ndarray | None = None) -> None:
        """Show the mask of frame `index`; frame_rgb is the picture the eyedropper reads."""
        self.frame = int(min(max(index, 0), self.model.shape[0] - 1))
        if frame_rgb is not None:
            self._frame_rgb = frame_rgb
        self.refresh()

    # --- drawing -----------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        """Where the frame lies in view coordinates (the base image's rect when it has one)."""
        if self.base is not None and self.base.image is not None:
            return self.base.mapRectToParent(self.base.boundingRect())
        t, h, w = self.model.shape
        return QRectF(0, 0, w, h)

    def refresh(self) -> None:
        """Recompute the overlay of the current frame: only inside the box that holds every
        painted value (MaskModel.extent); outside it the layers are empty, and so is the
        overlay already (every change redraws its box). A whole Full-HD frame took 28 ms on
        the GUI thread, at every clip opened and every frame shown while painting."""
        t, h, w = self.model.shape
        self.frame = min(self.frame, t - 1)
        reach = 1 if self.onion else 0
        box = self.model.extent()
        # Any paint at all, a faint rim left by a soft eraser included (masked_frames counts
        # holes, painted at half or more: a faint frame's paint stayed on the next frame
        # shown, and a faint frame shown after a blank one was not drawn). 1-3 ms a frame
        # of a Full-HD clip painted across.
        first, stop = max(0, self.frame - reach), self.frame + reach + 1
        painted = box is not None and bool(self.model.mask[first:stop, box[1], box[2]].any())
        if self._rgba.shape[:2] != (h, w):
            self._rgba, self._blank, self._clear = np.zeros((h, w, 4), np.uint8), False, True
        elif not painted and self._blank:
            return  # playback over unpainted frames: nothing to redo
        if box is not None:
            _, ys, xs = box
            self._compose(ys, xs)
        elif shiboken6.isValid(self.image):  # nothing painted: a clear layer
            if not self._clear:  # (the layers were replaced: a reset, another clip)
                self._rgba[..., 3] = 0
                self._clear = True
            self.image.setImage(self._rgba, autoLevels=False, rect=self.image_rect())
        self._blank = not painted

    def _on_changed(self, change: MaskChange) -> None:
        reach = 1 if self.onion else 0  # onion skin also shows the neighbours
        if change.stop <= self.frame - reach or change.start > self.frame + reach:
            return
        if change.box is None or self._rgba.shape[:2] != self.model.shape[1:]:
            # New layers (a reset, a project's load): the old paint may lie outside their
            # extent, which refresh() alone composes.
            if self._rgba.shape[:2] == self.model.shape[1:] and not self._clear:
                self._rgba[..., 3] = 0
                self._clear = True
            self.refresh()
        else:
            y0, y1, x0, x1 = change.box
            self._compose(slice(y0, y1), slice(x0, x1))
            self._blank = False

    def _compose(self, ys: slice, xs: slice) -> None:
        """Redraw one box of the current frame's overlay."""
        if not shiboken6.isValid(self.image):  # the view was closed; the model lives on
            return
        compose_overlay(self._rgba[ys, xs], self.model, self.frame, ys, xs,
                        self.overlay_color.getRgb()[:3], self.opacity, self.onion)
        self._clear = False
        self.image.setImage(self._rgba, autoLevels=False, rect=self.image_rect())

    def _show_rings(self, scene_pos: QPointF | None) -> None:
        show = scene_pos is not None and self.active and self.tool != "eyedropper"
        for ring in self._rings:
            ring.setVisible(show)
        if not show:
            return
        centre = self.box.mapSceneToView(scene_pos)
        rect, (_, h, w) = self.image_rect(), self.model.shape
        rx, ry = self.radius * rect.width() / w, self.radius * rect.height() / h
        for ring in self._rings:
            ring.setRect(QRectF(centre.x() - rx, centre.y() - ry, 2 * rx, 2 * ry))

    # --- mouse -------------------------------------------------------------------------
    def to_image(self, scene_pos: QPointF) -> tuple[float, float]:
        """Scene position -> (x, y) in the mask's pixel coordinates."""
        v = self.box.mapSceneToView(scene_pos)
        rect, (_, h, w) = self.image_rect(), self.model.shape
        return (v.x() - rect.x()) * w / rect.width(), (v.y() - rect.y()) * h / rect.height()

    def press(self, scene_pos: QPointF, button=Qt.MouseButton.LeftButton,
              modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        x, y = self.to_image(scene_pos)
        if self.tool == "eyedropper":
            if button == Qt.MouseButton.LeftButton:
                self.pick(x, y)
            return
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self._drag = ("resize", x, self.radius, QPointF(scene_pos))
            return
        erase = self.tool == "eraser" or button == Qt.MouseButton.RightButton
        self.model.begin_stroke(self.frame, "erase" if erase else self.kind, self.radius,
                                self.hardness, self.hint_color, self.scope, self.in_out)
        self._drag = ("paint",)
        self.model.stroke_to(x, y)
        self._show_rings(scene_pos)

    def drag(self, scene_pos: QPointF) -> None:
        if self._drag is None:
            self._show_rings(scene_pos)
            return
        x, y = self.to_image(scene_pos)
        if self._drag[0] == "resize":  # the circle stays put and follows the mouse's x
            _, x0, r0, start = self._drag
            self.set_radius(r0 + (x - x0))
            self._show_rings(start)
            return
        if self.model.stroking is None:  # new layers came mid-stroke (another clip, a project)
            self._drag = None
            return
        self.model.stroke_to(x, y)
        self._show_rings(scene_pos)

    def release(self) -> None:
        drag, self._drag = self._drag, None
        if drag is not None and drag[0] == "paint":
            self.model.end_stroke()
            self.strokeFinished.emit()

    def _cancel_drag(self) -> None:
        if self._drag is not None:
            self.release()

    def pick(self, x: float, y: float) -> QColor | None:
        """Eyedropper: the current frame's colour at (x, y); back to the previous tool."""
        frame = self._frame_rgb
        if frame is None:
            return None
        _, h, w = self.model.shape
        row = int(min(max(y * frame.shape[0] / h, 0), frame.shape[0] - 1))
        col = int(min(max(x * frame.shape[1] / w, 0), frame.shape[1] - 1))
        color = QColor(*(int(c) for c in frame[row, col, :3]))
        self.colorPicked.emit(color)
        self.set_tool(self._tool_before_pick)
        return color

    def paint(self, points, kind: str | None = None) -> None:
        """One stroke through (x, y) image points with the current settings (demos, tests)."""
        self.model.begin_stroke(self.frame, kind or self.kind, self.radius, self.hardness,
                                self.hint_color, self.scope, self.in_out)
        for x, y in points:
            self.model.stroke_to(x, y)
        self.model.end_stroke()
        self.strokeFinished.emit()

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt API)
        if not self.active:
            return False
        kind = ev.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if ev.button() not in _PAINT_BUTTONS or self._drag is not None:
                return self._drag is not None
            scene = obj.parent().mapToScene(ev.position().toPoint())
            if not self.box.sceneBoundingRect().contains(scene):
                return False
            self.press(scene, ev.button(), ev.modifiers())
            return True
        if kind == QEvent.Type.MouseMove:
            self.drag(obj.parent().mapToScene(ev.position().toPoint()))
            return self._drag is not None
        if kind == QEvent.Type.MouseButtonRelease and self._drag is not None:
            if ev.button() in _PAINT_BUTTONS:
                self.release()
            return True
        if kind == QEvent.Type.Leave:
            # Later, not now: a closing view sends Leave while its scene deletes the rings.
            QTimer.singleShot(0, self, self._hide_rings)
        return False

    def _hide_rings(self) -> None:
        if all(shiboken6.isValid(ring) for ring in self._rings):
            self._show_rings(None)
