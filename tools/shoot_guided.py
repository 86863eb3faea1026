"""Screenshots of the Analogy and Sketch tasks for the README, taken of the real window on an
X display (Xvfb) with ImageMagick's `import -window root`.

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 .venv/bin/python tools/shoot_guided.py LOOK MOTION OUTDIR [SKETCH_LOOK]

LOOK is opened as the clip (B), MOTION goes into "Motion from (A)"; SKETCH_LOOK (default LOOK)
is opened for the sketch. Both tasks run at Draft quality. The sketch is drawn with the brush on every frame (a figure 3 of strokes).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tools.qt_wait import arguments

    args = arguments(__doc__, 3, 4)
    look, motion, out = args[0], args[1], Path(args[2])
    out.mkdir(parents=True, exist_ok=True)
    from tools.qt_wait import shoot, shooting_window, wait_until

    app, win = shooting_window(out)
    wait = wait_until

    def generate() -> None:
        done = []
        win.generation.finished.connect(done.append)
        win.runs.generate()
        wait(lambda: bool(done))
        win.generation.finished.disconnect(done.append)

    win.projects.open_path(look)
    wait(lambda: win.session.clip is not None and not win.clips.loading)
    win.panel.set_quality("draft")
    win.panel.auto_update.setChecked(False)

    win.panel.set_task("Analogy")
    win.guided.load_motion(motion)
    page = win.panel.page_for("analogy")
    wait(lambda: page.motion_slot.has_overlay() and page.look_slot.has_overlay())
    generate()
    win.view.set_view_mode("side")
    win.playback.seek(win.session.clip.length // 2)
    shoot(out, "analogy.png")

    if len(args) > 3:
        win.projects.open_path(args[3])
        wait(lambda: win.session.clip is not None and win.session.clip.path.name
             == Path(args[3]).name and not win.clips.loading)
    win.panel.set_task("Sketch")
    sk = win.sketch
    sk.panel.scope.setCurrentIndex(sk.panel.scope.findData("all"))
    _, h, w = win.session.sketch.shape
    sk.overlay.set_radius(max(4, h / 16))
    cx, cy, r = w / 2, h / 2, h / 5  # a figure 3: two arcs open to the left
    import math

    for yc in (cy - r, cy + r):
        sk.overlay.paint([(cx + r * math.cos(a), yc + r * math.sin(a))
                          for a in [math.radians(d) for d in range(-150, 151, 10)]])
    generate()
    win.playback.seek(win.session.clip.length // 2)
    shoot(out, "sketch.png")
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
