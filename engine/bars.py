"""Black bars (letterbox, pillarbox) kept where they are.

A clip delivered in a wider or taller frame than its picture has black bars along two or
four edges. To the method they are content like any other: a pillarbox's dark columns have
patches of their own, and the noise that moves regions sideways moves them too, so a
variation could show a black column standing in the sky or a block of black cut into the
picture. A variation or retarget is made of the picture inside the bars instead, and the
bars go back around it where they were, as thick in proportion to the output's size.

A bar is a run of whole rows (or columns) at an edge that are near black in every frame:
no code over 32, and a mean of at most 10, so that a dark scene's textured edge (a night
ground) stays picture; an edge that dark all through is featureless, and pinning it
changes nothing that shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

# The highest RGB code a bar pixel may have: black is 16 in a limited-range video, which
# decodes to 0-2, plus the encoder's ringing beside the picture's edge.
BAR_LEVEL = 32
# And the highest mean of a bar's line: a dark scene's textured edge (a night ground whose
# codes reach 30) is picture, which a flat colour put back would wipe out.
BAR_MEAN = 10.0
# A coder's ringing lifts the black beside a picture's edge over BAR_LEVEL, within the
# coder's block that holds the edge (16 pixels, counted from the frame's first line; an
# edge on a block's first line barely rings), to at most RINGING_SHARE of the edge's mean
# (the line beside it reached 20 against 141 at CRF 35). The picture's edge: a mean of
# PICTURE_EDGE or more (_past_ringing).
CODER_BLOCK = 16
RINGING_SHARE = 0.25
PICTURE_EDGE = 4 * BAR_MEAN
# The picture must keep this share of each side and this many pixels, or nothing is a bar
# (a clip dark from edge to edge, or too little picture left to make anything of).
MIN_PICTURE_SHARE = 0.25
MIN_PICTURE_PX = 16
_COLOUR_FRAMES = 8  # frames sampled for the bars' colour
# Captions in a letterbox's bars: a top or bottom bar reaches past rows that are black in
# this share of their width in every frame, as far as this share of the frame's height.
CAPTION_DARK = 0.6
CAPTION_REACH = 0.25


@dataclass(frozen=True)
class Edges:
    """Thicknesses in pixels of what surrounds a picture at each edge of its frame: black
    bars (Bars), or blurred sides (engine/blurred_sides.py)."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))

    def inner(self, height: int, width: int) -> tuple[int, int]:
        """The picture's (H, W) inside a frame of (height, width)."""
        return height - self.top - self.bottom, width - self.left - self.right

    def window(self, height: int, width: int) -> tuple[slice, slice]:
        """The picture's rows and columns in a frame of (height, width)."""
        h, w = self.inner(height, width)
        return slice(self.top, self.top + h), slice(self.left, self.left + w)

    def scaled(self: _E, sy: float, sx: float) -> _E:
        """The same of a frame scaled by sy down and sx across (what else they hold, a
        colour or a recipe, is relative to the frame)."""
        return replace(self, top=round(self.top * sy), bottom=round(self.bottom * sy),
                       left=round(self.left * sx), right=round(self.right * sx))

    def describe(self) -> str:
        """Where they are, in words: "28 px top and bottom", "32 px left, 30 px right"."""
        parts = []
        for a, b, names in ((self.top, self.bottom, ("top", "bottom")),
                            (self.left, self.right, ("left", "right"))):
            if a and a == b:
                parts.append(f"{a} px {names[0]} and {names[1]}")
            else:
                parts += [f"{v} px {name}" for v, name in zip((a, b), names, strict=True) if v]
        return ", ".join(parts)


_E = TypeVar("_E", bound=Edges)


@dataclass(frozen=True)
class Bars(Edges):
    """Bars at each edge, the one colour they are put back in, and whether they held
    captions (left out of what is put back)."""

    colour: tuple[int, int, int] = (0, 0, 0)
    captions: bool = False

    @property
    def black(self) -> bool:
        """Black bars (find_bars), not another flat colour (engine/blurred_sides.py)."""
        return max(self.colour) <= BAR_LEVEL

    def note(self) -> str:
        """The run's note: what was made and what became of the bars."""
        # (No parentheses: the editor's "Result ready" line puts the notes in some.)
        what = "black bars" if self.black else "bars of one colour"
        kept = "kept in place without the captions in them" if self.captions else "kept in place"
        return f"the picture inside the clip's {what} was made, and the bars {kept}: {self.describe()}"

    def around(self, frames: np.ndarray, picture_hw: tuple[int, int]) -> np.ndarray:
        """`frames` with these bars put back (put_back)."""
        return put_back(frames, self, picture_hw)


