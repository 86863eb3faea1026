"""A contact sheet: one frame of several seeds beside the input and reference outputs, to
judge variations by eye (blobs, floating pieces and broken objects that a patch metric
averages away).

    python -m tools.contact_sheet INPUT -o sheet.png [--seeds 5] [--frame 6]
        [--ref anchors/balloons_1080p_paper_out0.mp4 ...] [--width 640] [--max-side PX]
        [--quality normal] [--device auto]

The first row is the input and the reference outputs (e.g. the paper's), the next rows
this engine's seeds 0..N-1 at default settings, each labelled with its realism score
(engine/realism.py); every tile is scaled to --width pixels. Outputs are written to --keep
DIR as mp4 when given; with --reuse, seeds already there are read instead of run again.

    python -m tools.contact_sheet INPUT -o levels.png --levels 3,6,12,last [--seeds 2]

shows where a fault starts instead: one row per seed, its frame after each listed pyramid
level (1 = the coarsest; the frame at the same point in time), and a run stops after the
last level listed, so a study of the coarse layout takes seconds even at Full-HD.
`--variant NAME` runs a named variant of the settings from `python main.py bench --ablate`
instead of the defaults (e.g. `--variant 'white replicated noise 1.3' --levels 9 --seeds 10`:
ten Full-HD coarse layouts in about 30 s, with the noise that was the default until 2026-12-04).
`--compare NAME` puts under each row of seeds the same seeds made with a named variant, e.g.

    python -m tools.contact_sheet ballet_101f_640x360.mp4 --end 13 --max-side 256 --seeds 8 \
        --columns 4 --width 256 --compare 'keep subjects whole' -o ballet_whole.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _tile(frame: np.ndarray, width: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    h, w, _ = frame.shape
    height = max(1, round(h * width / w))
    x = torch.from_numpy(frame).permute(2, 0, 1)[None].float()
    x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return x[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    """Write `text` on a dark band at the tile's top (a tiny built-in 3x5 pixel font)."""
    glyphs = {
        "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
        "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
        "8": "111101111101111", "9": "111101111001111", " ": "000000000000000", "-": "000000111000000",
        ".": "000000000000010", ":": "000010000010000",
    }
    for ch in text.upper():
        if ch not in glyphs and ch.isalpha():
            glyphs[ch] = _LETTERS.get(ch, "111101101101111")
    out = tile.copy()
    out[:14] = (out[:14] * 0.35).astype(np.uint8)
    x = 4
    for ch in text.upper():
        bits = glyphs.get(ch, glyphs[" "])
        for i, b in enumerate(bits):
            if b == "1":
                r, c = divmod(i, 3)
                out[2 + 2 * r : 4 + 2 * r, x + 2 * c : x + 2 + 2 * c] = 255
        x += 8
    return out


_LETTERS = {
    "A": "010101111101101", "B": "110101110101110", "C": "011100100100011", "D": "110101101101110",
    "E": "111100110100111", "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "110101101101101", "O": "010101101101010", "P": "110101110100100",
    "Q": "010101101011001", "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111",
}


