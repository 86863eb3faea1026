"""Preview latency as a user sees it: open the editor (offscreen) on a clip, press Generate,
and time the first preview on screen and the final result.

    python -m tools.measure_latency [CLIP] [--quality normal] [--json]

`measure()` is what a benchmark can call; it returns a dict of seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def _wait(app, condition, timeout_s: float) -> bool:
    """Run the event loop until condition() is true or the time is up."""
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return True


def measure(clip: str | Path, quality: str = "normal", timeout_s: float = 600.0) -> dict:
    """Seconds from pressing Generate to the first preview shown and to the final result."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from engine.heap import share_one_arena
    from engine.huge_pages import ask_for_huge_pages

    ask_for_huge_pages()  # the editor's own process settings (main.py), before any thread
    share_one_arena()  # MALLOC_ARENA_MAX=8 in the environment measures the editor without it
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "latency.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, data_folder=Path(tmp) / "data")
        window.projects.ask_to_save = False  # nobody is there to answer "save changes?"
        window.show()
        try:
            window.projects.open_path(clip)
            if not _wait(app, lambda: window.session.clip is not None
                         or window.messages.last_error, timeout_s):
                raise TimeoutError("the clip did not open")
            if window.session.clip is None:
                raise RuntimeError(window.messages.last_error)
            # A user presses Generate after the window is up: the engine is imported by then.
            _wait(app, lambda: bool(window.device_label), timeout_s)
            window.panel.set_quality(quality)
            shown: list[tuple[float, int, int, float]] = []
            window.result_shown.connect(
                lambda c: shown.append((time.perf_counter(), c.level, c.levels, c.elapsed)))
            start = time.perf_counter()
            window.panel.generate.click()
            done = _wait(app, lambda: (shown and shown[-1][1] == shown[-1][2])
                         or bool(window.messages.last_error), timeout_s)
            if window.messages.last_error:
                raise RuntimeError(window.messages.last_error)
            if not done:
                raise TimeoutError(f"no final result within {timeout_s:.0f} s")
            src = window.session.clip
            return {
                "clip": Path(clip).name,
                "size": f"{src.width}x{src.height}x{src.length}",
                "quality": quality,
                "device": window.device_label,
                "levels": shown[-1][2],
                "first_preview_s": round(shown[0][0] - start, 3),
                "final_s": round(shown[-1][0] - start, 3),
                # the engine's own time to its first level (the rest is the editor's share)
                "engine_first_level_s": round(shown[0][3], 3),
            }
        finally:
            window.close()


def main(argv: list[str] | None = None) -> int:
    from engine.io import SAMPLE_CLIP

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", nargs="?", default=str(SAMPLE_CLIP))
    parser.add_argument("--quality", default="normal", choices=["draft", "normal", "best"])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    try:
        result = measure(args.clip, args.quality)
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['clip']} ({result['size']}, {result['quality']}, {result['device']}): "
              f"first preview {result['first_preview_s']:.2f} s, final result "
              f"{result['final_s']:.2f} s over {result['levels']} levels (engine's first level: "
              f"{result['engine_first_level_s']:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
