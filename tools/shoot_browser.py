"""Screenshot of the seed browser for the README: 8 seeds of a clip at Normal quality, sorted
"Most realistic first", taken of the real window on an X display (Xvfb) with ImageMagick.

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 .venv/bin/python tools/shoot_browser.py [CLIP] OUT.png [--finished N] [--new]

CLIP defaults to the bundled sample. --finished N takes the picture as soon as N seeds are
finished, while the rest are computed (tiles still waiting for siblings to be judged among).
--new sorts the grid "Most new first" instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from engine.io import SAMPLE_CLIP
    from tools.qt_wait import arguments

    args = arguments(__doc__, 1, 3)  # [CLIP] OUT.png, and --finished's N
    finished = None
    by_new = "--new" in args
    if by_new:
        args.remove("--new")
    if "--finished" in args:
        at = args.index("--finished")
        finished = int(args[at + 1])
        del args[at:at + 2]
    clip, out = (Path(args[0]), Path(args[1])) if len(args) == 2 else (SAMPLE_CLIP, Path(args[0]))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.widgets.style import apply_style
    from app.window.main_window import MainWindow
    from tools.qt_wait import pause, wait_until

    apply_style(app)

    tmp = Path(tempfile.mkdtemp())
    win = MainWindow(settings=QSettings(str(tmp / "shoot.ini"), QSettings.Format.IniFormat),
                     data_folder=tmp / "data")
    win.projects.ask_to_save = False
    win.resize(1400, 860)
    win.show()

    win.projects.open_path(clip)
    wait_until(lambda: win.session.clip is not None and not win.clips.loading)
    win.panel.auto_update.setChecked(False)
    win.panel.seed.setValue(0)
    win.panel.browse_count.setValue(8)
    browser = win.browsers.browse_seeds()
    browser.resize(1200, 560)
    browser.move(10, 10)
    def done() -> int:
        return sum(t.clip is not None and t.clip.final and t.clip.realism is not None
                   for t in browser.tiles.values())

    if finished is None:
        wait_until(lambda: done() == len(browser.tiles) and not browser.busy, 600_000)
        from app.widgets.seed_browser import ORDERS

        browser.order.setCurrentIndex(ORDERS.index("Most new first" if by_new else "Most realistic first"))
        pause(1500)
    else:
        wait_until(lambda: done() >= finished, 600_000)
        pause(200)
    subprocess.run(["import", "-window", "root", "-crop", "1200x560+10+10", str(out)], check=True)
    alone = {s: round(t.clip.realism.score) for s, t in browser.tiles.items() if t.judged}
    shown = {s: round(t.realism_score) for s, t in browser.tiles.items() if t.judged}
    new = {s: round(100 * t.newness) for s, t in browser.tiles.items() if t.newness is not None}
    print("realism by seed, alone:", alone, "judged among the tiles (shown):", shown,
          "% new:", new, "grid order:", browser.ordered_seeds())
    browser.close()
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
