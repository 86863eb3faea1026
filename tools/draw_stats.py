"""What the coarsest noise draws, before any redraw: per Variation, how many seeds' first
draws are copies of the input, partial copies, cuts or clean (docs/quality_notes.md 51).

    python -m tools.draw_stats INPUT [--variation 0.5 0.6 0.9] [--seeds 24] [--max-side PX]

Each seed's first draw runs to the third level (where engine/run.py tests it) and stops:
a cut is a layout shift over the flag at any of the first three levels, a copy a share of
matches on one displacement over the copy test's threshold, a partial copy a share from
PARTIAL up to it. The redraws of a real run then pick among the clean draws, so this shows
how a clip answers the noise: copies give way to cuts as the Variation grows. INPUT: a
video, a folder of frames, or an .npz holding a `source` array (the authors' 20 frames).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PARTIAL = 0.75  # partial copies: half the layout kept (engine/copy_check.py)
CHECKED_LEVELS = 3  # the copy test's level and the cut test's levels (engine/run.py)


@dataclass(frozen=True)
class Draw:
    share: float  # the copy test's share at the third level (0 where not reached)
    layout: float  # the largest layout shift over the first three levels


class _Stop(Exception):
    pass


@contextmanager
def _observed(record: dict) -> Iterator[None]:
    """engine.run's copy and cut tests, recorded and answered "fine" so that nothing is
    drawn again; the run stops once the third level is judged."""
    import engine.run as run_module

    copy_fraction, band_shift = run_module.copy_fraction, run_module.band_shift

    def share(*args, **kwargs):
        record["share"] = copy_fraction(*args, **kwargs)
        return 0.0

    def layout(*args):
        record.setdefault("layout", []).append(band_shift(*args))
        if len(record["layout"]) == CHECKED_LEVELS:
            raise _Stop
        return 0.0

    run_module.copy_fraction, run_module.band_shift = share, layout
    try:
        yield
    finally:
        run_module.copy_fraction, run_module.band_shift = copy_fraction, band_shift


def first_draw(frames: np.ndarray, seed: int, variation: float, max_side: int | None = None) -> Draw:
    from engine.config import Settings
    from engine.request import Request
    from engine.run import run

    record: dict = {}
    request = Request(seed=seed, settings=Settings(noise_scale=variation, max_side=max_side))
    with _observed(record):
        try:
            for _ in run(frames, request):
                pass
        except _Stop:
            pass
    return Draw(record.get("share", 0.0), max(record.get("layout", [0.0])))


def tally(draws: Sequence[Draw]) -> dict[str, int]:
    from engine.copy_check import COPY_FRACTION
    from engine.realism import LAYOUT_FLAG_AT

    out = {"copies": 0, "partial": 0, "cuts": 0, "clean": 0}
    for d in draws:
        kind = ("cuts" if d.layout > LAYOUT_FLAG_AT else "copies" if d.share > COPY_FRACTION
                else "partial" if d.share > PARTIAL else "clean")
        out[kind] += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.draw_stats", description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--variation", type=float, nargs="+", default=[0.6])
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--max-side", type=int, default=None)
    a = ap.parse_args(argv)
    if a.seeds < 1 or any(not 0 < v <= 20 for v in a.variation):
        # Without noise the engine draws nothing and tests nothing.
        ap.error("--seeds must be at least 1 and each --variation in (0, 20]")
    from engine.bench import source_frames
    from engine.errors import InputError

    try:
        frames = source_frames(Path(a.input))
    except (InputError, OSError, KeyError, ValueError) as e:
        print(f"draw_stats: {e}", file=sys.stderr)
        return 2
    print(f"{Path(a.input).name}, {a.seeds} seeds' first draws")
    print("| Variation | copies | partial | cuts | clean | mean share |")
    print("|---|---|---|---|---|---|")
    for v in a.variation:
        draws = [first_draw(frames, seed, v, a.max_side) for seed in range(a.seeds)]
        n = tally(draws)
        mean = float(np.mean([d.share for d in draws]))
        print(f"| {v:g} | {n['copies']} | {n['partial']} | {n['cuts']} | {n['clean']} | {mean:.3f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
