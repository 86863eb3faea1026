"""A realism score per result, so a user browsing seeds finds the good variations first.

Every patch of a realistic variation exists in the input; artifacts are patches that do not:
a band of ground in the sky, two balloons merged into a blob, a skydiver in pieces. At full
size a flat blob still matches flat sky patch by patch, so the score looks at object scale:
both videos shrunk so that the short side is about `SIDE` pixels, where a 3x7x7 patch spans
about a seventh of the frame, then the exact nearest input patch of sampled output patches.

The ratio is the mean of the worst `WORST` of those distances (an artifact covers a few
percent of the frame: a mean or a median would not see it) over the input's own patch
spacing at that scale: the 90th percentile of the distances between input patches and
their nearest patch that does not overlap them, so that a clip of flat sky and one of
foliage are judged alike. About 0 for a copy of the input, below 1 for a clean variation,
more where parts look less like the input than the input's rarer parts look like the rest.

Calibrated by eye on air_balloons (README, "Realism score"): the paper's 10 outputs and
clean variations of this engine scored 0.12-0.92, every variation with a ground band in
the sky, a sky-coloured blob or a broken balloon 1.03-1.27; `FLAG_AT` sits between.

Patches do not see a band cut: sky pushed down into the ground band is made of real sky
patches. The layout term does: both videos averaged over time into `BANDS` rows of
`BLOCKS` blocks; each output block is compared with every input block at the same height
or up to a band above or below (things move sideways freely, and a horizon moved by a few
pixels is no fault), in units of how unlike each other the input's own blocks of that row
are (each input block against the nearest block of another column nearby; plus
`ROW_EPS`). A sky row of clouds and blue, or water full of birds, has unlike blocks and
tolerates much; a ground or floor row is alike along its length, so a stretch of sky in it
stands out. Variations keep the vertical order of a scene (sky above, ground below). A
ground whose own blocks are very unlike each other (balloons of every colour) tolerates sky
by that measure, so the term also asks how much better a band's blocks fit the input higher
up than at their own height: what came down into it (layout_shift's `displaced`).

Neither sees a faint step of a few grey levels where two regions of smooth sky copied from
differently lit places meet (pale rectangles in a low sky): both sides are real patches. The
run measures those from its matches (engine.seams.seam_lines) and hands the measure in;
over `SEAMS_FLAG_AT` a result is flagged for seams.

One threshold does not fit every clip: on birds (flat sky, whose patches lie very close
together) clean variations score over `FLAG_AT`, on ballet a stage cut in pieces under it.
What does hold across clips is the ranking within one clip's variations. So a set of at
least `AMONG_MIN` variations of one source is judged among itself (`judge_among`): a
variation is flagged when its ratio is `STANDS_OUT` times the set's median (near-copies
left out of the median), or over `FLAG_ALWAYS` whatever the others score. Fewer than that,
with more on their way (a seed browser still computing its grid), wait for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from engine.bars import Bars, find_bars, output_bars
from engine.errors import Cancelled
from engine.metrics import _patch_for, nn_distance, scaled, to_unit
from engine.newness import newness
from engine.pyramid import wrapped
from engine.surround import Surround, find_surround
from engine.verdict import (  # noqa: F401 - the verdict's names, where callers look for them
    AMONG_MIN,
    COPY_AT,
    FLAG_ALWAYS,
    FLAG_AT,
    LAYOUT_FLAG_AT,
    SEAMS_FLAG_AT,
    SHARPNESS,
    STANDS_OUT,
    Realism,
    _judge,
    judge_among,
)

SIDE = 48  # short side, in pixels, of the scale the score looks at
SAMPLES = 800
MIN_SPACING = 0.5 / 255  # half a grey level, in the score's [0, 1] colours
WORST = 0.05  # the fraction of sampled patches whose distances make the ratio
BANDS, BLOCKS = 18, 8  # the layout term's grid: rows of the frame, blocks along each row
SUB = 4  # fine rows per band: the window slides by a quarter of a band
ROW_EPS = 0.02  # colour units in [0, 1] added to a row's own scale (flat rows, coding noise)
# A band displaced (layout_shift): measured 2026-12-07 (docs/quality_notes.md, 82, 84) at
# most 3.8 for clean variations of eight clips, the paper's outputs among them; 8.8 for a
# ground band lost to a cloud, 14.2 for the paper's output with sky cut into its ground.
DISPLACED_FLAG_AT = 6.0


def _video(frames: np.ndarray, scale: float) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (3, T, h, w) in [0, 1], shrunk by `scale`."""
    return scaled(to_unit(frames), scale).permute(3, 0, 1, 2).contiguous()