def _lead(dark: np.ndarray) -> int:
    """How many of the leading entries of a 1-D bool array are True."""
    return len(dark) if dark.all() else int(np.argmin(dark))


def _picture_left(total: int, a: int, b: int) -> bool:
    left = total - a - b
    return left >= MIN_PICTURE_PX and left >= MIN_PICTURE_SHARE * total


def _dark(lines: np.ndarray, axes: tuple[int, int]) -> np.ndarray:
    """Which lines (rows or columns of a frame, the others of `axes` reduced) are black."""
    count = math.prod(lines.shape[a] for a in axes)
    sums = lines.sum(axis=axes, dtype=np.uint32)
    return (lines.max(axis=axes) <= BAR_LEVEL) & (sums <= BAR_MEAN * count)


def _rows(image: np.ndarray) -> np.ndarray:
    return _dark(image, (1, 2))


def _cols(image: np.ndarray) -> np.ndarray:
    return _dark(image, (0, 2))


def find_bars(frames: np.ndarray) -> Bars:
    """The black bars of a (T, H, W, 3) uint8 clip (no bars: a falsy Bars)."""
    t, h, w, _ = frames.shape
    first = frames[0]
    if not (_dark(first[:1], (1, 2))[0] or _dark(first[-1:], (1, 2))[0]
            or _dark(first[:, :1], (0, 2))[0] or _dark(first[:, -1:], (0, 2))[0]):
        return Bars()  # the usual clip: no edge line black, settled on four lines
    rows, cols = _rows(first), _cols(first)
    top, bottom, left, right = _lead(rows), _lead(rows[::-1]), _lead(cols), _lead(cols[::-1])
    if not (top or bottom or left or right):
        return Bars()
    # A bar is black in every frame: each edge's brightest value over the clip, per pixel,
    # read from the first frame's candidates only (a long Full-HD clip costs its bars'
    # pixels, not whole frames; per-frame reductions over a strided column took 20 ms).
    parts = [(slice(0, top), slice(None)), (slice(h - bottom, h), slice(None)),
             (slice(None), slice(0, left)), (slice(None), slice(w - right, w))]
    brightest = [frames[0][p].copy() for p in parts]
    for frame in frames[1:]:
        for most, p in zip(brightest, parts, strict=True):
            if most.size:
                np.maximum(most, frame[p], out=most)
    top = _lead(_rows(brightest[0])) if top else 0
    bottom = _lead(_rows(brightest[1])[::-1]) if bottom else 0
    left = _lead(_cols(brightest[2])) if left else 0
    right = _lead(_cols(brightest[3])[::-1]) if right else 0
    top, bottom = (_past_ringing(frames, top, 1, False) if top else 0,
                   _past_ringing(frames, bottom, 1, True) if bottom else 0)
    left, right = (_past_ringing(frames, left, 2, False) if left else 0,
                   _past_ringing(frames, right, 2, True) if right else 0)
    if not _picture_left(h, top, bottom):
        top = bottom = 0
    if not _picture_left(w, left, right):
        left = right = 0
    bars = Bars(top, bottom, left, right)
    if not bars:
        return bars
    # The colour of the black alone, before the bars reach past any captions.
    mask = np.ones((h, w), dtype=bool)
    mask[bars.window(h, w)] = False
    picked = frames[np.linspace(0, t - 1, min(t, _COLOUR_FRAMES)).round().astype(int)]
    colour = picked[:, mask].reshape(-1, 3).mean(axis=0).round().astype(int)
    with_captions = (_past_captions(frames, top, False) if top else 0,
                     _past_captions(frames, bottom, True) if bottom else 0)
    captions = with_captions[0] > top or with_captions[1] > bottom
    if captions and _picture_left(h, *with_captions):
        top, bottom = with_captions
    else:
        captions = False
    return Bars(top, bottom, left, right, (int(colour[0]), int(colour[1]), int(colour[2])), captions)


