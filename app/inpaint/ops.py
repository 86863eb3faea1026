"""Pixel maths of the mask layer: the brush's coverage, disc dilation and bounding boxes.

Plain numpy on the model's arrays (brush painting and morphology, no Qt).
"""

from __future__ import annotations

import math
import mmap

import numpy as np

HOLE = 128  # coverage at or above this is hole (soft brush edges fade below it)
MAPPED_BYTES = 1 << 20  # zeros this large come from their own mapping (zeros())


def zeros(shape: tuple[int, ...], dtype) -> np.ndarray:
    """np.zeros whose pages are the system's, zero until written: nothing is cleared now and
    unpainted frames take no memory. The layers of a clip are mostly empty, and after the
    editor's first run glibc serves blocks up to 128 MB-1 GB from its heap (engine.heap),
    where calloc clears reused memory page by page: the two layer pairs of a 16-frame
    Full-HD clip (330 MB) took 30-40 ms on the GUI thread at every clip opened, and were
    made resident whether painted or not."""
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    if count * dtype.itemsize < MAPPED_BYTES:
        return np.zeros(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, count * dtype.itemsize), dtype, count).reshape(shape)


def segment_coverage(shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float],
                     radius: float, hardness: float):
    """Brush coverage of the capsule from p0 to p1 (x, y image coordinates; pixel centres at
    +0.5): ((ys, xs), (h, w) uint8 0..255) over its clipped box, or None when off the image.
    One capsule instead of spaced dabs, so a fast drag can never leave gaps."""
    (x0, y0), (x1, y1) = p0, p1
    pad = radius + 1.5
    ya, yb = max(0, math.floor(min(y0, y1) - pad)), min(shape[0], math.ceil(max(y0, y1) + pad))
    xa, xb = max(0, math.floor(min(x0, x1) - pad)), min(shape[1], math.ceil(max(x0, x1) + pad))
    if ya >= yb or xa >= xb:
        return None
    py = np.arange(ya, yb, dtype=np.float32)[:, None] + 0.5 - y0
    px = np.arange(xa, xb, dtype=np.float32)[None, :] + 0.5 - x0
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    t = np.clip((px * dx + py * dy) / length2, 0, 1) if length2 > 1e-9 else 0.0
    dist = np.hypot(px - t * dx, py - t * dy)
    soft = max(1.0, (1.0 - hardness) * radius)  # width of the fade; 1 px antialiasing at least
    cov = np.clip((radius + 0.5 - dist) / soft, 0.0, 1.0)
    return (slice(ya, yb), slice(xa, xb)), (cov * 255 + 0.5).astype(np.uint8)


def apply_dab(mask: np.ndarray, hints: np.ndarray, cover: np.ndarray, kind: str,
              color: np.ndarray) -> None:
    """Paint brush coverage (h, w) uint8 into (T, h, w) mask and (T, h, w, 4) hint views in
    place: "remove" and "hint" raise the coverage, "erase" lowers it; a hint sets its colour
    where it is the stronger paint, and the other kinds wipe hint colour under the brush."""
    if kind == "erase":
        np.minimum(mask, 255 - cover, out=mask)
    else:
        np.maximum(mask, cover, out=mask)
    if kind == "hint":
        alpha = hints[..., 3]
        take = (cover > 0) & (cover >= alpha)
        hints[..., :3] = np.where(take[..., None], color, hints[..., :3])
        hints[..., 3] = np.where(take, cover, alpha)
    elif hints[..., 3].any():
        np.minimum(hints[..., 3], 255 - cover, out=hints[..., 3])
        hints[hints[..., 3] == 0] = 0


def dilate_disc(a: np.ndarray, radius: int) -> np.ndarray:
    """Max of a (..., H, W) array over a disc of `radius` px (binary dilation for bools).
    Rows of the disc are horizontal runs: grow a horizontal max one px at a time and fold it
    in at the row offsets whose run has that half-width (about 4*radius array ops)."""
    out = a.copy()
    if radius <= 0:
        return out
    row = a.copy()
    # Offsets within radius + 0.5: a round disc without one-pixel spikes at its poles.
    limit = (radius + 0.5) ** 2
    half = [math.isqrt(int(limit - dy * dy)) for dy in range(radius + 1)]
    for w in range(radius + 1):
        if w:
            prev = row.copy()
            np.maximum(row[..., 1:], prev[..., :-1], out=row[..., 1:])
            np.maximum(row[..., :-1], prev[..., 1:], out=row[..., :-1])
        for dy in (d for d, hw in enumerate(half) if hw == w):
            if dy == 0:
                np.maximum(out, row, out=out)
            elif dy < a.shape[-2]:
                np.maximum(out[..., dy:, :], row[..., :-dy, :], out=out[..., dy:, :])
                np.maximum(out[..., :-dy, :], row[..., dy:, :], out=out[..., :-dy, :])
    return out


def true_box(layer: np.ndarray) -> tuple[slice, slice, slice] | None:
    """The (t, y, x) bounding box of the True (non-zero) values of a (T, H, W) array, or
    None; by max reductions, with no boolean copy of a numeric layer (a snapshot of a
    Full-HD clip's mask is scanned on the GUI thread)."""
    if layer.size == 0:
        return None
    frames = np.flatnonzero(layer.max(axis=(1, 2)))
    if not len(frames):
        return None
    plane = layer[frames[0] : frames[-1] + 1].max(axis=0)
    rows, cols = np.flatnonzero(plane.max(axis=1)), np.flatnonzero(plane.max(axis=0))
    return (slice(int(frames[0]), int(frames[-1]) + 1), slice(int(rows[0]), int(rows[-1]) + 1),
            slice(int(cols[0]), int(cols[-1]) + 1))


def grow_box(box: tuple[slice, slice, slice], pad: int,
             shape: tuple[int, int]) -> tuple[slice, slice, slice]:
    """A (t, y, x) box grown by pad px in y and x, clipped to shape (H, W)."""
    bt, ys, xs = box
    h, w = shape
    return (bt, slice(max(0, ys.start - pad), min(h, ys.stop + pad)),
            slice(max(0, xs.start - pad), min(w, xs.stop + pad)))


def rgb_of(color) -> np.ndarray:
    """(3,) uint8 (r, g, b) from a tuple or anything with getRgb() (QColor)."""
    rgb = color.getRgb()[:3] if hasattr(color, "getRgb") else tuple(color)[:3]
    return np.array(rgb, dtype=np.uint8)


def grow_layer(mask: np.ndarray, hints: np.ndarray, pixels: int) -> None:
    """Dilate the hole of (T, H, W) coverage in place by a disc; hint colours (T, H, W, 4)
    spread into the new ring."""
    hole = mask >= HOLE
    grown = dilate_disc(hole, pixels)
    if hints[..., 3].any():
        # RGBA as one uint32 (alpha in the top byte): a max picks the strongest colour.
        packed = dilate_disc(np.ascontiguousarray(hints).view(np.uint32)[..., 0], pixels)
        ring = grown & ~hole
        hints[...] = np.where(ring[..., None], packed[..., None].view(np.uint8), hints)
        hints[ring & (hints[..., 3] > 0), 3] = 255  # the ring is full hole: opaque hint
    np.maximum(mask, grown.astype(np.uint8) * 255, out=mask)


def shrink_layer(mask: np.ndarray, hints: np.ndarray, pixels: int) -> None:
    """Erode the hole in place by a disc (with its hint colours)."""
    gone = dilate_disc(mask < HOLE, pixels)
    mask[gone] = 0
    hints[gone] = 0
