"""Mask and hint layers from files: numbered PNG frames, one image (used for every frame)
or a video, fitted to the clip's frames and size.

Every mismatch is one InputError that names the file and says what would fit: a frame count
that is neither 1, the clip's nor the whole source's; a different aspect ratio (a scaled
copy, e.g. a mask painted at full size for a clip read with --max-side, is resized); a file
that cannot be read; a mask with nothing (or everything) painted; hints with no colour.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.errors import InputError

Shape3 = tuple[int, int, int]


def _size(shape: Shape3) -> str:
    return f"{shape[2]}x{shape[1]}"


def _same_aspect(mh: int, mw: int, h: int, w: int) -> bool:
    """True when one size is the other scaled, up to the rounding of one pixel per side."""
    return abs(mh * w - mw * h) <= max(mh + mw, h + w) / 2


def _check_frames(n: int, shape: Shape3, start: int, source_frames: int | None, what: str,
                  name: str) -> tuple[int, int | None]:
    """The range [first, end) of the layer's frames to use; refuses a count that fits nothing."""
    t = shape[0]
    if n == 1 or n == t:
        return 0, None
    whole = source_frames or None  # 0: not known (a count estimated from a duration)
    if (whole is not None and n == whole) or (whole is None and n >= start + t):
        return start, start + t  # a layer for the whole source; the clip is a range of it
    fits = "1 frame" if t == 1 else f"1 (used for every frame) or {t} (one per frame)"
    if whole is not None and whole != t:
        fits += f" or {whole} (one per frame of the whole source)"
    raise InputError(f"{name}: the {what} has {n} frame{'s' if n != 1 else ''} but the clip has "
                     f"{t}; give {fits}")


def _read_layer(path: str | os.PathLike[str], shape: Shape3, start: int,
                source_frames: int | None, what: str,
                cancel: Callable[[], bool] | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, float]:
    """The layer's frames for the clip: (T or 1, h, w, 3) uint8, checked against the clip,
    and the scale they were read at (below 1: shrunk from the file's size)."""
    from engine.io.reader import read_video, source_shape

    name = Path(path).name or str(path)
    t, h, w = shape
    try:
        n, mh, mw = source_shape(path, max_voxels=2**62, max_pixels=2**62)
    except InputError as exc:
        raise InputError(f"cannot read the {what}: {exc}") from exc
    if not _same_aspect(mh, mw, h, w):
        raise InputError(f"{name}: the {what} is {mw}x{mh} but the clip is {w}x{h}; it must have "
                         f"the clip's size (or be a scaled copy of it, with the same aspect ratio)")
    first, end = _check_frames(n, shape, start, source_frames, what, name)
    try:
        # Read at about the clip's size: a full-size layer for a downscaled clip stays small.
        frames = read_video(path, start=first, end=end, max_side=max(h, w), max_voxels=2**62,
                            over_black=True, cancel=cancel, progress=progress).frames  # transparent: unpainted
    except InputError as exc:
        raise InputError(f"cannot read the {what}: {exc}") from exc
    if len(frames) not in (1, t):  # the probe's count was an estimate (some formats)
        raise InputError(f"{name}: the {what} has {len(frames)} frames but the clip has {t}; "
                         + ("give 1" if t == 1 else f"give 1 (used for every frame) or {t} (one per frame)"))
    return frames, frames.shape[2] / max(1, mw)


HOLE_LINE = 127  # a mask pixel lighter than this (mid-grey) is hole
SHRUNK_LINE_MIN = 8  # but compression's ringing around a hole, averaged, is not


def hole_line(scale: float) -> float:
    """The grey over which a mask pixel is hole, for a mask read shrunk by `scale` (area
    averaging): a stroke one pixel wide is then grey, 255 x scale (a dot 255 x scale²), and at
    mid-grey a wire painted at full size for a clip read with --max-side 64 was dropped (the
    mask then "empty")."""
    if scale >= 1:
        return HOLE_LINE
    return max(SHRUNK_LINE_MIN, HOLE_LINE * scale * scale)


def _fit(frames: np.ndarray, shape: Shape3) -> np.ndarray:
    """One frame repeated to T; a scaled copy resized (nearest) to (H, W)."""
    t, h, w = shape
    if frames.shape[0] == 1 and t != 1:
        frames = np.repeat(frames, t, axis=0)
    if frames.shape[1:3] != (h, w):
        ys = np.minimum((np.arange(h) + 0.5) * frames.shape[1] / h, frames.shape[1] - 1)
        xs = np.minimum((np.arange(w) + 0.5) * frames.shape[2] / w, frames.shape[2] - 1)
        frames = frames[:, ys.astype(int)][:, :, xs.astype(int)]
    return np.ascontiguousarray(frames)


def load_mask(path: str | os.PathLike[str], shape: Shape3, start: int = 0,
              source_frames: int | None = None, *, allow_blank: bool = False,
              cancel: Callable[[], bool] | None = None,
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """A (T, H, W) bool hole from numbered PNG frames, an image or a video (white = hole).

    shape: the clip's (T, H, W); start and source_frames: where the clip starts in its
    source and how many frames the source has, so a mask for the whole source fits a range.
    allow_blank: accept a mask with nothing or everything painted (the editor imports a
    layer to paint on further; a run needs a hole that leaves something to fill it from).
    cancel and progress: as read_video's.
    """
    name = Path(path).name or str(path)
    frames, scale = _read_layer(path, shape, start, source_frames, "mask", cancel, progress)
    # Any channel over the line (channel by channel: a max over the last axis is 4x slower).
    line = hole_line(scale)
    mask = _fit((frames[..., 0] > line) | (frames[..., 1] > line) | (frames[..., 2] > line), shape)
    if allow_blank:
        return mask
    if not mask.any():
        raise InputError(f"{name}: the mask is empty (all black); paint the hole in white")
    if mask.all():
        raise InputError(f"{name}: the mask covers the whole clip (every pixel is white, or "
                         "lighter than mid-grey, which counts as hole); nothing is left to fill "
                         "the hole from. Paint only the region to replace")
    return mask


def load_hints(path: str | os.PathLike[str], shape: Shape3, start: int = 0,
               source_frames: int | None = None, *, allow_blank: bool = False,
               cancel: Callable[[], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(T, H, W, 4) RGBA hints: the painted colour, alpha 255 where not (nearly) black; RGB
    is 0 where unpainted. allow_blank: accept hints with no colour (see load_mask)."""
    name = Path(path).name or str(path)
    rgb = _fit(_read_layer(path, shape, start, source_frames, "hint file", cancel,
                             progress)[0], shape)
    alpha = (rgb.max(axis=-1) > 8).astype(np.uint8) * 255
    rgb = np.where(alpha[..., None] > 0, rgb, 0).astype(np.uint8)
    if not alpha.any() and not allow_blank:
        raise InputError(f"{name}: the hint colours are all black (nothing painted); paint the "
                         "colours to follow, or leave out --hints")
    return np.concatenate([rgb, alpha[..., None]], axis=-1)
