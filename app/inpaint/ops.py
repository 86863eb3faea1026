"""Pixel maths of the mask layer: the brush's coverage, disc dilation and bounding boxes.

numpy on the model's arrays, and OpenCV for the per-frame morphology and scans of a Grow or
Shrink (no Qt).
"""

from __future__ import annotations

import functools
import math
import mmap

import cv2
import numpy as np

HOLE = 128  # coverage at or above this is hole (soft edges fade below it): a byte's top bit
MAPPED_BYTES = 1 << 20  # zeros this large come from their own mapping (zeros())
# Up to this radius OpenCV's filter with the disc as its kernel is the fastest dilation;
# its cost grows with the disc's area (see _disc_plane).
CV_DISC_MAX = 3


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


def apply_dab(mask: np.ndarray, hints: np.ndarray | None, cover: np.ndarray, kind: str,
              color: np.ndarray) -> None:
    """Paint brush coverage (h, w) uint8 into (T, h, w) mask and (T, h, w, 4) hint views in
    place: "remove" and "hint" raise the coverage, "erase" lowers it; a hint sets its colour
    where it is the stronger paint, and the other kinds wipe hint colour under the brush
    (hints None: the caller wipes them, where there are any: wipe_hints)."""
    if kind == "erase":
        np.minimum(mask, 255 - cover, out=mask)
    else:
        np.maximum(mask, cover, out=mask)
    if hints is None:
        return
    if kind == "hint":
        alpha = hints[..., 3]
        take = (cover > 0) & (cover >= alpha)
        hints[..., :3] = np.where(take[..., None], color, hints[..., :3])
        hints[..., 3] = np.where(take, cover, alpha)
    else:
        wipe_hints(hints, cover)


def wipe_hints(hints: np.ndarray, cover: np.ndarray) -> None:
    """Lower hint colour's alpha under brush coverage (h, w) in a (T, h, w, 4) view, in
    place; a pixel left with none is zero. Only pixels with a colour are written: a
    400 px brush over all 64 frames of a Full-HD clip wrote every pixel of its box (and so
    took every page of it), 0.3-1.3 s a mouse move."""
    alpha = hints[..., 3]
    lit = alpha > 0
    if not lit.any():
        return
    lowered = np.minimum(alpha, 255 - cover)
    alpha[lit] = lowered[lit]
    hints[lit & (lowered == 0)] = 0


def disc_half_widths(radius: int) -> list[int]:
    """Half-width of each row dy = 0..radius of the disc: the offsets within radius + 0.5
    (dx² + dy² <= r² + r), a round disc without one-pixel spikes at its poles."""
    limit = radius * radius + radius
    return [math.isqrt(limit - dy * dy) for dy in range(radius + 1)]


@functools.cache
def disc_kernel(radius: int) -> np.ndarray:
    """The disc of disc_half_widths as a (2r+1, 2r+1) uint8 kernel for OpenCV (read-only)."""
    kernel = np.zeros((2 * radius + 1, 2 * radius + 1), np.uint8)
    for dy, hw in enumerate(disc_half_widths(radius)):
        kernel[radius + dy, radius - hw : radius + hw + 1] = 1
        kernel[radius - dy, radius - hw : radius + hw + 1] = 1
    kernel.flags.writeable = False
    return kernel


def dilate_disc(a: np.ndarray, radius: int) -> np.ndarray:
    """Max of a (..., H, W) array over a disc of `radius` px (binary dilation for bools);
    outside the array counts for nothing. OpenCV plane by plane for bytes, else the rows'
    max."""
    if radius > 0 and a.dtype in (np.bool_, np.uint8) and a.ndim >= 2:
        src = a.view(np.uint8)
        out = np.empty(a.shape, np.uint8)
        for i in np.ndindex(a.shape[:-2]):
            out[i] = dilate_plane(src[i], radius)
        return out.view(a.dtype)
    return _dilate_rows(a, radius)


