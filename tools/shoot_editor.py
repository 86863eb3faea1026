"""Screenshots of the editor for the README (editor.png: a retarget side by side; inpaint.png:
a painted mask beside the fill), taken of the real window on an X display (Xvfb)
with ImageMagick's `import -window root`.

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 .venv/bin/python tools/shoot_editor.py INPAINT_CLIP OUTDIR

The retarget is of the bundled sample (384×216, 1.5× in both directions, Normal); the
inpainting removes a bird of INPAINT_CLIP (e.g. ../shared/data/birds_81f_640x360.mp4) over
frames 1-12 (Draft; inpainting keeps the clip's size).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tools.qt_wait import arguments

    args = arguments(__doc__, 2, 2)
    clip, out = args[0], Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    from engine.io import SAMPLE_CLIP
    from tools.qt_wait import shoot, shooting_window, wait_until

    app, win = shooting_window(out)

    def generate() -> None:
        done = []
        win.generation.finished.connect(done.append)
        win.runs.generate()
        wait_until(lambda: bool(done), 600_000)
        win.generation.finished.disconnect(done.append)

    def open_clip(path) -> None:
        win.projects.open_path(path)
        wait_until(lambda: win.session.clip is not None and not win.clips.loading
                   and win.session.clip.name == Path(path).name)

    open_clip(SAMPLE_CLIP)
    win.panel.auto_update.setChecked(False)
    win.panel.set_task("Retarget")
    win.panel.output.out_width.set_value(384)  # Lock keeps the aspect: 384×216
    generate()
    win.view.set_view_mode("side")
    win.playback.seek(12)
    shoot(out, "editor.png", "1400x860")

    open_clip(clip)
    win.session.in_out.set_range(0, 11)
    win.panel.set_quality("draft")
    win.panel.set_task("Inpaint")
    panel, overlay = win.inpaint.panel, win.inpaint.overlay
    panel.scope.setCurrentIndex(panel.scope.findData("range"))
    _, h, w = win.session.mask.shape
    overlay.set_radius(h / 9)
    win.playback.seek(6)
    overlay.paint([(0.63 * w, 0.42 * h), (0.83 * w, 0.42 * h)])  # a bird's path over the range
    generate()
    win.view.set_view_mode("side")
    win.playback.seek(6)
    shoot(out, "inpaint.png", "1400x860")
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
