"""Blurred sides: a tall (or wide) picture set over a blurred, enlarged copy of itself.

Phone apps and editors fill a wide frame around a vertical video this way, instead of with
black bars (engine/bars.py). To the method the blurred sides are content like any other:
a variation copies sharp balloons into them and blurred blocks into the picture. A
variation or retarget is made of the picture alone instead, and the sides are made again
from the new picture by the recipe that made the source's, so they show a blur of what the
output's picture shows.

Found in two steps, both needed:
1. Whole columns (or rows) at both edges with little detail over frames sampled from the
   clip, where the picture between them has much more.
2. A recipe that predicts those sides from the picture: the picture enlarged to cover the
   frame (or stretched to it), blurred with a Gaussian, and its colours scaled (apps often
   darken it). A shallow-focus shot has blurred edges too, but they are not an enlarged
   copy of its middle: a recipe predicts no more of them than their own rows and profile
   across do.
Sides that hold one flat colour are bars of that colour (find_sides).
The fit and the sides are computed on a small copy of the frame (the sides have no detail
to lose), then brought up to size.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from engine.bars import MIN_PICTURE_PX, MIN_PICTURE_SHARE, Bars, Edges
from engine.pyramid import resize

# The longest side of the small frame the recipe is fitted and the sides are made on.
WORK_SIDE = 160
# Each side must be at least this share of the frame across it (a thin blurred edge is a
# shallow focus or a vignette, and costs the method nothing).
MIN_SIDE_SHARE = 0.04
# A side's columns have at most this share of the picture's detail (the 90th percentile of
# the columns' detail: the picture's, wherever it is, if it holds a tenth of the frame).
DETAIL_SHARE = 0.3
# The recipe must explain this share of the sides' variance ...
MIN_EXPLAINED = 0.85
# ... and this share of what each line's mean along the sides and their profile across
# leave (a copy of the picture predicts where things are along a row; a sky-over-ground
# scene's blurred-in-place edges have a row-by-row colour, and a stage's plain wings a
# light falling off across them, that a blur of the middle gets and little more) ...
MIN_BEYOND_LINES = 0.3
# ... with a colour gain in this range (a side darkened to a fifth is all but black, and
# one brighter than the picture is not a copy of it).
GAIN_RANGE = (0.2, 1.3)
_THICK_FOR_LEFT = 4  # small-frame pixels a side needs for the second share
_OUTER_MARGIN = 2  # small-frame pixels along the frame's edges left out of the fit
# Flat sides: every pixel in every frame within this many codes of their one colour, per
# channel (a colour fill under a coder's noise; a sky's gradient along a whole edge drifts
# further).
FLAT_TOLERANCE = 12
# Lines beside the picture where H.264 rings (its colour is stored at half size: a white
# pillarbox's third column from the picture is 13 codes off, its fifth 7) ...
_RINGING_LINES = 4
# ... and where it rings at most (half of a thinner side): in blocks of 8, so the ringing
# reaches the block beside the one that holds the picture's edge. A grey, pink or blue
# pillarbox whose picture starts off a multiple of 8 rang 8-12 columns out at CRF 23-40,
# 13-16 codes off (docs/quality_notes.md, 85). Sides flat only past these are bars only
# where no blur explains them: a dark scene's blur is flat that far from the picture.
_RINGING_REACH = 12
# Codes per channel between the colours of two pairs of flat bars that are one fill (their
# medians; H.264 moved a pink fill's by 1).
_SAME_FILL = 4
# Blur widths tried, in pixels of the small frame, and enlargements beyond "cover".
SIGMAS = tuple(0.6 * 1.3 ** i for i in range(17))
ZOOMS = (1.0, 1.15, 1.3, 1.5)
_SAMPLE_FRAMES = 6
_CHUNK_FRAMES = 4
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class BlurredSides(Edges):
    """The sides' thickness in pixels at each edge (two opposite edges have them), and the
    recipe that made them: `zoom` over "cover" (0: stretched to the frame), the blur's
    sigma as a share of the frame's longest side, and a per-channel gain and offset."""

    zoom: float = 1.0
    sigma: float = 0.0
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def note(self) -> str:
        """The run's note: what was made and what became of the sides."""
        return ("the picture between the clip's blurred sides was made, and the sides made "
                f"again from it: {self.describe()}")

    def around(self, frames: np.ndarray, picture_hw: tuple[int, int]) -> np.ndarray:
        """`frames` (T, h, w, 3), a picture made for a final picture of `picture_hw`, with
        sides made from it by the recipe, as thick in proportion (a coarse level's preview
        gets thinner ones)."""
        t, h, w, _ = frames.shape
        s = self.scaled(h / picture_hw[0], w / picture_hw[1])
        full = (h + s.top + s.bottom, w + s.left + s.right)
        k = max(1.0, max(full) / WORK_SIDE)
        small = (max(1, round(full[0] / k)), max(1, round(full[1] / k)))
        inner = (max(1, round(h / k)), max(1, round(w / k)))
        out = np.empty((t, *full, 3), dtype=np.uint8)
        # A few frames at a time: a Full-HD clip's frames as floats are 100 MB each.
        for i in range(0, t, _CHUNK_FRAMES):
            picture = torch.from_numpy(np.ascontiguousarray(frames[i:i + _CHUNK_FRAMES])).permute(3, 0, 1, 2).float()
            bg = _background(_resize(picture, inner), small, self.zoom, self.sigma * max(small))
            bg = bg * _channels(self.gain) + _channels(self.offset)
            out[i:i + _CHUNK_FRAMES] = _resize(bg, full).clamp(0, 255).round().to(torch.uint8).permute(1, 2, 3, 0).numpy()
        out[:, s.top:s.top + h, s.left:s.left + w] = frames
        return out