def sheet(rows: list[list[tuple[str, np.ndarray]]], width: int) -> np.ndarray:
    """Rows of labelled frames -> one image (white gaps)."""
    lines = []
    for row in rows:
        tiles = [_label(_tile(f, width), name) for name, f in row]
        h = max(t.shape[0] for t in tiles)
        tiles = [np.pad(t, ((0, h - t.shape[0]), (0, 6), (0, 0)), constant_values=255) for t in tiles]
        lines.append(np.concatenate(tiles, axis=1))
    w = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 6), (0, w - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    return np.concatenate(lines, axis=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.contact_sheet", description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True, help="the sheet, a .png")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--frame", type=int, default=6, help="which frame of each video (default 6)")
    ap.add_argument("--ref", nargs="*", default=[], help="reference outputs for the first row")
    ap.add_argument("--width", type=int, default=480, help="tile width in pixels (default 480)")
    ap.add_argument("--columns", type=int, default=3, help="seeds per row (default 3)")
    ap.add_argument("--max-side", type=int, help="downscale the input first")
    ap.add_argument("--quality", default="normal")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--keep", help="also write each seed's output as DIR/seedN.mp4")
    ap.add_argument("--reuse", action="store_true", help="read seeds already in --keep DIR")
    ap.add_argument("--levels", help="a row per seed of its frame after these levels, e.g. 3,6,last")
    ap.add_argument("--variant", help="a named variant of the settings from `bench --ablate`, "
                    "e.g. 'white replicated noise 1.3'")
    ap.add_argument("--compare", metavar="VARIANT", help="under each row of seeds, the same seeds "
                    "made with this named variant (e.g. 'keep subjects whole')")
    ap.add_argument("--end", type=int, help="use the input's frames before this one (default: all)")
    a = ap.parse_args(argv)
    levels = _parse_levels(a.levels) if a.levels else None

    from engine.config import preset
    from engine.io import read_video, write_video
    from engine.realism import judge_among, realism
    from engine.request import Request

    clip = read_video(a.input, max_side=a.max_side, end=a.end)
    t = min(a.frame, len(clip.frames) - 1)
    first = [("input", clip.frames[t])]
    for i, ref in enumerate(a.ref):
        frames = read_video(ref).frames
        first.append((f"ref {i}", frames[min(t, len(frames) - 1)]))
    rows = [first]
    base = preset(a.quality).with_(device=a.device)
    settings, noise = _variant(a.variant, base, "--variant")
    if levels:
        rows += _level_rows(clip.frames, settings, a.seeds, levels, a.frame, noise)
        return _write(rows, a.width, a.output)
    other = _variant(a.compare, base, "--compare") if a.compare else None
    scored = []
    for start in range(0, a.seeds, a.columns):
        seeds = range(start, min(start + a.columns, a.seeds))
        row: list[tuple[str, np.ndarray]] = []
        for seed in seeds:
            kept = Path(a.keep) / f"seed{seed}.mp4" if a.keep else None
            if a.reuse and kept is not None and kept.exists():
                # Read back, the run's seam measure is gone: scored without it.
                frames, elapsed, seams = read_video(kept).frames, float("nan"), None
            else:
                frames, elapsed, seams = _make(Request(seed=seed, settings=settings, noise=noise), clip.frames)
                if kept is not None:
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    write_video(frames, kept, fps=clip.fps)
            r = realism(clip.frames, frames, seams=seams)
            scored.append(r)
            new = "" if r.new is None else f", {100 * r.new:.0f}% new"
            print(f"seed {seed}: {elapsed:.1f} s, realism {r.score:.0f} (ratio {r.ratio:.2f}, "
                  f"layout {r.layout:.2f}, seams {r.seams:.1f}){new}{' FLAGGED' if r.flagged else ''}"
                  f"{' (band cut)' if r.band_cut else ''}", file=sys.stderr)
            row.append((f"seed {seed} realism {r.score:.0f}", frames[min(t, len(frames) - 1)]))
        rows.append(row)
        if other is not None:
            row = []
            for seed in seeds:
                frames, _, seams = _make(Request(seed=seed, settings=other[0], noise=other[1]), clip.frames)
                r = realism(clip.frames, frames, seams=seams)
                row.append((f"seed {seed} realism {r.score:.0f}, {a.compare}", frames[min(t, len(frames) - 1)]))
            rows.append(row)
    judged = judge_among(scored)
    if judged and judged[0].among:  # as the seed browser shows them (the sheet's labels are each alone)
        print("judged among the seeds: " + ", ".join(
            f"seed {seed} {r.score:.0f}{' FLAGGED' if r.flagged else ''}" for seed, r in enumerate(judged)),
            file=sys.stderr)
    return _write(rows, a.width, a.output)


def _variant(name: str | None, base: object, flag: str) -> tuple[object, float | None]:
    """The settings and noise of a named `bench --ablate` variant (None: `base` as it is)."""
    if not name:
        return base, None
    from engine.bench import variant
    from engine.errors import InputError

    try:
        return variant(name, base)  # type: ignore[arg-type]
    except InputError as e:
        raise SystemExit(f"{flag}: {e}") from None


def _make(request: object, frames: np.ndarray) -> tuple[np.ndarray, float, float | None]:
    """A run's final frames, seconds and faint seams (the realism score's seam term)."""
    from collections import deque

    from engine.run import run

    res = deque(run(frames, request), maxlen=1)[0]  # type: ignore[arg-type]
    return res.frames, res.elapsed, res.seams


def _parse_levels(text: str) -> list[int]:
    """"3,6,last" -> [3, 6, 0] (0: the last level); raises SystemExit on anything else."""
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "last":
            out.append(0)
        elif part.isdigit() and int(part) >= 1:
            out.append(int(part))
        else:
            raise SystemExit(f"--levels: {part!r} is not a level number (1 = the coarsest) or 'last'")
    return out


def _level_rows(frames: np.ndarray, settings: object, seeds: int, levels: list[int],
                frame: int, noise: float | None = None) -> list[list[tuple[str, np.ndarray]]]:
    """One row per seed: its output after each of `levels` (0 = the last), at the frame
    nearest the same point in time as `frame` of the source."""
    from engine.request import Request
    from engine.run import run

    position = min(frame, len(frames) - 1) / max(1, len(frames) - 1)
    stop = None if 0 in levels else max(levels)
    rows = []
    for seed in range(seeds):
        got: dict[int, np.ndarray] = {}
        for res in run(frames, Request(seed=seed, settings=settings, noise=noise)):
            last = res.level  # kept whether listed or not: it stands in for "last" and too-high levels
            got = {n: f for n, f in got.items() if n in levels}
            got[last] = res.frames[round(position * (len(res.frames) - 1))]
            if stop is not None and last >= stop:
                break
        shown = [last if n == 0 or n > last else n for n in levels]
        rows.append([(f"seed {seed} L{n}", got[n]) for n in shown])
        print(f"seed {seed}: levels {', '.join(map(str, shown))} of {res.levels}", file=sys.stderr)
    return rows


def _write(rows: list[list[tuple[str, np.ndarray]]], width: int, output: str) -> int:
    from engine.io import write_video

    image = sheet(rows, width)
    png = Path(output) if Path(output).suffix.lower() == ".png" else Path(f"{output}.png")
    write_video(image[None], png, fps=1)  # one PNG image, whole or not at all
    print(f"wrote {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
