"""Clip and metadata types, size limits, and the small geometry helpers the reader uses."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.limits import estimated_peak_bytes

# Frame rate given to still images and image folders (they carry none); 25 fps is the PAL
# rate and what FFmpeg's image2 demuxer assumes too.
DEFAULT_IMAGE_FPS = Fraction(25)

# Per-frame cap: 4K UHD. Larger frames are refused with a --max-side hint.
MAX_PIXELS = 3840 * 2160
# Whole-clip cap on T*H*W: 64 frames of 1080p (~400 MB as uint8 RGB, ~1.6 GB as float32),
# which is what the engine can hold comfortably on a desktop machine.
MAX_VOXELS = 1920 * 1080 * 64

IMAGE_EXTS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
VIDEO_OUT_EXTS = (".mp4", ".mov", ".mkv")


@dataclass
class VideoClip:
    """Decoded frames plus where they came from."""

    frames: np.ndarray  # (T, H, W, 3) uint8 RGB, C-contiguous
    fps: Fraction  # exact source rate; DEFAULT_IMAGE_FPS for images and image folders
    path: Path | None = None  # source file or folder
    has_audio: bool = False
    start_frame: int = 0  # index of frames[0] in the source
    source_frames: int = 0  # frame count of the whole source; 0 where only estimated
    notes: list[str] = field(default_factory=list)  # what reading changed, for the user
    # When each frame is shown, in seconds from the source's first frame (its time stamps):
    # a variable-rate clip's frames are not at i / fps. None: not known (then i / fps).
    times: np.ndarray | None = field(default=None, repr=False)

    def rate_of(self, first: int, last: int) -> Fraction:
        """The rate frames [first, last] of these frames play at: `fps`, or where the time
        stamps say the range runs at another rate than the clip's average (a range of a
        phone's variable-rate recording), the range's own, so its length and sound are the
        source's. All of them play at `fps` (a GIF's, from all its delays: their time stamps'
        span leaves out the last one)."""
        if first <= 0 and last >= len(self.frames) - 1:
            return self.fps
        return range_rate(None if self.times is None else self.times[first : last + 1], self.fps)

    def seconds_at(self, i: int) -> float:
        """When frame i (of these frames) is shown in the source, from its first frame:
        where the sound of a range starting there begins."""
        if self.times is not None and 0 <= i < len(self.times):
            return float(self.times[i])
        return (self.start_frame + i) / float(self.fps)

    @property
    def duration(self) -> float:
        """Length in seconds (T / fps)."""
        return len(self.frames) / float(self.fps)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the frames."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])


def rate_text(fps: Fraction) -> str:
    """A frame rate as people write it: 25, 29.97, 59.94, 23.976 (".3g" said 30 and 24)."""
    return str(fps.numerator) if fps.denominator == 1 else f"{float(fps):.3f}".rstrip("0").rstrip(".")


RATE_SLACK = 0.01  # a range's own rate within this share of the clip's is the clip's


def range_rate(times: np.ndarray | None, fps: Fraction) -> Fraction:
    """`fps`, or the mean rate of frames shown at `times` (seconds) where it is more than
    RATE_SLACK away: snapped to the nearer of a whole rate and an NTSC one (30000/1001)
    within 0.5%."""
    if times is None or len(times) < 2 or fps <= 0:
        return fps
    span = float(times[-1] - times[0])
    if not math.isfinite(span) or span <= 0:
        return fps
    rate = (len(times) - 1) / span
    if abs(rate - float(fps)) <= RATE_SLACK * float(fps):
        return fps
    near = min((Fraction(round(rate)), Fraction(round(rate * 1.001) * 1000, 1001)),
               key=lambda r: abs(rate - float(r)))
    if near > 0 and abs(rate - float(near)) <= 0.005 * rate:  # (time stamps in whole ms)
        return near
    return Fraction(rate).limit_denominator(1001)


@dataclass
class VideoInfo:
    """Cheap metadata from probe(); width/height are after rotation."""

    path: Path
    width: int
    height: int
    frames: int  # exact for mp4/mov/gif/images, estimated from the duration otherwise
    fps: Fraction
    duration: float  # seconds
    has_audio: bool = False
    codec: str = ""
    rotation: int = 0  # counter-clockwise degrees applied when reading (0, 90, 180, 270)
    kind: str = "video"  # "video" | "image" | "images"
    frames_exact: bool = True
    variable_rate: bool = False  # frames unevenly spaced in time; read at an even `fps`
    alpha: bool = False  # has transparency, which reading drops
    pixel_aspect: Fraction = Fraction(1)  # of the file's pixels; width is the square-pixel one
    mirrored: bool = False  # shown mirrored left to right before `rotation` (display matrix)


def scaled_size(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """(h, w) with the longest side at most max_side, aspect kept, both >= 1."""
    longest = max(height, width)
    if max_side is None or longest <= max_side:
        return height, width
    f = max_side / longest
    return max(1, round(height * f)), max(1, round(width * f))


def max_side_hint(
    height: int, width: int, frames: int, max_pixels: int, max_voxels: int,
    free_bytes: int | None = None,
) -> int | None:
    """Largest --max-side that brings a clip under both caps (and, given free_bytes, whose
    run at the clip's own size fits in that memory); None when nothing fits."""
    longest = max(height, width)

    def fits(side: int) -> bool:
        h, w = scaled_size(height, width, side)
        if free_bytes is not None:
            shape = (max(frames, 1), h, w)
            if estimated_peak_bytes(shape, shape) > free_bytes:
                return False
        return h * w <= max_pixels and max(frames, 1) * h * w <= max_voxels

    if not fits(1):
        return None
    lo, hi = 1, longest  # scaled area never shrinks as the side grows, so bisect
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def normalize_rotation(degrees: float | int | None) -> int:
    """Counter-clockwise rotation snapped to 0/90/180/270 (odd angles are not supported)."""
    if degrees is None or (isinstance(degrees, float) and math.isnan(degrees)):
        return 0
    return int(round(float(degrees) / 90.0)) % 4 * 90


# How a decoded picture becomes the one shown: (transpose, flip rows, flip columns), in
# that order. Turns alone (counter-clockwise degrees), then a mirror followed by each turn.
Orientation = tuple[bool, bool, bool]
_TURNS: dict[int, Orientation] = {0: (False, False, False), 90: (True, True, False),
                                  180: (False, True, True), 270: (True, False, True)}
_MIRRORED: dict[int, Orientation] = {0: (False, False, True), 90: (True, False, False),
                                     180: (False, True, False), 270: (True, True, True)}


def orientation(display: list[int] | None, rotation: float | int | None = 0) -> Orientation:
    """The orientation a file's display matrix asks for: `display` is its a, b, c, d (a
    source point (p, q) is shown at (a p + c q, b p + d q), plus an offset; FFmpeg's
    libavutil/display.h). A mirror (a negative determinant: a front camera's flag, EXIF
    orientations 2, 4, 5 and 7) is no turn: PyAV's `rotation` alone read those upside
    down. Without a matrix, a counter-clockwise `rotation`."""
    if not display or len(display) != 4:
        return _TURNS[normalize_rotation(rotation)]
    a, b, c, d = (float(v) for v in display)
    if abs(a) + abs(d) >= abs(b) + abs(c):
        return False, d < 0, a < 0
    return True, b < 0, c < 0


def turn_of(ops: Orientation) -> tuple[int, bool]:
    """(counter-clockwise degrees, mirrored first) of an orientation, for what is said."""
    for mirrored, table in ((False, _TURNS), (True, _MIRRORED)):
        for degrees, known in table.items():
            if known == ops:
                return degrees, mirrored
    raise ValueError(f"not an orientation: {ops}")


def orient_frame(image: np.ndarray, ops: Orientation) -> np.ndarray:
    """An (H, W, C) picture as shown (`orientation`)."""
    transpose, rows, cols = ops
    if not (transpose or rows or cols):
        return image
    if transpose:
        image = image.transpose(1, 0, 2)
    if rows:
        image = image[::-1]
    if cols:
        image = image[:, ::-1]
    return np.ascontiguousarray(image)


def rotate_frame(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn an (H, W, C) image counter-clockwise by a multiple of 90 degrees for display."""
    k = normalize_rotation(degrees) // 90
    if k == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=k, axes=(0, 1)))


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key so frame2.png comes before frame10.png."""
    parts = _DIGITS.split(name.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def pixel_count(pixels: int) -> str:
    """Human-sized pixel counts for messages: "8.3 million pixels", "1,000 pixels"."""
    if pixels >= 1_000_000:
        return f"{pixels / 1e6:.1f} million pixels"
    return f"{pixels:,} pixels"
