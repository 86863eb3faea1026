"""A small window to try the mask painter without the editor: a clip, the overlay, a frame
slider and the Inpaint panel. `python -m tools.mask_demo VIDEO [--save PNG]`.
"""

from __future__ import annotations

import argparse

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QSlider, QVBoxLayout, QWidget

from app.inpaint.mask_model import MaskModel
from app.inpaint.painter import MaskOverlay
from app.inpaint.panel import InpaintPanel


def main(argv: list[str] | None = None) -> int:
    """Demo: a clip with the overlay, a frame slider and the Inpaint panel. --save paints
    a Remove stroke, a black Hint and a stroke on the previous frame (onion skin), writes a
    screenshot and quits."""
    from engine.io import read_video

    parser = argparse.ArgumentParser(prog="python -m tools.mask_demo")
    parser.add_argument("video")
    parser.add_argument("--frame", type=int, default=0)
    parser.add_argument("--save", help="paint demo strokes, save a screenshot PNG here, quit")
    args = parser.parse_args(argv)
    frames = read_video(args.video, max_side=640).frames
    app = QApplication.instance() or QApplication([])
    view = pg.GraphicsView(background="#141414")
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setCentralItem(box)
    base = pg.ImageItem(axisOrder="row-major")
    box.addItem(base)
    model = MaskModel(frames.shape[:3])
    overlay = MaskOverlay(box, model, base)
    panel = InpaintPanel(model, overlay)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, len(frames) - 1)

    def show(f: int) -> None:
        base.setImage(frames[f], autoLevels=False, levels=(0, 255))
        overlay.set_frame(f, frames[f])

    slider.valueChanged.connect(show)
    window = QWidget()
    window.setWindowTitle("Mask painter demo")
    left = QVBoxLayout()
    left.addWidget(view, 1)
    left.addWidget(slider)
    layout = QHBoxLayout(window)
    layout.addLayout(left, 1)
    layout.addWidget(panel)
    window.addActions(panel.window_actions())
    window.resize(1180, 580)
    f = min(max(args.frame, 0), len(frames) - 1)
    show(f)
    slider.setValue(f)
    panel.set_active(True)
    window.show()
    box.autoRange()
    if not args.save:
        return app.exec()
    _, h, w = model.shape
    overlay.set_radius(h / 18)
    overlay.paint([(w * (0.15 + 0.01 * i), h * (0.7 - 0.004 * i * i)) for i in range(12)])
    panel.hint_kind.setChecked(True)
    overlay.set_radius(h / 30)
    overlay.paint([(w * 0.62, h * 0.25), (w * 0.68, h * 0.22), (w * 0.72, h * 0.26)])
    if f > 0:
        slider.setValue(f - 1)
        panel.remove_kind.setChecked(True)
        overlay.paint([(w * 0.85, h * 0.75), (w * 0.9, h * 0.8)])
        slider.setValue(f)
    panel.onion.setChecked(True)
    app.processEvents()
    overlay._show_rings(box.mapViewToScene(QPointF(w * 0.45, h * 0.5)))
    app.processEvents()
    ok = window.grab().save(args.save)
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