def _grid(frames: np.ndarray, rows: int, blocks: int) -> torch.Tensor:
    """(T, 3, rows, blocks) mean colours in [0, 1], a frame at a time (Full-HD stays small)."""
    out = []
    for frame in frames:
        x = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1).float().div_(255)
        out.append(F.adaptive_avg_pool2d(x[None], (rows, blocks))[0])
    return torch.stack(out)


@dataclass(frozen=True)
class Rows:
    """The input's layout: block colours on rows `SUB` times finer than the bands, so that
    a band's window can slide by a fraction of a band."""

    fine: torch.Tensor  # (3, bands * SUB, blocks)


def _rows(frames: np.ndarray, bands: int = BANDS) -> Rows:
    bands = min(bands, frames.shape[1])
    return Rows(_grid(frames, bands * SUB, min(BLOCKS, frames.shape[2])).mean(0))


def layout_shift(source: np.ndarray | Rows, frames: np.ndarray,
                 height_ratio: float = 1.0, *, displaced: bool = False) -> tuple[float, float]:
    """How unlike the input's blocks at its height the output's least fitting block is, in
    units of how unlike the input's own blocks of that row are, and where (0 top, 1 bottom).
    Colour distances are the largest channel difference. Sizes may differ: rows are taken
    at the same fractions of the height, and blocks match anywhere along the row.
    `height_ratio`: the output's height over the input's at the same pixel scale. Where it
    is not 1 (a variation made taller or shorter) a band's things keep their pixel size,
    so where they belong is not one place: each band may also match the input where it
    would lie at the same distance from the top or from the bottom, and anywhere between.
    `displaced`: also how much better a band's blocks fit the input higher up than at their
    own height (what came down into the band), at the 75th percentile of the band's blocks
    (three or more of eight count, one odd block does not), in units of the input's typical
    block spacing, scaled so that DISPLACED_FLAG_AT reads as LAYOUT_FLAG_AT: a ground band lost
    to sky, where the ground's own blocks are so unlike each other (balloons of every
    colour) that the first measure tolerates sky among them."""
    fine = (source if isinstance(source, Rows) else _rows(source)).fine
    bands = min(fine.shape[1] // SUB, frames.shape[1])
    if fine.shape[1] != bands * SUB:  # a short output: the input's rows at its bands
        fine = F.adaptive_avg_pool1d(fine.permute(0, 2, 1).flatten(0, 1)[None], bands * SUB)[0]
        fine = fine.unflatten(0, (3, -1)).permute(0, 2, 1)
    # Bands from fine rows for both videos, so that a copy matches exactly.
    out = _grid(frames, bands * SUB, min(BLOCKS, frames.shape[2])).mean(0).unflatten(1, (bands, SUB)).mean(2)
    own = fine.unflatten(1, (bands, SUB)).mean(2)  # (3, bands, blocks)
    windows = fine.unfold(1, SUB, 1).mean(-1)  # (3, starts, blocks): a band from each fine row
    if abs(height_ratio - 1) < 0.02:
        height_ratio = 1.0
    allowed = _slides(bands, windows.shape[1], height_ratio)
    fit = _nearest(out, windows, allowed).amin(-1)
    d_own = _nearest(own, windows, _slides(bands, windows.shape[1], 1.0))
    cols = torch.arange(own.shape[2])
    d_own = d_own.masked_fill(cols[:, None] == cols[None, :], float("inf")).amin(-1)
    scale = d_own.amax(1) if own.shape[2] > 1 else torch.zeros(bands)
    shift = (fit / (scale[:, None] + ROW_EPS)).amax(1)
    if displaced and bool(torch.isfinite(d_own).any()):
        # Only a better fit higher up counts: what came down into a band (sky into the
        # ground). A thing moved up, a balloon risen to the top of the sky, is no fault.
        above = torch.arange(windows.shape[1])[None] < allowed.float().argmax(1)[:, None]
        higher = _nearest(out, windows, above).amin(-1)
        typical = float(d_own[torch.isfinite(d_own)].quantile(0.5)) + ROW_EPS
        moved = ((fit - higher).clamp_min(0) / typical).quantile(0.75, dim=1)
        shift = torch.maximum(shift, moved * (LAYOUT_FLAG_AT / DISPLACED_FLAG_AT))
    row = int(shift.argmax())
    return float(shift[row]), (row + 0.5) / bands


def _slides(bands: int, starts: int, height_ratio: float) -> torch.Tensor:
    """(bands, starts) bool: the input bands (by their first fine row) each output band may
    match: slid by up to one band from where it would lie at the same fraction of the
    height, at the same distance from the top, or from the bottom, and any between (the
    three are one place at the input's own height)."""
    f = (torch.arange(bands, dtype=torch.float64) + 0.5) / bands
    at = torch.stack([f, (f * height_ratio).clamp(0, 1), (1 - (1 - f) * height_ratio).clamp(0, 1)])
    first = (at * bands * SUB - SUB / 2).round().long()  # the fine row each would start at
    lo = (first.amin(0) - SUB).clamp_min(0)
    hi = (first.amax(0) + SUB).clamp_max(starts - 1)
    row = torch.arange(starts)
    return (row[None] >= lo[:, None]) & (row[None] <= hi[:, None])


def _nearest(blocks: torch.Tensor, windows: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """(bands, n, input blocks): the colour distance (largest channel difference) from each
    of a band's n blocks to each input block of the nearest allowed input band."""
    d = (blocks[:, :, None, :, None] - windows[:, None, :, None, :]).abs().amax(0)  # (bands, starts, n, in)
    return d.masked_fill(~allowed[:, :, None, None], float("inf")).amin(1)


def _positions(video: torch.Tensor, patch: tuple[int, int, int], n: int, seed: int) -> torch.Tensor:
    _, t, h, w = video.shape
    g = torch.Generator().manual_seed(seed)
    hi = torch.tensor([t - patch[0] + 1, h - patch[1] + 1, w - patch[2] + 1])
    return (torch.rand((n, 3), generator=g) * hi).long()


def _patches(video: torch.Tensor, pos: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    pt, ph, pw = patch
    return torch.stack([video[:, a:a + pt, b:b + ph, c:c + pw] for a, b, c in pos.tolist()])


def spacing(source: torch.Tensor, patch: tuple[int, int, int], n: int = SAMPLES, chunk: int = 100,
            cancel: Callable[[], bool] | None = None) -> float:
    """The 90th percentile of the distances between sampled input patches and their nearest
    patch that does not overlap them in space (overlapping shifts are near-copies)."""
    pos = _positions(source, patch, n, seed=1)
    x = source[None]
    ones = torch.ones((1, source.shape[0], *patch), dtype=source.dtype)
    k2 = F.conv3d(x * x, ones)[0, 0]
    gh, gw = k2.shape[1], k2.shape[2]
    ys = torch.arange(gh)[None, :, None]
    xs = torch.arange(gw)[None, None, :]
    out = []
    for s in range(0, n, chunk):
        if cancel is not None and cancel():
            raise Cancelled()
        p = pos[s:s + chunk]
        q = _patches(source, p, patch)
        d = k2[None] - 2 * F.conv3d(x, q)[0] + q.flatten(1).square().sum(1)[:, None, None, None]
        near = ((ys - p[:, 1, None, None]).abs() < patch[1]) & ((xs - p[:, 2, None, None]).abs() < patch[2])
        d = d.masked_fill(near[:, None], float("inf"))
        out.append(d.flatten(1).min(1).values)
    best = torch.cat(out)
    best = best[torch.isfinite(best)].clamp_min(0) / (source.shape[0] * patch[0] * patch[1] * patch[2])
    return float(best.sqrt().quantile(0.9)) if best.numel() else 1.0


class RealismScorer:
    """Scores outputs of one source; the source's shrunk copy and spacing are computed once."""

    def __init__(self, source: np.ndarray, samples: int = SAMPLES) -> None:
        # Black bars and blurred sides (engine/surround.py) are judged by neither side: a
        # variation keeps the bars and makes the sides again from its picture, and their
        # patches, flat or blurred, matched closely, would make every result look better.
        self.surround = find_surround(source)
        self.bars = _judged(self.surround)  # the edges left out of the source's judging
        self.source_hw = source.shape[1:3]
        self.full_shape = source.shape[:3]  # (the whole frame's: `shape` is the picture's)
        source = _inside(source, self.bars)
        self.scale = _small_scale(source)
        self.shape = source.shape
        # Centred on the source's mean colour: distances between near-equal patches of a
        # flat clip are then not float32 rounding of large squares (k2 - 2qk + q2).
        video = _video(source, self.scale)
        self._centre = video.mean(dim=(1, 2, 3), keepdim=True)
        self.source = video - self._centre
        self.samples = samples
        self._spacing: float | None = None
        self.rows = _rows(source)

    def spacing_for(self, cancel: Callable[[], bool] | None = None) -> float:
        """The source's patch spacing (computed once), at least half a grey level: a flat
        clip's own patches are all alike, and a smaller spacing would judge rounding."""
        if self._spacing is None:
            found = spacing(self.source, _patch_for(self.source), cancel=cancel)
            self._spacing = max(found, MIN_SPACING)
        return self._spacing

    @property
    def spacing(self) -> float:
        return self.spacing_for()

    def _keys_for(self, frames: int, pt: int) -> torch.Tensor:
        """The patches an output of `frames` frames may hold: one longer than the clip is
        drawn from the clip looped (engine.pyramid.wrapped), so the clip followed by its own
        first pt - 1 frames, or the clean cut at the loop point would score as a break."""
        return wrapped(self.source, pt - 1) if frames > self.source.shape[1] else self.source

    def __call__(self, output: np.ndarray, cancel: Callable[[], bool] | None = None,
                 made_at: float = 1.0, seams: float | None = None) -> Realism:
        """The realism of one output (T, H, W, 3) uint8; deterministic. `made_at`: the scale
        of the source the output was made from (below 1 when the engine worked on a shrunk
        copy: Draft, --max-side). The output is shrunk so that its things are as large as
        the source's in the score's small frames: a retarget's patches keep the source's
        scale whatever its size, a Draft result's are smaller by `made_at`. `seams`: the
        run's measure of its faint seams (LevelResult.seams), None where unknown."""
        bars = _output_surround(self.surround, self.source_hw, output)
        full_height = output.shape[1]
        output = _inside(output, bars)
        scale = min(1.0, self.scale / made_at)
        out = _video(output, scale) - self._centre
        spacing_now = self.spacing_for(cancel)
        patch = _patch_for(self.source, out)
        pos = _positions(out, patch, self.samples, seed=0)
        keys = self._keys_for(out.shape[1], patch[0])
        parts = []
        for i in range(0, self.samples, 200):
            if cancel is not None and cancel():
                raise Cancelled()
            parts.append(nn_distance(_patches(out, pos[i:i + 200], patch), keys))
        d = torch.cat(parts)
        worst_k = max(1, round(WORST * len(d)))
        ratio = float(d.topk(worst_k).values.mean()) / spacing_now
        worst = pos[int(d.argmax())]
        centre = [int(v) + (p - 1) / 2 for v, p in zip(worst.tolist(), patch, strict=True)]
        # Back by each axis's own scale: a side shrunk under 7 px is kept at 7 (metrics.scaled),
        # and a thin retarget's worst place was put outside its frame.
        sy, sx = out.shape[2] / output.shape[1], out.shape[3] / output.shape[2]
        where = (int(centre[0]), min(int(centre[1] / sy), output.shape[1] - 1) + bars.top,
                 min(int(centre[2] / sx), output.shape[2] - 1) + bars.left)
        shift, row = layout_shift(self.rows, output, output.shape[1] / made_at / self.shape[1], displaced=True)
        row = (bars.top + row * output.shape[1]) / full_height  # on the whole frame again
        seams = seams or 0.0
        score, flagged = _judge(ratio, shift, FLAG_AT, seams)
        new = newness(self.source, out) if out.shape == self.source.shape else None
        return Realism(ratio=ratio, score=score, flagged=flagged,
                       near_copy=ratio < COPY_AT and shift <= LAYOUT_FLAG_AT, worst=where,
                       layout=shift, layout_row=row, new=new, seams=seams)


def _inside(frames: np.ndarray, bars: Surround) -> np.ndarray:
    """The picture inside a clip's black bars or blurred sides (the clip itself where it
    has none)."""
    return frames[(slice(None), *bars.window(*frames.shape[1:3]))] if bars else frames


def _output_surround(source: Surround, source_hw: tuple[int, int], output: np.ndarray) -> Surround:
    """An output's bars or blurred sides, where its source has some (a variation's dark
    edge is picture to judge): the black bars it has, and bars of another colour and
    blurred sides as the run makes them, in proportion (finding those again would cost a
    fit per output)."""
    if not source:
        return Bars()
    if isinstance(source, Bars) and source.black:
        return find_bars(output)
    return _judged(output_bars(source, source_hw, output.shape[1:3]) or Bars())


def _judged(surround: Surround) -> Surround:
    """Bars of another colour and blurred sides a pixel thicker at each edge they hold:
    their output's are put where the run put them, which rounds twice in a shrunk
    retarget (to the working size, then the output's) and may land a pixel further in,
    which judged as picture would be a column of blur. (Black bars are found again on the
    output, where they are.)"""
    if not surround or (isinstance(surround, Bars) and surround.black):
        return surround
    return replace(surround, **{edge: getattr(surround, edge) + 1
                                for edge in ("top", "bottom", "left", "right") if getattr(surround, edge)})


def newness_of(source: np.ndarray, output: np.ndarray) -> float | None:
    """How new an output looks (engine.newness) on the score's small frames, without the
    rest of the score (the bench's column); None where the shapes differ (a retarget)."""
    if surround := find_surround(source):
        output = _inside(output, _output_surround(surround, source.shape[1:3], output))
        source = _inside(source, _judged(surround))
    if source.shape != output.shape:
        return None
    scale = _small_scale(source)
    return newness(_video(source, scale), _video(output, scale))


def _small_scale(frames: np.ndarray) -> float:
    """The scale of the score's small frames: a short side of SIDE pixels (never larger)."""
    return min(1.0, SIDE / min(frames.shape[1:3]))


def realism(source: np.ndarray, output: np.ndarray, *, samples: int = SAMPLES,
            cancel: Callable[[], bool] | None = None, seams: float | None = None) -> Realism:
    """The realism of one output against its source (see RealismScorer to score many);
    `seams`: its run's seam measure (LevelResult.seams), where known."""
    return RealismScorer(source, samples)(output, cancel, seams=seams)
