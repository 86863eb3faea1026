"""The editor on a 200% screen (QT_SCALE_FACTOR=2, in a child process: the factor is read
when the QApplication starts): pictures are made at the screen's pixels, not magnified
from the logical size, and the brush paints under the pointer."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

app = QApplication([])
from app.inpaint.mask_model import MaskModel
from app.inpaint.painter import MaskOverlay
from app.state.result_clip import ResultClip
from app.widgets.clip_slot import ClipSlot
from app.widgets.seed_tile import SeedTile
from app.widgets.timeline import STRIP_HEIGHT_PX, Timeline
from engine.request import Request

rng = np.random.default_rng(0)
frames = rng.integers(0, 256, (4, 360, 640, 3), np.uint8)

timeline = Timeline()
timeline.resize(800, 120)
timeline.show()
assert timeline.devicePixelRatioF() == 2.0
timeline.set_clip(frames, 25.0)
strip = timeline._strip.image
assert strip.shape[0] == 2 * STRIP_HEIGHT_PX, strip.shape  # 64 rows were magnified ~3x

tile = SeedTile(1, (640, 360), 25.0)
tile.show()
tile.set_clip(ResultClip(frames, 1, 1, Request(seed=1), (640, 360), 4), "done")
pixmap = tile.picture.pixmap()
assert pixmap.devicePixelRatio() == 2.0, pixmap.devicePixelRatio()
assert (pixmap.width(), pixmap.height()) == (2 * tile._w, 2 * tile._h), pixmap.size()

slot = ClipSlot("Look from (B)", "No clip", "")
slot.resize(360, 300)
slot.show()
slot.set_overlay(frames)
app.processEvents()
preview = slot.preview.pixmap()
assert preview.devicePixelRatio() == 2.0 and preview.height() > 120, preview.size()

# The brush: a press at a point of the view paints the mask under it (a mapping that
# forgot the ratio would paint at half or double the position).
view = pg.GraphicsView()
box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
view.setCentralItem(box)
base = pg.ImageItem(axisOrder="row-major")
box.addItem(base)
base.setImage(frames[0, :48, :64], autoLevels=False, levels=(0, 255))
view.resize(320, 240)
view.show()
QTest.qWaitForWindowExposed(view)
box.autoRange(padding=0)
model = MaskModel((1, 48, 64))
overlay = MaskOverlay(box, model, base)
overlay.set_frame(0, frames[0, :48, :64])
overlay.set_radius(3)
overlay.set_active(True)
point = view.mapFromScene(box.mapViewToScene(QPointF(48, 12)))
QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
ys, xs = np.nonzero(model.hole(0))
assert len(xs) and abs(xs.mean() - 48) < 1.5 and abs(ys.mean() - 12) < 1.5, (xs.mean(), ys.mean())
# The brush circle's cosmetic pens are in the screen's pixels: twice as wide at 200%.
assert [ring.pen().widthF() for ring in overlay._rings] == [6.0, 2.4]
overlay.set_active(False)
print("ok")
"""


def test_pictures_use_the_screens_pixels_at_200_percent():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"}
    r = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
