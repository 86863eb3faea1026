"""The Inpaint task as a user meets it: what an audit of the editor on real clips found
(birds, air_balloons, the bundled sample), pinned on small synthetic clips."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402

from app.inpaint import panel as panel_module  # noqa: E402
from app.inpaint.mask_model import MaskModel  # noqa: E402
from app.inpaint.painter import MaskOverlay  # noqa: E402
from app.inpaint.panel import EXPORT_FAILED, InpaintPanel  # noqa: E402

SHAPE = (6, 48, 64)


@pytest.fixture
def panel(qtbot):
    view = pg.GraphicsView()
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setCentralItem(box)
    base = pg.ImageItem(axisOrder="row-major")
    box.addItem(base)
    frames = np.full((*SHAPE, 3), 90, np.uint8)
    base.setImage(frames[0], autoLevels=False, levels=(0, 255))
    model = MaskModel(SHAPE)
    overlay = MaskOverlay(box, model, base)
    overlay.set_frame(1, frames[1])
    p = InpaintPanel(model, overlay)
    qtbot.addWidget(view)
    qtbot.addWidget(p)
    p.set_active(True)
    yield p
    overlay.set_active(False)


def test_the_export_button_refuses_an_empty_mask(panel, tmp_path, monkeypatch):
    """File ▸ Export Masks… refuses an empty mask; the panel's Export… button asked for a
    folder and wrote one black frame per frame of the clip."""
    asked = []

    def choose(parent, caption, start, takes):
        asked.append(start)
        return tmp_path / "masks"

    monkeypatch.setattr(panel_module.folder_dialog, "choose_folder_to_write", choose)
    failures = []
    panel.failed.connect(lambda title, text: failures.append((title, text)))
    panel.export_button.click()
    assert not asked and not (tmp_path / "masks").exists()
    assert failures and failures[0][0] == EXPORT_FAILED and "no mask" in failures[0][1]

    # With paint it goes on to the dialog as before; an erased stroke is empty again.
    panel.model.begin_stroke(1, "remove", 6)
    panel.model.stroke_to(20, 20)
    panel.model.end_stroke()
    written = []
    monkeypatch.setattr(panel, "start_export", written.append)
    panel.export_button.click()
    assert len(asked) == 1 and written == [tmp_path / "masks"]
    panel.model.clear()
    panel.export_button.click()
    assert len(asked) == 1 and len(failures) == 2