def dilate_plane(plane: np.ndarray, radius: int) -> np.ndarray:
    """dilate_disc of one (H, W) uint8 plane: a new C-contiguous array."""
    return _disc_plane(plane, radius, cv2.dilate, np.maximum)


def erode_plane(plane: np.ndarray, radius: int) -> np.ndarray:
    """The min of one (H, W) uint8 plane over the disc, a new array (outside the plane
    counts for nothing: the frame's edge does not eat into a hole touching it)."""
    return _disc_plane(plane, radius, cv2.erode, np.minimum)


def _disc_plane(plane: np.ndarray, radius: int, morph, fold) -> np.ndarray:
    """morph (cv2.dilate or cv2.erode, whose default border takes no part) of a uint8
    plane by the disc, with fold (np.maximum or np.minimum) its pointwise op.

    Small discs go to OpenCV as they are; larger ones as a union of rectangles, one per
    run of rows with the same half-width: the widening rows one 1-row filter after another,
    the tallest rectangle's rows in one 1-column filter and the few rows above it one fold
    each (OpenCV's cost grows with the kernel's area: 0.23 ms against 0.19 ms at 4 px on a
    400x800 box, 0.7 against 0.35 at 8 px; the numpy rows took 0.35 and 0.7)."""
    if plane.strides[-1] != 1:
        plane = np.ascontiguousarray(plane)
    if radius <= 0:
        return plane.copy()
    if radius <= CV_DISC_MAX:
        return morph(plane, disc_kernel(radius))
    half = disc_half_widths(radius)
    # (half-width, last row offset) of each run of rows, widest (and shortest) first
    runs = [(hw, dy) for dy, hw in enumerate(half) if dy == radius or half[dy + 1] != hw]
    rows, width = [], 0  # the plane's rows widened to each run's half-width, narrowest first
    for hw, _ in reversed(runs):
        src = rows[-1] if rows else plane
        rows.append(morph(src, np.ones((1, 2 * (hw - width) + 1), np.uint8))
                    if hw > width else src)
        width = hw
    rows.reverse()
    hw, tall = runs[0]
    out = morph(rows[0], np.ones((2 * tall + 1, 1), np.uint8)) if tall else rows[0].copy()
    for run, (_, last) in zip(rows[1:], runs[1:], strict=True):
        for dy in range(tall + 1, last + 1):
            fold(out[dy:], run[:-dy], out=out[dy:])
            fold(out[:-dy], run[dy:], out=out[:-dy])
        tall = last
    return out


def _dilate_rows(a: np.ndarray, radius: int) -> np.ndarray:
    """dilate_disc by numpy: rows of the disc are horizontal runs, so grow a horizontal max
    one px at a time and fold it in at the row offsets whose run has that half-width (about
    4*radius array ops, whatever the disc's area)."""
    out = a.copy()
    if radius <= 0:
        return out
    row = a.copy()
    half = disc_half_widths(radius)
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


def true_box(layer: np.ndarray, at_least: int = 1) -> tuple[slice, slice, slice] | None:
    """The (t, y, x) bounding box of the values >= at_least (default: the True, non-zero
    ones) of a (T, H, W) array, or None; by max reductions, with no boolean copy of a
    numeric layer (a snapshot of a Full-HD clip's mask is scanned on the GUI thread)."""
    return _box(layer, np.max, cv2.REDUCE_MAX, lambda r: r >= at_least)


def box_below(layer: np.ndarray, limit: int) -> tuple[slice, slice, slice] | None:
    """The (t, y, x) bounding box of the values < limit of a (T, H, W) array, or None (by
    min reductions, as true_box)."""
    return _box(layer, np.min, cv2.REDUCE_MIN, lambda r: r < limit)


