"""MaskOverlay: mouse painting on the view (without panning), eyedropper, overlay image."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QMouseEvent, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.inpaint.mask_model import MaskModel  # noqa: E402
from app.inpaint.painter import MaskOverlay  # noqa: E402
from app.inpaint.render import ONION_PREV  # noqa: E402

T, H, W = 6, 48, 64
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NOBUTTON = Qt.MouseButton.NoButton


def make_frames() -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    frames = np.zeros((T, H, W, 3), np.uint8)
    for t in range(T):
        frames[t, ..., 0] = xx * 4
        frames[t, ..., 1] = yy * 5
        frames[t, ..., 2] = 40 * t
    return frames


@pytest.fixture
def rig(qtbot):
    frames = make_frames()
    view = pg.GraphicsView(background="#141414")
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setCentralItem(box)
    base = pg.ImageItem(axisOrder="row-major")
    box.addItem(base)
    base.setImage(frames[0], autoLevels=False, levels=(0, 255))
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    qtbot.waitExposed(view)
    box.autoRange(padding=0)
    model = MaskModel((T, H, W))
    overlay = MaskOverlay(box, model, base)
    overlay.set_frame(0, frames[0])
    overlay.set_active(True)
    yield SimpleNamespace(view=view, box=box, base=base, model=model, overlay=overlay,
                          frames=frames)
    overlay.set_active(False)


def to_viewport(rig, x: float, y: float) -> QPoint:
    return rig.view.mapFromScene(rig.box.mapViewToScene(QPointF(x, y)))


def send(rig, kind, x, y, button=LEFT, buttons=None,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    pos = QPointF(to_viewport(rig, x, y))
    glob = QPointF(rig.view.viewport().mapToGlobal(pos.toPoint()))
    if buttons is None:
        buttons = NOBUTTON if kind == QEvent.Type.MouseButtonRelease else button
    ev = QMouseEvent(kind, pos, glob, button, buttons, modifiers)
    QApplication.sendEvent(rig.view.viewport(), ev)


def drag(rig, points, button=LEFT, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    (x0, y0), rest = points[0], points[1:]
    send(rig, QEvent.Type.MouseButtonPress, x0, y0, button, modifiers=modifiers)
    for x, y in rest:
        send(rig, QEvent.Type.MouseMove, x, y, NOBUTTON, buttons=button, modifiers=modifiers)
    x, y = points[-1]
    send(rig, QEvent.Type.MouseButtonRelease, x, y, button, modifiers=modifiers)


def test_drag_paints_one_stroke_without_panning(rig):
    before = rig.box.viewRange()
    rig.overlay.set_radius(3)
    drag(rig, [(10, 24), (30, 24), (54, 24)])
    hole = rig.model.hole(0)
    assert hole[24, 10:54].all() and not hole[5, :].any()
    assert rig.model.can_undo()
    rig.model.undo()
    assert not rig.model.can_undo() and not rig.model.mask.any()  # one step for the drag
    assert np.allclose(rig.box.viewRange(), before)


def test_right_drag_and_eraser_erase(rig):
    rig.overlay.set_radius(4)
    drag(rig, [(10, 24), (54, 24)])
    drag(rig, [(20, 24), (22, 24)], button=RIGHT)
    assert not rig.model.hole(0)[24, 21] and rig.model.hole(0)[24, 40]
    rig.overlay.set_tool("eraser")
    drag(rig, [(40, 24)])
    assert not rig.model.hole(0)[24, 40]


def test_stroke_uses_scope_and_kind(rig):
    rig.overlay.set_scope("range", (1, 3))
    rig.overlay.set_kind("hint")
    rig.overlay.set_hint_color(QColor(250, 250, 250))
    drag(rig, [(30, 20)])
    assert rig.model.masked_frames().tolist() == [False, True, True, True, False, False]
    assert rig.model.hints[2, 20, 30].tolist() == [250, 250, 250, 255]


def test_shift_drag_resizes_brush(rig, qtbot):
    rig.overlay.set_radius(5)
    with qtbot.waitSignal(rig.overlay.radiusChanged):
        drag(rig, [(20, 20), (30, 20)], modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert rig.overlay.radius == pytest.approx(15, abs=1)
    assert not rig.model.mask.any()


def test_inactive_overlay_lets_the_view_pan(rig):
    rig.overlay.set_active(False)
    before = rig.box.viewRange()
    drag(rig, [(10, 10), (20, 14), (30, 20), (40, 24)])
    assert not rig.model.mask.any()
    assert not np.allclose(rig.box.viewRange(), before)


def test_wheel_still_zooms_while_active(rig):
    before = rig.box.viewRange()
    pos = QPointF(to_viewport(rig, 32, 24))
    ev = QWheelEvent(pos, QPointF(rig.view.viewport().mapToGlobal(pos.toPoint())), QPoint(),
                     QPoint(0, 120), NOBUTTON, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(rig.view.viewport(), ev)
    after = rig.box.viewRange()
    assert after[0][1] - after[0][0] < before[0][1] - before[0][0]


def test_eyedropper_emits_pixel_colour(rig, qtbot):
    rig.overlay.set_tool("eyedropper")
    with qtbot.waitSignal(rig.overlay.colorPicked) as picked:
        drag(rig, [(10.5, 20.5)])
    r, g, b = rig.frames[0, 20, 10]
    assert picked.args[0].getRgb()[:3] == (r, g, b)
    assert rig.overlay.tool == "brush"  # back to the brush after one pick
    assert not rig.model.mask.any()


def test_overlay_follows_frame_and_onion_skin(rig):
    ov = rig.overlay
    ov.set_frame(2, rig.frames[2])
    ov.paint([(20, 20)])
    alpha = ov.image.image[..., 3]
    assert alpha[20, 20] > 0 and alpha[5, 5] == 0
    assert ov.image.image[20, 20, :3].tolist() == list(ov.overlay_color.getRgb()[:3])
    ov.set_frame(3, rig.frames[3])
    assert not ov.image.image[..., 3].any()
    ov.set_onion(True)
    assert ov.image.image[20, 20, :3].tolist() == list(ONION_PREV)
    assert 0 < ov.image.image[20, 20, 3] < 255
    ov.set_opacity(0.0)
    ov.set_frame(2)
    assert ov.image.image[20, 20, 3] == 0


def test_overlay_updates_live_during_a_stroke(rig):
    ov = rig.overlay
    rig.model.begin_stroke(0, "hint", 3, 1.0, (0, 0, 255))
    rig.model.stroke_to(40, 10)
    assert ov.image.image[10, 40].tolist()[:3] == [0, 0, 255]
    rig.model.end_stroke()


def test_overlay_matches_base_image_rect(rig):
    rect = rig.overlay.image.mapRectToParent(rig.overlay.image.boundingRect())
    assert (rect.width(), rect.height()) == (W, H)
    assert rig.overlay.to_image(rig.box.mapViewToScene(QPointF(12.5, 7.5))) == \
        pytest.approx((12.5, 7.5))


def test_overlay_is_composed_only_inside_the_painted_box(rig, monkeypatch):
    """Showing a frame redraws the overlay only inside the box that holds paint (nothing at
    all before any paint): a Full-HD clip's whole frame took 28 ms at every clip opened
    and every frame shown while painting."""
    import app.inpaint.painter as painter

    boxes = []

    def compose(out, model, frame, ys, xs, *args):
        boxes.append((ys.stop - ys.start, xs.stop - xs.start))
        real(out, model, frame, ys, xs, *args)

    real = painter.compose_overlay
    monkeypatch.setattr(painter, "compose_overlay", compose)
    ov = rig.overlay
    rig.model.reset((T, H, W))  # a clip opened: nothing painted, nothing to compose
    ov.set_frame(3, rig.frames[3])
    assert boxes == [] and not ov.image.image[..., 3].any()
    ov.paint([(20, 20)])  # radius 12: a box of about 25 x 25 pixels
    ov.set_frame(2, rig.frames[2])
    ov.set_frame(3, rig.frames[3])
    assert boxes and all(h * w < H * W // 2 for h, w in boxes)
    assert ov.image.image[20, 20, 3] > 0 and ov.image.image[45, 60, 3] == 0


def test_loaded_layers_leave_no_old_paint_on_the_overlay(rig):
    # A project's smaller mask loaded over paint elsewhere: the overlay is composed only
    # inside the painted box, so the old paint outside it must be cleared first.
    ov = rig.overlay
    ov.paint([(50, 35)])
    assert ov.image.image[35, 50, 3] > 0
    mask = np.zeros((T, H, W), np.uint8)
    mask[:, 2:6, 2:6] = 255
    rig.model.load(mask, np.zeros((T, H, W, 4), np.uint8))
    assert ov.image.image[3, 3, 3] > 0 and ov.image.image[35, 50, 3] == 0


def test_a_frame_with_only_faint_paint_is_drawn_and_then_cleared(rig):
    """A soft eraser leaves a faint rim under half strength (not a hole): stepping onto that
    frame and off to a blank one left the rim drawn over the blank frame, and a faint frame
    shown after a blank one was not drawn at all."""
    from app.inpaint.render import compose_overlay

    model, overlay = rig.model, rig.overlay
    model.begin_stroke(1, "remove", 8, 1.0)
    model.stroke_to(40, 24)
    model.end_stroke()
    model.begin_stroke(1, "erase", 30, 0.0)  # leaves a faint rim
    model.stroke_to(40, 24)
    model.end_stroke()
    assert model.mask[1].any() and not model.masked_frames()[1]
    h, w = model.shape[1:]

    def own(frame):
        out = np.zeros((h, w, 4), np.uint8)
        compose_overlay(out, model, frame, slice(0, h), slice(0, w),
                        overlay.overlay_color.getRgb()[:3], overlay.opacity, overlay.onion)
        return int((out[..., 3] > 0).sum())

    for frame in (1, 2, 1, 0, 2, 1):
        overlay.set_frame(frame)
        assert int((overlay._rgba[..., 3] > 0).sum()) == own(frame), frame


def test_the_smallest_brush_paints_one_pixel(rig):
    """The Size box offers 1 px; the brush stopped at 2 px (a dab painted a cross of 5)."""
    rig.overlay.set_radius(0.5)
    assert rig.overlay.radius == 0.5
    rig.model.begin_stroke(0, "remove", rig.overlay.radius, 1.0)
    rig.model.stroke_to(20.5, 20.5)
    rig.model.end_stroke()
    assert int((rig.model.mask[0] >= 128).sum()) == 1
