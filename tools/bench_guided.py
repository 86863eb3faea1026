"""Benchmark and pictures for video analogies and sketch-to-video (issue 8).

    python tools/bench_guided.py [--data ../shared/data] [--out bench_guided] [--seed 0]
                                 [--pictures resources/screenshots] [--no-score]

Runs lava -> waterfall look, waterfall -> lava look and the digit sketch with the sheep look
through the engine (the CPU unless --device), and prints one JSON line per run plus a summary:
wall and CPU seconds (flow included, decoding not), the motion-map correlation with A
(`engine.guided_checks`), coherence against B by ../shared/eval/score.py --scales 1 (the same
numbers for the paper's outputs in anchors/), and for the sketch how well the result's motion
follows the ink. With --pictures it writes the side-by-side PNGs the README shows.
Needs ../shared/data (not shipped with the project).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.config import Settings  # noqa: E402
from engine.guided_checks import motion_correlation, sketch_following  # noqa: E402
from engine.io import read_video, write_video  # noqa: E402
from engine.request import Request  # noqa: E402
from engine.run import run  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SCORE = ROOT.parent / "shared" / "eval" / "score.py"
ANALOGIES = (  # (name, A = layout, B = look, the paper's output)
    ("lava_layout_waterfall_look", "lava_30f_432x242.mp4", "waterfall_30f_432x242.mp4",
     "anchors/analogy_lava_structure_waterfall_look_paper.mp4"),
    ("waterfall_layout_lava_look", "waterfall_30f_432x242.mp4", "lava_30f_432x242.mp4",
     "anchors/analogy_waterfall_structure_lava_look_paper.mp4"),
)
SKETCH = ("sketch_digit3_sheep_look", "sketch_digit3_25f_200x200.mp4", "sheep_25f_456x256.mp4",
          "anchors/sketch_digit3_sheep_look_paper.mp4")


def coherence(look: Path, output: Path) -> float | None:
    if not SCORE.exists():
        return None
    out = subprocess.run([sys.executable, str(SCORE), str(look), str(output), "--scales", "1"],
                         capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout)["coherence"])


def timed(look: np.ndarray, request: Request):
    t0, c0 = time.perf_counter(), time.process_time()
    from collections import deque

    result = deque(run(look, request), maxlen=1)[0]
    return result, time.perf_counter() - t0, time.process_time() - c0


def _frame(frames: np.ndarray, i: int, size: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(frames[i], size, interpolation=cv2.INTER_CUBIC)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    import cv2

    im = img.copy()
    cv2.rectangle(im, (0, 0), (8 + 8 * len(text), 16), (0, 0, 0), thickness=-1)
    cv2.putText(im, text, (4, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return im


def picture(rows: list[list[tuple[str, np.ndarray]]], path: Path) -> None:
    import cv2

    gap = 4
    lines = []
    for row in rows:
        cells = []
        for label, img in row:
            cells += [_label(img, label) if label else img, np.full((img.shape[0], gap, 3), 255, np.uint8)]
        lines += [np.concatenate(cells[:-1], 1), np.full((gap, sum(c.shape[1] for c in cells[:-1]), 3), 255, np.uint8)]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(lines[:-1], 0), cv2.COLOR_RGB2BGR))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path("bench_guided"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--pictures", type=Path, help="folder for the README's side-by-side PNGs")
    ap.add_argument("--no-score", action="store_true", help="skip score.py (coherence)")
    ap.add_argument("--only", choices=("analogy", "sketch"), help="run one kind only")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    settings = Settings(device=a.device)
    load = os.getloadavg()[0]
    report = []
    analogy_rows = []
    for name, fa, fb, paper in ANALOGIES if a.only != "sketch" else ():
        A = read_video(a.data / fa).frames
        B = read_video(a.data / fb)
        res, wall, cpu = timed(B.frames, Request(task="analogy", guide=A, seed=a.seed, settings=settings))
        out = a.out / f"{name}.mp4"
        write_video(res.frames, out, fps=B.fps)
        anchor = read_video(a.data / paper).frames
        r = dict(run=name, wall_s=round(wall, 1), cpu_s=round(cpu, 1), levels=res.levels,
                 motion_corr=round(motion_correlation(A, res.frames), 3),
                 motion_corr_paper=round(motion_correlation(A, anchor), 3))
        if not a.no_score:
            r.update(coherence=round(coherence(a.data / fb, out), 4),
                     coherence_paper=round(coherence(a.data / fb, a.data / paper), 4))
        print(json.dumps(r), flush=True)
        report.append(r)
        mid = len(A) // 2
        size = (228, 128)
        analogy_rows.append([("A: layout", _frame(A, mid, size)), ("B: look", _frame(B.frames, mid, size)),
                             ("paper", _frame(anchor, mid, size)), ("ours", _frame(res.frames, mid, size))])
    sketch_rows = []
    if a.only != "analogy":
        name, fs, fb, paper = SKETCH
        S = read_video(a.data / fs).frames
        B = read_video(a.data / fb)
        res, wall, cpu = timed(B.frames, Request(task="sketch", guide=S, seed=a.seed, settings=settings))
        out = a.out / f"{name}.mp4"
        write_video(res.frames, out, fps=B.fps)
        anchor = read_video(a.data / paper).frames
        r = dict(run=name, wall_s=round(wall, 1), cpu_s=round(cpu, 1), levels=res.levels,
                 ink_following=round(sketch_following(S, res.frames), 3),
                 ink_following_paper=round(sketch_following(S, anchor), 3))
        if not a.no_score:
            r.update(coherence=round(coherence(a.data / fb, out), 4),
                     coherence_paper=round(coherence(a.data / fb, a.data / paper), 4))
        print(json.dumps(r), flush=True)
        report.append(r)
        size = (192, 192)
        for i in (0, len(S) // 2, len(S) - 1):
            sketch_rows.append([("sketch" if i == 0 else "", _frame(S, i, size)),
                                ("paper" if i == 0 else "", _frame(anchor, min(i, len(anchor) - 1), size)),
                                ("ours" if i == 0 else "", _frame(res.frames, i, size))])
    summary = dict(load_avg_before=round(load, 2), load_avg_after=round(os.getloadavg()[0], 2),
                   cpus=os.cpu_count(), device=a.device, runs=report)
    (a.out / "bench_guided.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
    if a.pictures:
        if analogy_rows:
            picture(analogy_rows, a.pictures / "analogy_lava_waterfall.png")
        if sketch_rows:
            picture(sketch_rows, a.pictures / "sketch_digit3_sheep.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