def _box(layer: np.ndarray, reduce, cv_reduce: int, test) -> tuple[slice, slice, slice] | None:
    if layer.size == 0:
        return None
    if len(layer) == 1:  # one frame (edits go frame by frame): no pass for the frames
        first = last = 0
        plane = layer[0]
    else:
        frames = np.flatnonzero(test(reduce(layer, axis=(1, 2))))
        if not len(frames):
            return None
        first, last = int(frames[0]), int(frames[-1])
        plane = layer[first] if first == last else reduce(layer[first : last + 1], axis=0)
    rows = np.flatnonzero(test(_reduce_rows(plane, reduce, cv_reduce)))
    if not len(rows):
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(test(reduce(plane[y0:y1], axis=0)))  # the other rows fail the test
    return slice(first, last + 1), slice(y0, y1), slice(int(cols[0]), int(cols[-1]) + 1)


def _reduce_rows(plane: np.ndarray, reduce, cv_reduce: int) -> np.ndarray:
    """reduce(plane, axis=1): by OpenCV for bytes (3x faster than numpy's along rows, the
    one full pass over a frame that a Grow or Shrink after an Invert makes)."""
    if plane.dtype in (np.bool_, np.uint8) and plane.strides[-1] == 1:
        return cv2.reduce(plane.view(np.uint8), 1, cv_reduce)[:, 0]
    return reduce(plane, axis=1)


def true_box_outside(layer: np.ndarray,
                     inner: tuple[slice, slice, slice]) -> tuple[slice, slice, slice] | None:
    """true_box(layer) of the values outside the (t, y, x) box inner alone (explicit
    starts and stops inside the layer), from the slabs around it (views: no copy)."""
    it, iy, ix = inner
    slabs = ((slice(0, it.start), slice(None), slice(None)),
             (slice(it.stop, None), slice(None), slice(None)),
             (it, slice(0, iy.start), slice(None)), (it, slice(iy.stop, None), slice(None)),
             (it, iy, slice(0, ix.start)), (it, iy, slice(ix.stop, None)))
    found = []
    for slab in slabs:
        box = true_box(layer[slab])
        if box is not None:
            starts = [s.indices(n)[0] for s, n in zip(slab, layer.shape, strict=True)]
            found.append(tuple(slice(a + b.start, a + b.stop)
                               for a, b in zip(starts, box, strict=True)))
    return union_box(*found)


