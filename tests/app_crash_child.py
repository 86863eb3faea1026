"""Run by tests/test_app_recovery.py in a child process: an editor (offscreen) that opens a
clip, paints a mask and a hint, draws a sketch, changes settings, stars favourites, waits until its
recovery file holds all of it, writes what it did to OUT.npz, prints READY and keeps
running until the test kills it (SIGKILL: no clean exit, no cleanup)."""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait(app, condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("child: gave up waiting")
        app.processEvents()
        time.sleep(0.01)


def main(clip: str, settings_ini: str, out: str) -> None:
    import numpy as np
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication

    from app.window.main_window import MainWindow
    from tests.test_app_support import drag_on_view

    app = QApplication([])
    window = MainWindow(settings=QSettings(settings_ini, QSettings.Format.IniFormat))
    window.show()
    window.projects.open_path(clip)
    wait(app, lambda: window.session.clip is not None and not window.clips.loading)

    window.session.in_out.set_range(1, 5)
    window.panel.set_quality("draft")
    window.panel.auto_update.setChecked(False)
    window.panel.seed.setValue(123)
    window.panel.set_task("Inpaint")
    pane, overlay = window.viewer.source, window.inpaint.overlay
    overlay.set_radius(5)
    drag_on_view(pane.view, pane.box, [(8, 8), (30, 20)])
    window.inpaint.panel.hint_kind.setChecked(True)
    window.inpaint.panel.hint_color.set_color(QColor(0, 0, 0))
    drag_on_view(pane.view, pane.box, [(40, 10)])
    window.panel.set_task("Sketch")
    drag_on_view(pane.view, pane.box, [(12, 30), (44, 6)])
    window.panel.set_task("Variations")
    browser = window.browsers.browse_seeds()
    for seed in (124, 125):
        browser.tiles[seed].star.click()
    browser.cancel()
    window.sync.commit()

    s = window.session
    store = window.autosave.store
    # Autosave (every VGPNN_AUTOSAVE_S while unsaved) catches up with the last change.
    wait(app, lambda: window.autosave._written == s.revision and store.path.exists())
    store.wait()
    np.savez(out, mask=s.mask.mask, hints=s.mask.hints, sketch=s.sketch.mask)
    with open(out + ".json", "w") as f:
        json.dump({"settings": s.settings.to_dict(), "in_out": [s.in_out.in_point,
                   s.in_out.out_point], "favourites": [fv.to_dict() for fv in s.favourites],
                   "recovery": str(store.path)}, f)
    print("READY", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    main(*sys.argv[1:4])
