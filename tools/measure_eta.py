"""How right the "about N s left" of a run is: open the editor (offscreen) on a clip, press
Generate, and log at every level the estimate shown against the time really left.

    python -m tools.measure_eta CLIP [--quality normal] [--frames 16] [--settings eta.ini]
                                [--log runs.jsonl] [--label NAME]

--settings keeps the editor's settings (and so the rates earlier runs taught, engine.eta)
between calls: a first call on a new file runs with no prior, the next ones with it. Each
run appends a JSON line to --log: the levels' clock, the plan, the estimate at each level
and the time left; `errors()` reads the estimate's error at shares of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(clip: str, quality: str, settings_path: Path, frames: int = 0,
            timeout_s: float = 900.0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.window.main_window import MainWindow
    from tools.measure_latency import _wait

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, data_folder=Path(tmp) / "data")
        window.projects.ask_to_save = False
        window.show()
        try:
            window.projects.open_path(clip)
            _wait(app, lambda: window.session.clip is not None and not window.clips.loading,
                  timeout_s)
            if window.session.clip is None:
                raise RuntimeError(window.messages.last_error)
            _wait(app, lambda: bool(window.device_label), timeout_s)
            window.panel.auto_update.setChecked(False)
            if frames:
                window.session.in_out.set_range(0, frames - 1)
            window.panel.set_quality(quality)
            shown: list[dict] = []
            runner = window.generation
            texts: list[str] = []
            runner.progress.connect(lambda p: (shown.append(
                {"level": p.level, "levels": p.levels, "remaining": p.remaining,
                 "primed": p.primed}), texts.append(window.panel.timing.text())))
            done: list = []
            runner.finished.connect(done.append)
            start = time.perf_counter()
            window.runs.generate()
            if not _wait(app, lambda: bool(done) or window.messages.last_error, timeout_s):
                raise TimeoutError("the run did not finish")
            if not done:
                raise RuntimeError(window.messages.last_error)
            wall = time.perf_counter() - start
            history, plan = list(runner.history), [list(p) for p in runner.plan]
            _wait(app, lambda: not runner.busy and runner._scoring is None, 120)
        finally:
            window.close()
            app.processEvents()
    total = history[-1]
    for row, text in zip(shown, texts, strict=True):
        row["elapsed"] = history[row["level"] - 1]
        row["left"] = total - row["elapsed"]
        row["text"] = text
    return {"clip": Path(clip).name, "quality": quality, "frames": frames, "wall": wall,
            "total": total, "history": history, "plan": plan, "shown": shown}


def errors(run: dict, shares=(0.1, 0.25, 0.5)) -> dict[float, tuple[float, float] | None]:
    """At each share of the run's time: (estimate, time really left) of the latest level in
    by then, or None where no estimate was shown yet."""
    out: dict[float, tuple[float, float] | None] = {}
    for share in shares:
        rows = [r for r in run["shown"] if r["elapsed"] <= share * run["total"]
                and r["level"] < r["levels"]]
        row = rows[-1] if rows else None
        out[share] = None if row is None or row["remaining"] is None else (row["remaining"], row["left"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("--quality", default="normal")
    ap.add_argument("--frames", type=int, default=0, help="the first N frames only")
    ap.add_argument("--settings", type=Path, default=Path("eta.ini"))
    ap.add_argument("--log", type=Path, default=Path("eta_runs.jsonl"))
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    run = measure(a.clip, a.quality, a.settings, a.frames)
    run["label"] = a.label
    with a.log.open("a") as f:
        f.write(json.dumps(run) + "\n")
    for r in run["shown"]:
        est = "none" if r["remaining"] is None else f"{r['remaining']:.1f}"
        print(f"level {r['level']:2d}/{r['levels']}  at {r['elapsed']:6.1f} s  estimate {est:>7}"
              f"  really {r['left']:6.1f}  {'prior' if r['primed'] else 'live'}  [{r['text']}]")
    for share, e in errors(run).items():
        print(f"{share:.0%}: " + ("none" if e is None else f"{e[0]:.1f} s for {e[1]:.1f} s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