def union_box(*boxes: tuple[slice, ...] | None) -> tuple[slice, ...] | None:
    """The box around the given boxes (None ones left out; None when all are)."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return tuple(slice(min(b[i].start for b in boxes), max(b[i].stop for b in boxes))
                 for i in range(len(boxes[0])))


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


def dilate_disc_in(a: np.ndarray, radius: int, ys: slice, xs: slice,
                   where=None) -> np.ndarray:
    """dilate_disc(a, radius)[..., ys, xs] for a (T, H, W) bool or unsigned array (where:
    a function making the bool array to dilate of a's values, e.g. lambda v: v >= HOLE),
    worked out from the part of `a` it depends on alone and only near its non-zero values:
    after an Invert the hole is the whole frame, and what a Grow changes is a ring around
    the small part kept, which alone is dilated."""
    h, w = a.shape[-2:]
    # the input the box depends on, and the non-zero part of it
    sy = slice(max(0, ys.start - radius), min(h, ys.stop + radius))
    sx = slice(max(0, xs.start - radius), min(w, xs.stop + radius))
    src = a[..., sy, sx] if where is None else where(a[..., sy, sx])
    out = np.zeros((*a.shape[:-2], ys.stop - ys.start, xs.stop - xs.start), src.dtype)
    found = true_box(src)
    if found is None:
        return out
    _, ny, nx = found
    ny, nx = slice(sy.start + ny.start, sy.start + ny.stop), \
        slice(sx.start + nx.start, sx.start + nx.stop)
    # where the result may be non-zero inside the box, and the input that decides it there
    # (zeros outside ny, nx: leaving them out does not change a max)
    y0, y1 = max(ys.start, ny.start - radius), min(ys.stop, ny.stop + radius)
    x0, x1 = max(xs.start, nx.start - radius), min(xs.stop, nx.stop + radius)
    if y0 >= y1 or x0 >= x1:
        return out
    cy0, cy1 = min(y0, max(y0 - radius, ny.start)), max(y1, min(y1 + radius, ny.stop))
    cx0, cx1 = min(x0, max(x0 - radius, nx.start)), max(x1, min(x1 + radius, nx.stop))
    near = dilate_disc(src[..., cy0 - sy.start : cy1 - sy.start, cx0 - sx.start : cx1 - sx.start],
                       radius)
    out[..., y0 - ys.start : y1 - ys.start, x0 - xs.start : x1 - xs.start] = \
        near[..., y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0]
    return out


def rgba_words(hints: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 RGBA as (...) uint32 words, one per pixel (alpha in the top byte on
    little-endian machines; a view where it can be)."""
    return np.ascontiguousarray(hints).view(np.uint32)[..., 0]


def _hole_plane(plane: np.ndarray) -> np.ndarray:
    """255 where the (H, W) coverage is hole (>= HOLE), 0 elsewhere: a new array."""
    return cv2.threshold(plane, HOLE - 1, 255, cv2.THRESH_BINARY)[1]


def grow_layer(mask: np.ndarray, hints: np.ndarray | None, pixels: int,
               hints_at: tuple[slice, slice] | None = None) -> None:
    """Dilate the hole of (T, H, W) coverage in place by a disc (the hole then full: 255);
    hint colours spread into the new ring. hints: (T, h, w, 4), those of mask[:, hints_at]
    (hints_at None: the whole mask), which holds every hint colour grown by `pixels` (where
    they can spread); None: no hint colour at all. Plane by plane with OpenCV: the hole's
    bytes, their dilation and a max (the numpy disc took 60% of a Grow after an Invert)."""
    hy, hx = hints_at or (slice(0, mask.shape[1]), slice(0, mask.shape[2]))
    spread = hints is not None and bool(hints[..., 3].any())
    for t in range(len(mask)):
        plane = mask[t]
        hole = _hole_plane(plane)
        grown = dilate_plane(hole, pixels)  # 0 or 255
        if spread:
            ring = grown[hy, hx] > hole[hy, hx]  # the new hole pixels that hints cover
            found = true_box(ring[None])
            if found is not None:
                _, ry, rx = found
                # RGBA as one uint32 (alpha in the top byte): a max picks the strongest.
                packed = dilate_disc_in(rgba_words(hints[t : t + 1]), pixels, ry, rx)[0]
                new = ring[ry, rx]
                inside = hints[t, ry, rx]  # a view: the writes land in hints
                np.copyto(inside, packed[..., None].view(np.uint8), where=new[..., None])
                inside[new & (inside[..., 3] > 0), 3] = 255  # the ring is full hole: opaque
        np.maximum(plane, grown, out=plane)


def shrink_layer(mask: np.ndarray, hints: np.ndarray | None, pixels: int,
                 hints_at: tuple[slice, slice] | None = None) -> None:
    """Erode the hole in place by a disc, the pixels kept then all 0, with their hint
    colours (hints: those of mask[:, hints_at], which holds every hint colour; None: no
    hint colour at all). Plane by plane with OpenCV: the hole's bytes eroded (255 where
    the hole stays) and-ed into the coverage, and into the hints."""
    ry, rx = hints_at or (slice(0, mask.shape[1]), slice(0, mask.shape[2]))
    for t in range(len(mask)):
        plane = mask[t]
        stays = erode_plane(_hole_plane(plane), pixels)  # 0 or 255
        if hints is not None:
            np.bitwise_and(hints[t], stays[ry, rx, None], out=hints[t])
        np.bitwise_and(plane, stays, out=plane)


def overlap(a: slice, b: slice) -> slice | None:
    """The common part of two slices (explicit starts and stops), or None."""
    start, stop = max(a.start, b.start), min(a.stop, b.stop)
    return slice(start, stop) if start < stop else None
