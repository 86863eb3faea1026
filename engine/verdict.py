"""How realistic a variation is, as a verdict: the Realism record and the judging of a set
of variations among themselves (no torch here: the editor shows and sorts verdicts without
loading PyTorch; engine.realism measures them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

FLAG_AT = 0.98  # ratio above which a result likely shows artifacts
COPY_AT = 0.2  # ratio below which a result is mostly the input itself (realistic, not new)
SHARPNESS = 3.0  # score = 100 / (1 + (ratio / FLAG_AT) ** SHARPNESS): 50 at the flag
# The layout shift above which a result likely has a band cut: measured (2026-12-03) at most
# 5.4 for the clean variations of air_balloons (the paper's nine that vary, this engine's
# ten), of six more clips and of the paper's Full-HD outputs, 10.8-15.5 for every one with
# a band cut by eye (sky in the ground band, a stage floor gone; README, Seed browser).
LAYOUT_FLAG_AT = 8.0
# Faint seams (engine.seams.seam_lines: the length of faint steps between copied regions, per
# frame, in units of the frame's short side) above which a result likely shows pale steps or blocks where
# copied regions of a smooth area meet, which the patch ratio does not see. Measured
# 2026-12-07 (docs/quality_notes.md, 65) at 256 px: air_balloons' ten seeds 1.3-11.1, the
# three with pale steps plain to see 8.9-11.1; 36 seeds of six more clips 0-4.9, Full-HD 0.5-2.4.
SEAMS_FLAG_AT = 8.0
# Judging among siblings (measured 2026-12-04 on 44 variations of six clips looked at by
# eye, docs/quality_notes.md 31): clean variations scored at most 1.18x their set's median,
# the broken ones (ballet's stage in pieces twice, a lava stream bent at a right angle, a
# piece of waterfall floating in a corner) 1.38-1.92x; a garbled caption scored 1.17x.
AMONG_MIN = 4  # scored variations (near-copies aside) before they are judged among themselves
STANDS_OUT = 1.3
FLAG_ALWAYS = 1.5  # a ratio flagged even in a set of variations as broken as itself


@dataclass(frozen=True)
class Realism:
    """ratio: worst parts' distance over the input's patch spacing (lower is more realistic);
    score: the same as 0-100 (higher is more realistic; below 50 is flagged); flagged: likely
    visible artifacts; near_copy: mostly the input itself (realistic, but no variation);
    worst: (t, y, x) in output pixels of the least realistic sampled patch's centre."""

    ratio: float
    score: float
    flagged: bool
    near_copy: bool
    worst: tuple[int, int, int]
    layout: float = 0.0  # the least fitting block's distance (layout_shift); over LAYOUT_FLAG_AT: flagged
    layout_row: float = 0.0  # where, as a fraction of the height (0 top, 1 bottom)
    flag_at: float = FLAG_AT  # the ratio it was judged by (judge_among sets it from its siblings)
    among: int = 0  # how many variations it was judged among (0: alone, by FLAG_AT)
    typical: float = 0.0  # their median ratio, where judged among others
    # More finished variations on their way would let it be judged among them: until then it
    # is flagged only for what no set of siblings excuses (a band cut, a ratio over
    # FLAG_ALWAYS), not by FLAG_AT, which flags clean variations of some clips (birds).
    waiting: int = 0  # how many more are needed (0: judged)
    # How new it looks (engine.newness): the share of its detail that differs from the input
    # where it stands, 0 for a copy; None where its size or length differs (a retarget).
    new: float | None = None
    # Faint seams (engine.seams.seam_lines); 0 where not measured (a result read from a file,
    # a task without matches to read them from). Over SEAMS_FLAG_AT: flagged.
    seams: float = 0.0

    @property
    def stands_out(self) -> bool:
        """Flagged for its patches among siblings that are not (judge_among)."""
        return self.among > 0 and self.ratio > self.flag_at

    @property
    def times_typical(self) -> float:
        """Its ratio over its siblings' median (judge_among; 0 when judged alone)."""
        return self.ratio / self.typical if self.typical > 0 else 0.0

    @property
    def looks_broken(self) -> bool:
        """Flagged for its patches (alone or among siblings): a broken object more likely than
        a cut band; what Keep subjects whole is suggested for."""
        return self.verdict in ("stands_out", "flagged")

    @property
    def seamy(self) -> bool:
        """Flagged for its faint seams (pale steps where copied regions of a sky meet)."""
        return self.seams > SEAMS_FLAG_AT

    @property
    def patch_flagged(self) -> bool:
        """Flagged for its patches by the limit that holds now: FLAG_ALWAYS while it waits
        for siblings (judge_among), else its flag_at."""
        return self.ratio > (FLAG_ALWAYS if self.waiting else self.flag_at)

    @property
    def verdict(self) -> str:
        """What a badge says, the first that holds: "band_cut", "stands_out", "seams" (faint
        seams and no patch flag), "flagged" (artifacts, judged alone), "near_copy",
        "waiting" (to be judged among siblings still being made) or "ok"."""
        for name, holds in (("band_cut", self.band_cut), ("stands_out", self.stands_out),
                            ("seams", self.seamy and not self.patch_flagged),
                            ("flagged", self.flagged), ("near_copy", self.near_copy),
                            ("waiting", self.waiting > 0)):
            if holds:
                return name
        return "ok"

    @property
    def band_cut(self) -> bool:
        """Flagged for its layout: a band of the scene cut by another (sky in the ground)."""
        return self.layout > LAYOUT_FLAG_AT


def _judge(ratio: float, shift: float, flag_at: float, seams: float = 0.0) -> tuple[float, bool]:
    """(score, flagged) for a patch ratio judged by `flag_at`, a layout shift and faint
    seams; the lowest of the three sides: a result is as realistic as its worst side."""
    worst = max(ratio / flag_at, shift / LAYOUT_FLAG_AT, seams / SEAMS_FLAG_AT)
    return 100.0 / (1.0 + worst ** SHARPNESS), worst > 1.0


def judge_among(results: Sequence[Realism], coming: int = 0) -> list[Realism]:
    """The results, variations of one source, judged among themselves: the flag sits at
    `STANDS_OUT` times their median ratio (near-copies left out), at most `FLAG_ALWAYS`,
    and scores are rescaled to it (50 at the flag). Fewer than `AMONG_MIN` variations that
    are not near-copies: each judged alone by FLAG_AT, unless `coming` more variations on
    their way could make up the set; then each waits (`Realism.waiting`), flagged meanwhile
    only for a band cut or a ratio over FLAG_ALWAYS."""
    varied = [r.ratio for r in results if not r.near_copy]
    if len(varied) < AMONG_MIN:
        if len(varied) + coming < AMONG_MIN:
            return list(results)
        waiting = AMONG_MIN - len(varied)
        return [replace(r, waiting=waiting, flagged=r.band_cut or r.seamy or r.ratio > FLAG_ALWAYS)
                for r in results]
    typical = float(np.median(varied))
    flag_at = min(STANDS_OUT * typical, FLAG_ALWAYS)
    out = []
    for r in results:
        score, flagged = _judge(r.ratio, r.layout, flag_at, r.seams)
        out.append(replace(r, score=score, flagged=flagged, flag_at=flag_at, among=len(varied),
                           typical=typical))
    return out