def _channels(values: tuple[float, float, float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(3, 1, 1, 1)


def _resize(video: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """A (C, T, H, W) float video resized in H and W (antialiased when shrinking)."""
    if tuple(video.shape[2:]) == tuple(hw):
        return video
    return resize(video, (video.shape[1], *hw))


@functools.lru_cache(maxsize=256)
def _blur_matrix(n: int, sigma: float) -> torch.Tensor:
    """(n, n) weights of a 1-D Gaussian blur with the edges replicated: row i sums the
    taps around i, those past an edge counted on the edge's sample."""
    r = int(math.ceil(3 * sigma))
    taps = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-taps ** 2 / (2 * sigma * sigma))
    k = k / k.sum()
    rows = torch.arange(n)[:, None].expand(n, 2 * r + 1)
    cols = (rows + taps.long()[None, :]).clamp(0, n - 1)
    m = torch.zeros(n, n)
    m.index_put_((rows.reshape(-1), cols.reshape(-1)), k.repeat(n), accumulate=True)
    return m


def _blur(video: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of a (C, T, H, W) video in H and W, edges replicated (as
    two small matrix products: the frames it works on are at most WORK_SIDE wide)."""
    if sigma <= 0.3:
        return video
    h, w = video.shape[2:]
    across = _blur_matrix(w, sigma).to(video.dtype)
    down = _blur_matrix(h, sigma).to(video.dtype)
    return down @ (video @ across.T)


def _background(picture: torch.Tensor, hw: tuple[int, int], zoom: float, sigma: float) -> torch.Tensor:
    """The picture (C, T, h, w) enlarged to cover a frame of `hw` (times `zoom`; zoom 0:
    stretched to it), centred, and blurred by `sigma` pixels of that frame."""
    _, _, ph, pw = picture.shape
    if zoom <= 0:
        return _blur(_resize(picture, hw), sigma)
    s = max(hw[0] / ph, hw[1] / pw) * zoom
    big = (max(hw[0], math.ceil(ph * s)), max(hw[1], math.ceil(pw * s)))
    y0, x0 = (big[0] - hw[0]) // 2, (big[1] - hw[1]) // 2
    enlarged = _resize(picture, big)[:, :, y0:y0 + hw[0], x0:x0 + hw[1]]
    return _blur(enlarged, sigma)


def _side(low: np.ndarray, step: np.ndarray, least: int) -> int:
    """How thick the side at the start of a profile is: its low-detail run, ended at the
    sharpest step between neighbouring lines near the run's end (`step[i]`: between lines
    i and i + 1), the picture's edge against the blur, where a flat sky at the picture's
    own edge would otherwise count as side; a few lines past the run too, where the blur
    beside the picture kept some detail (ties go to the outer line). 0: no side."""
    n = len(low)
    run = n if low.all() else int(np.argmin(low))
    if run < least:
        return 0
    reach = min(run + max(3, round(0.03 * n)), n // 2)
    return least + int(np.argmax(step[least - 1:reach]))


def _edges(detail: np.ndarray, step: np.ndarray) -> tuple[int, int] | None:
    """The sides at both ends of a per-line detail profile, or None."""
    n = len(detail)
    low = detail < DETAIL_SHARE * np.percentile(detail, 90)
    least = max(2, math.ceil(MIN_SIDE_SHARE * n))
    a = _side(low, step, least)
    b = _side(low[::-1], step[::-1], least)
    if not (a and b) or n - a - b < max(MIN_PICTURE_PX, MIN_PICTURE_SHARE * n):
        return None
    return a, b


def _shrunk(frames: np.ndarray, window: tuple[slice, slice], k: float) -> torch.Tensor:
    """The frames' `window`, shrunk by k, as a (C, T, h, w) float video; a frame at a time
    (six Full-HD frames as floats are 150 MB)."""
    out = []
    for frame in frames:
        part = torch.from_numpy(np.ascontiguousarray(frame[window])).permute(2, 0, 1).float()[:, None]
        out.append(_resize(part, (max(1, round(part.shape[2] / k)), max(1, round(part.shape[3] / k)))))
    return torch.cat(out, dim=1)


def _along_and_across(part: torch.Tensor, axis: int) -> float:
    """The squared residual of a side (C, T, H, W) after its lines' means (each row of a
    pillarbox's side, in each frame) and its profile across (each column's mean over rows
    and frames) are taken out."""
    lines = part.mean(dim=axis, keepdim=True)
    other = 2 if axis == 3 else 3
    profile = part.mean(dim=(1, other), keepdim=True) - part.mean(dim=(1, 2, 3), keepdim=True)
    return float(((part - lines - profile) ** 2).sum())


def _fit(frames: np.ndarray, sides: BlurredSides) -> BlurredSides | None:
    """The recipe that best predicts the sides of `frames` from their picture, or None
    where none explains them."""
    t, h, w, _ = frames.shape
    k = max(1.0, max(h, w) / WORK_SIDE)
    observed = _shrunk(frames, (slice(None), slice(None)), k)
    small = tuple(observed.shape[2:])
    picture = _shrunk(frames, sides.window(h, w), k)
    # The sides' pixels on the small frame: a pixel clear of the picture's edge (where the
    # small frame mixes the two) and two of the frame's outer edges (where apps' blurs
    # differ in how they treat the edge, and a coder may leave a dark line).
    axis = 3 if sides.left else 2  # the axis across the sides
    n = small[axis - 2]
    size = (w if axis == 3 else h) / n  # (k, exactly, along this axis)
    before = max(0, math.floor((sides.left or sides.top) / size) - 1)
    after = min(n, math.ceil(n - (sides.right or sides.bottom) / size) + 1)
    m = _OUTER_MARGIN if min(small) > 8 * _OUTER_MARGIN else 0
    along = slice(m, small[0] - m) if axis == 3 else slice(m, small[1] - m)
    spans = [slice(m, before), slice(after, n - m)]
    # (rows, columns) of each side's kept pixels
    parts = [(along, span) if axis == 3 else (span, along) for span in spans]
    parts = [(r, c) for r, c in parts if r.stop > r.start and c.stop > c.start]
    if sum((r.stop - r.start) * (c.stop - c.start) for r, c in parts) < 8:
        return None
    sides_seen = [observed[:, :, r, c] for r, c in parts]
    obs = torch.cat([x.reshape(3, -1) for x in sides_seen], dim=1)  # (C, N)
    total = float(((obs - obs.mean(dim=1, keepdim=True)) ** 2).sum())
    if total <= 0:
        return None  # flat sides: a colour bar, not a blurred copy
    # What the sides' own lines and profile explain: a scene whose colour changes mostly
    # from top to bottom (sky over ground) has soft edges that any blur of its middle,
    # stretched to the frame, predicts that far; a light falling off towards the wings of a
    # plain stage, a profile across them. A copy must explain what is left as well. (Sides
    # a few pixels thick have little left but noise: this test is not made of them.)
    thick = min(x.shape[axis] for x in sides_seen) >= _THICK_FOR_LEFT
    left = sum(_along_and_across(x, axis) for x in sides_seen if x.shape[axis] > 1)
    om = obs.mean(dim=1, keepdim=True)

    def residual(enlarged: torch.Tensor, sigma: float) -> tuple[float, torch.Tensor, torch.Tensor]:
        """The squared residual of the best gain and offset per channel, and those."""
        across = _blur_matrix(small[1], sigma) if sigma > 0.3 else None
        down = _blur_matrix(small[0], sigma) if sigma > 0.3 else None
        y = enlarged if across is None else enlarged @ across.T
        pieces = []
        for r, c in parts:  # (only the sides' rows blurred down)
            rows = y[:, :, r] if down is None else down[r] @ y
            pieces.append(rows[:, :, :, c].reshape(3, -1))
        pred = torch.cat(pieces, dim=1)
        pm = pred.mean(dim=1, keepdim=True)
        gain = ((pred - pm) * (obs - om)).sum(dim=1) / ((pred - pm) ** 2).sum(dim=1).clamp_min(1e-6)
        offset = om.squeeze(1) - gain * pm.squeeze(1)
        return float(((obs - (gain[:, None] * pred + offset[:, None])) ** 2).sum()), gain, offset

    best: tuple[float, float, float, torch.Tensor, torch.Tensor] | None = None
    for zoom in (0.0, *ZOOMS):
        enlarged = _background(picture, small, zoom, 0.0)  # type: ignore[arg-type]
        # Every other blur width, then the two beside the best of those.
        tried = {i: residual(enlarged, SIGMAS[i]) for i in range(0, len(SIGMAS), 2)}
        i = min(tried, key=lambda j: tried[j][0])
        for j in (i - 1, i + 1):
            if 0 <= j < len(SIGMAS):
                tried[j] = residual(enlarged, SIGMAS[j])
        i = min(tried, key=lambda j: tried[j][0])
        res_i, gain_i, offset_i = tried[i]
        if best is None or res_i < best[0]:
            best = (res_i, zoom, SIGMAS[i] / max(small), gain_i, offset_i)
    res, zoom, sigma, gain, offset = best  # type: ignore[misc]
    explained = 1.0 - res / total
    beyond = 1.0 - res / left if left > 0 else 0.0
    if (explained < MIN_EXPLAINED or (thick and beyond < MIN_BEYOND_LINES)
            or not all(GAIN_RANGE[0] <= float(g) <= GAIN_RANGE[1] for g in gain)):
        return None
    g = tuple(float(v) for v in gain)
    o = tuple(float(v) for v in offset)
    return BlurredSides(sides.top, sides.bottom, sides.left, sides.right, zoom, sigma,
                        g, o)  # type: ignore[arg-type]


def _side_parts(h: int, w: int, sides: BlurredSides, ringing: int) -> list[tuple[slice, slice]]:
    """The (rows, columns) of each of two opposite sides, `ringing` lines beside the
    picture (at most half a side) left out."""
    def r(thickness: int) -> int:
        return min(ringing, thickness // 2)

    if sides.left:
        return [(slice(None), slice(0, max(0, sides.left - r(sides.left)))),
                (slice(None), slice(min(w, w - sides.right + r(sides.right)), w))]
    return [(slice(0, max(0, sides.top - r(sides.top))), slice(None)),
            (slice(min(h, h - sides.bottom + r(sides.bottom)), h), slice(None))]


def _flat_colour(frames: np.ndarray, sides: BlurredSides,
                 ringing: int = _RINGING_LINES) -> tuple[int, int, int] | None:
    """The one colour of sides that hold it in every frame, within FLAT_TOLERANCE per
    channel (`ringing` lines beside the picture, where a coder rings, aside); else None."""
    parts = _side_parts(*frames.shape[1:3], sides, ringing)
    lows = [frames[0][p].copy() for p in parts]
    highs = [low.copy() for low in lows]
    for frame in frames[1:]:
        for low, high, p in zip(lows, highs, parts, strict=True):
            np.minimum(low, frame[p], out=low)
            np.maximum(high, frame[p], out=high)
    if not all(low.size for low in lows):
        return None
    colour = np.median(np.concatenate([frames[0][p].reshape(-1, 3) for p in parts]), axis=0)
    for low, high in zip(lows, highs, strict=True):
        if (np.abs(high - colour) > FLAT_TOLERANCE).any() or (np.abs(low - colour) > FLAT_TOLERANCE).any():
            return None
    return int(colour[0]), int(colour[1]), int(colour[2])


def _candidate(frames: np.ndarray) -> tuple[np.ndarray, BlurredSides]:
    """Frames sampled over the clip, and the low-detail sides at both edges of them (their
    thickness only; none: a falsy BlurredSides)."""
    t, h, w, _ = frames.shape
    picked = frames[np.linspace(0, t - 1, min(t, _SAMPLE_FRAMES)).round().astype(int)]
    found = BlurredSides()
    if h > 2 and w > 2:
        # Detail across the lines: a pillarbox's sides have no vertical detail in any row,
        # a letterbox's no horizontal detail in any column. Each profile needs every line
        # it is a profile of, but only some of the others (a Full-HD frame's 1080 rows).
        across = picked[:, :: max(1, h // 270)].astype(np.float32) @ _LUMA
        down = picked[:, :, :: max(1, w // 270)].astype(np.float32) @ _LUMA
        cols = np.abs(np.diff(across, axis=1)).mean(axis=(0, 1))
        col_steps = np.abs(np.diff(across, axis=2)).mean(axis=(0, 1))
        rows = np.abs(np.diff(down, axis=2)).mean(axis=(0, 2))
        row_steps = np.abs(np.diff(down, axis=1)).mean(axis=(0, 2))
        if (lr := _edges(cols, col_steps)) is not None:
            found = BlurredSides(left=lr[0], right=lr[1])
        elif (tb := _edges(rows, row_steps)) is not None:
            found = BlurredSides(top=tb[0], bottom=tb[1])
    return picked, found


def find_sides(frames: np.ndarray) -> Bars | BlurredSides:
    """The sides of a (T, H, W, 3) uint8 clip's picture at two opposite edges: flat sides
    of one colour (as Bars of that colour: white or grey bars, an app's colour fill), or
    blurred sides; none: a falsy BlurredSides."""
    picked, found = _candidate(frames)
    if not found:
        return found
    if (bars := _flat_bars(frames, picked, found, _RINGING_LINES)) is not None:
        return bars
    if (fitted := _fit(picked, found)) is not None:
        return fitted
    if (bars := _flat_bars(frames, picked, found, _RINGING_REACH)) is not None:
        return bars
    # A side whose blur kept detail beside the picture ends its low-detail run early, and
    # its edge is then sought in the blur: apps centre the picture, so where the sides
    # differ, try the thicker side's width on both.
    a, b = (found.left, found.right) if found.left else (found.top, found.bottom)
    m = max(a, b)
    across = frames.shape[2] if found.left else frames.shape[1]
    if a == b or across - 2 * m < max(MIN_PICTURE_PX, MIN_PICTURE_SHARE * across):
        return BlurredSides()
    even = BlurredSides(left=m, right=m) if found.left else BlurredSides(top=m, bottom=m)
    return _fit(picked, even) or BlurredSides()


def _flat_bars(frames: np.ndarray, picked: np.ndarray, found: BlurredSides, ringing: int) -> Bars | None:
    """Sides of one flat colour past `ringing` lines beside the picture, as Bars (with the
    other pair, where a windowbox has one); else None. The sampled frames first: blurred
    sides fail there, before a pass over every frame."""
    if _flat_colour(picked, found, ringing) is None or (colour := _flat_colour(frames, found, ringing)) is None:
        return None
    return _windowbox(frames, Bars(found.top, found.bottom, found.left, found.right, colour))


def _windowbox(frames: np.ndarray, bars: Bars) -> Bars:
    """Flat bars at two opposite edges, with bars of the same colour at the other two
    where the picture between them has them as well (a picture smaller than the frame both
    ways: a windowbox, or a small video centred on a coloured card)."""
    inside = frames[(slice(None), *bars.window(*frames.shape[1:3]))]
    picked, other = _candidate(inside)
    if not other or bool(other.left) == bool(bars.left):
        return bars
    # (Past the widest ringing: the fill must be the first pair's, which no blur is.)
    if (_flat_colour(picked, other, _RINGING_REACH) is None
            or _flat_colour(inside, other, _RINGING_REACH) is None):
        return bars
    # Each side the same fill as the first pair, within a few codes: a picture's own flat
    # sky or floor a shade off the bars' colour is picture (putting bars back would repaint it).
    for part in _side_parts(*inside.shape[1:3], other, _RINGING_REACH):
        colour = np.median(picked[(slice(None), *part)].reshape(-1, 3), axis=0)
        if np.abs(colour - np.asarray(bars.colour)).max() > _SAME_FILL:
            return bars
    return Bars(bars.top or other.top, bars.bottom or other.bottom,
                bars.left or other.left, bars.right or other.right, bars.colour)


def find_blurred_sides(frames: np.ndarray) -> BlurredSides:
    """The blurred sides of a (T, H, W, 3) uint8 clip (none: a falsy BlurredSides)."""
    sides = find_sides(frames)
    return sides if isinstance(sides, BlurredSides) else BlurredSides()