def _past_ringing(frames: np.ndarray, bar: int, axis: int, from_end: bool) -> int:
    """A bar `bar` lines thick along `axis` (1: rows, 2: columns; at the frame's end or its
    start), reaching over the lines beside the picture that a coder's ringing lifted over
    BAR_LEVEL: those between it and the picture's bright edge, dim beside the edge, in the
    coder's block that holds the edge. A picture whose edge is off the coder's blocks rings
    there: 1-4 lines were left to the picture, and a variation cut black notches into its
    edge from them (docs/quality_notes.md, 86). A dark picture edge, or one that brightens
    gradually (a vignette), is no ringing."""
    n = frames.shape[axis]
    step = -1 if from_end else 1
    first = n - 1 - bar if from_end else bar  # the first line past the bar
    means: list[float] = []
    for k in range(CODER_BLOCK):
        i = first + step * k
        if not 0 <= i < n:
            return bar
        mean = float((frames[:, i] if axis == 1 else frames[:, :, i]).mean())
        if mean >= PICTURE_EDGE:
            ringing = (k > 0 and max(means) <= RINGING_SHARE * mean
                       and first // CODER_BLOCK == i // CODER_BLOCK)
            return bar + k if ringing else bar
        means.append(mean)
    return bar


def _past_captions(frames: np.ndarray, bar: int, from_bottom: bool) -> int:
    """A top or bottom bar `bar` rows thick, reaching past the captions or subtitles in it:
    rows black in most of their width in every frame (CAPTION_DARK), some lit by text,
    then at least two rows black in every frame before the picture. All within
    CAPTION_REACH of the frame's height; else `bar` itself."""
    t, h, w, _ = frames.shape
    reach = int(h * CAPTION_REACH)
    if reach - bar < 4:
        return bar
    rows = slice(h - reach, h - bar) if from_bottom else slice(bar, reach)
    black = np.ones(reach - bar, dtype=bool)  # black in every frame
    mostly = np.ones(reach - bar, dtype=bool)  # black in most of the row in every frame
    sums = np.zeros(reach - bar)
    step = max(1, w // 960)  # (every other column of a Full-HD frame: text strokes are wider)
    for frame in frames:  # (a frame at a time: a Full-HD clip's bands are 150 MB)
        part = frame[rows, ::step]
        brightest = np.maximum(np.maximum(part[..., 0], part[..., 1]), part[..., 2])
        dark = brightest <= BAR_LEVEL
        black &= dark.all(axis=1)
        mostly &= np.count_nonzero(dark, axis=1) >= CAPTION_DARK * dark.shape[1]
        sums += part.sum(axis=(1, 2), dtype=np.uint32) / (3 * part.shape[1])
    black &= sums / t <= BAR_MEAN
    if from_bottom:  # (from the bar inward)
        black, mostly = black[::-1], mostly[::-1]
    run = _lead(mostly)
    end, lit = 0, False
    for i in range(run):
        lit |= not black[i]
        if lit and i >= 1 and black[i] and black[i - 1]:
            end = i + 1  # the last black row after text, with one before it
    return bar + end



def output_bars(bars: _E, source_hw: tuple[int, int], output_hw: tuple[int, int]) -> _E | None:
    """The bars (or blurred sides, engine/blurred_sides.py) of an output of (H, W) made from a source of (H, W) with `bars`, thick in
    proportion; None where the picture inside them would be too small to make."""
    sy, sx = output_hw[0] / source_hw[0], output_hw[1] / source_hw[1]
    out = bars.scaled(sy, sx)
    ih, iw = out.inner(*output_hw)
    sh, sw = bars.inner(*source_hw)
    if min(ih, iw) < MIN_PICTURE_PX or min(sh, sw) < MIN_PICTURE_PX:
        return None
    return out


def put_back(frames: np.ndarray, bars: Bars, picture_hw: tuple[int, int]) -> np.ndarray:
    """`frames` (T, h, w, 3), a picture made for a final picture of `picture_hw`, framed by
    `bars` (the final output's) scaled to its size: a coarse level's preview gets thinner
    bars, in proportion."""
    t, h, w, _ = frames.shape
    b = bars.scaled(h / picture_hw[0], w / picture_hw[1])
    out = np.empty((t, h + b.top + b.bottom, w + b.left + b.right, 3), dtype=np.uint8)
    out[...] = np.asarray(bars.colour, dtype=np.uint8)
    out[:, b.top:b.top + h, b.left:b.left + w] = frames
    return out
