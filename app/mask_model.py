"""The mask layer of the Inpaint task: hole coverage and hint colours for every frame.

Painted with strokes and edited with clear / invert / grow / shrink. Undo keeps history
atoms (boxes + the old values under them): one atom per stroke or edit, in a byte budget.
The model knows nothing about widgets; views subscribe to its signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from os import PathLike

import numpy as np
from PySide6.QtCore import QObject, Signal

from app import mask_io

HOLE = 128  # coverage at or above this is hole (soft brush edges fade below it)
TILE = 64  # a stroke saves old values tile by tile, the first time it reaches a tile
UNDO_BUDGET = 256 * 2**20  # bytes over all undo + redo atoms; the oldest go first
KINDS = ("remove", "hint", "erase")
SCOPES = ("frame", "range", "all")


@dataclass(frozen=True)
class MaskChange:
    """What changed: frames [start, stop), and the (y0, y1, x0, x1) box or None = whole."""

    start: int
    stop: int
    box: tuple[int, int, int, int] | None = None


@dataclass
class _Patch:
    """Values to put back in mask[frames, ys, xs] (hints None = all zero there)."""

    frames: slice
    ys: slice
    xs: slice
    mask: np.ndarray
    hints: np.ndarray | None

    @property
    def nbytes(self) -> int:
        return self.mask.nbytes + (0 if self.hints is None else self.hints.nbytes)


@dataclass
class _Atom:
    label: str
    patches: list[_Patch]

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)


@dataclass
class _Stroke:
    frames: slice
    kind: str
    radius: float
    hardness: float
    color: np.ndarray  # (3,) uint8
    last: tuple[float, float] | None = None
    saved: dict | None = None  # (tile_y, tile_x) -> _Patch


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


def _box(changed: np.ndarray) -> tuple[slice, slice, slice] | None:
    """The (t, y, x) bounding box of True values."""
    if not changed.any():
        return None
    box = []
    for axis in range(3):
        idx = np.flatnonzero(changed.any(axis=tuple(a for a in range(3) if a != axis)))
        box.append(slice(int(idx[0]), int(idx[-1]) + 1))
    return tuple(box)  # type: ignore[return-value]


def _rgb(color) -> np.ndarray:
    """(r, g, b) from a tuple or anything with getRgb() (QColor)."""
    rgb = color.getRgb()[:3] if hasattr(color, "getRgb") else tuple(color)[:3]
    return np.array(rgb, dtype=np.uint8)


class MaskModel(QObject):
    """mask (T, H, W) uint8 coverage (>= HOLE is hole) and hints (T, H, W, 4) RGBA (alpha > 0
    where a hint colour is painted; hint pixels are hole pixels too)."""

    changed = Signal(object)  # MaskChange
    maskedFramesChanged = Signal(object)  # (T,) bool, sent only when it differs
    historyChanged = Signal()

    def __init__(self, shape: tuple[int, int, int], budget: int = UNDO_BUDGET,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.budget = budget
        self.reset(shape)

    # --- state -------------------------------------------------------------------------
    def reset(self, shape: tuple[int, int, int]) -> None:
        """An empty mask for a clip of (T, H, W); the history is dropped."""
        t, h, w = (int(s) for s in shape)
        if min(t, h, w) < 1:
            raise ValueError(f"mask shape must be positive, got {shape}")
        self.shape = (t, h, w)
        self.mask = np.zeros((t, h, w), np.uint8)
        self.hints = np.zeros((t, h, w, 4), np.uint8)
        self._masked = np.zeros(t, bool)
        self._undo: list[_Atom] = []
        self._redo: list[_Atom] = []
        self._stroke: _Stroke | None = None
        self.changed.emit(MaskChange(0, t))
        self.maskedFramesChanged.emit(self._masked.copy())
        self.historyChanged.emit()

    def frames_for(self, scope: str, frame: int = 0,
                   in_out: tuple[int, int] | None = None) -> slice:
        """The frames a scope covers: this frame, the in/out range (inclusive) or all."""
        t = self.shape[0]
        if scope == "frame":
            f = min(max(int(frame), 0), t - 1)
            return slice(f, f + 1)
        if scope == "range" and in_out is not None:
            a, b = sorted(min(max(int(v), 0), t - 1) for v in in_out)
            return slice(a, b + 1)
        if scope in ("range", "all"):
            return slice(0, t)
        raise ValueError(f"unknown scope {scope!r}; use one of {SCOPES}")

    def hole(self, frame: int) -> np.ndarray:
        return self.mask[frame] >= HOLE

    def masked_frames(self) -> np.ndarray:
        """(T,) bool: frames with any hole (for the timeline's marks)."""
        return self._masked.copy()

    def is_empty(self) -> bool:
        return not self._masked.any()

    def as_request_arrays(self, in_out: tuple[int, int] | None = None
                          ) -> tuple[np.ndarray, np.ndarray | None]:
        """(mask (T, H, W) bool, hints (T, H, W, 4) uint8 or None) for Request(task="inpaint"),
        fresh arrays (safe to hand to a worker). in_out (inclusive) keeps only those frames,
        to match a request made from the in/out range. Hints are opaque where painted inside
        the hole and zero elsewhere."""
        fs = self.frames_for("range" if in_out is not None else "all", 0, in_out)
        hole = self.mask[fs] >= HOLE
        src = self.hints[fs]
        painted = hole & (src[..., 3] >= HOLE)
        if not painted.any():
            return hole, None
        hints = np.zeros_like(src)
        hints[painted, :3] = src[painted, :3]
        hints[painted, 3] = 255
        return hole, hints

    # --- strokes -----------------------------------------------------------------------
    def begin_stroke(self, frame: int, kind: str = "remove", radius: float = 10,
                     hardness: float = 1.0, color=(0, 0, 0), scope: str = "frame",
                     in_out: tuple[int, int] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown brush kind {kind!r}; use one of {KINDS}")
        if self._stroke is not None:
            self.end_stroke()
        self._stroke = _Stroke(self.frames_for(scope, frame, in_out), kind, max(0.5, radius),
                               min(max(hardness, 0.0), 1.0), _rgb(color), saved={})

    def stroke_to(self, x: float, y: float) -> None:
        """Paint from the previous point of the stroke (or a dab at the first)."""
        st = self._stroke
        if st is None:
            raise RuntimeError("stroke_to() outside begin_stroke() / end_stroke()")
        p0, st.last = st.last or (x, y), (x, y)
        hit = segment_coverage(self.shape[1:], p0, (x, y), st.radius, st.hardness)
        if hit is None:
            return
        (ys, xs), a = hit
        self._save_tiles(st, ys, xs)
        fs = st.frames
        m = self.mask[fs, ys, xs]  # a view: writes land in the model
        if st.kind == "erase":
            np.minimum(m, 255 - a, out=m)
        else:
            np.maximum(m, a, out=m)
        hv = self.hints[fs, ys, xs]
        if st.kind == "hint":
            alpha = hv[..., 3]
            take = (a > 0) & (a >= alpha)  # the stronger paint sets the colour
            hv[..., :3] = np.where(take[..., None], st.color, hv[..., :3])
            hv[..., 3] = np.where(take, a, alpha)
        elif hv[..., 3].any():  # remove / erase take hint colour away under the brush
            np.minimum(hv[..., 3], 255 - a, out=hv[..., 3])
            hv[hv[..., 3] == 0] = 0
        if st.kind != "erase" and a.max() >= HOLE:
            self._set_masked(fs, True)
        self.changed.emit(MaskChange(fs.start, fs.stop, (ys.start, ys.stop, xs.start, xs.stop)))

    def end_stroke(self) -> None:
        """Close the stroke: one history atom with the tiles it changed."""
        st, self._stroke = self._stroke, None
        if st is None:
            return
        patches = [p for p in st.saved.values()
                   if not (np.array_equal(p.mask, self.mask[p.frames, p.ys, p.xs])
                           and self._hints_equal(p))]
        if st.kind == "erase":
            self._refresh_masked(st.frames)
        if patches:
            self._push(_Atom(st.kind, patches))

    def _save_tiles(self, st: _Stroke, ys: slice, xs: slice) -> None:
        h, w = self.shape[1:]
        for ty in range(ys.start // TILE, (ys.stop - 1) // TILE + 1):
            for tx in range(xs.start // TILE, (xs.stop - 1) // TILE + 1):
                if (ty, tx) not in st.saved:
                    tys = slice(ty * TILE, min(h, ty * TILE + TILE))
                    txs = slice(tx * TILE, min(w, tx * TILE + TILE))
                    st.saved[ty, tx] = self._patch(st.frames, tys, txs)

    def _patch(self, fs: slice, ys: slice, xs: slice) -> _Patch:
        hints = self.hints[fs, ys, xs]
        return _Patch(fs, ys, xs, self.mask[fs, ys, xs].copy(),
                      hints.copy() if hints.any() else None)

    def _hints_equal(self, p: _Patch) -> bool:
        now = self.hints[p.frames, p.ys, p.xs]
        return not now.any() if p.hints is None else np.array_equal(p.hints, now)

    # --- whole-frame edits (each one undo step) ----------------------------------------
    def clear(self, scope: str = "all", frame: int = 0,
              in_out: tuple[int, int] | None = None) -> bool:
        fs = self.frames_for(scope, frame, in_out)
        return self._commit("clear", fs, np.zeros_like(self.mask[fs]),
                            np.zeros_like(self.hints[fs]))

    def invert(self, scope: str = "all", frame: int = 0,
               in_out: tuple[int, int] | None = None) -> bool:
        """Hole becomes keep and back; hint colours go (their pixels stop being hole)."""
        fs = self.frames_for(scope, frame, in_out)
        return self._commit("invert", fs, 255 - self.mask[fs], np.zeros_like(self.hints[fs]))

    def grow(self, pixels: int, scope: str = "all", frame: int = 0,
             in_out: tuple[int, int] | None = None) -> bool:
        """Dilate the hole by a disc; hint colours spread into the new ring."""
        if pixels < 0:
            return self.shrink(-pixels, scope, frame, in_out)
        fs = self.frames_for(scope, frame, in_out)
        new_mask, new_hints = self.mask[fs].copy(), self.hints[fs].copy()
        box = self._near_hole(fs, pixels)
        if box is None:
            return False
        mask, hints = new_mask[box], new_hints[box]  # views into the copies
        hole = mask >= HOLE
        grown = dilate_disc(hole, pixels)
        if hints[..., 3].any():
            # RGBA as one uint32 (alpha in the top byte): a max picks the strongest colour.
            packed = dilate_disc(np.ascontiguousarray(hints).view(np.uint32)[..., 0], pixels)
            ring = grown & ~hole
            hints[...] = np.where(ring[..., None], packed[..., None].view(np.uint8), hints)
            hints[ring & (hints[..., 3] > 0), 3] = 255  # the ring is full hole: opaque hint
        np.maximum(mask, grown.astype(np.uint8) * 255, out=mask)
        return self._commit("grow", fs, new_mask, new_hints)

    def shrink(self, pixels: int, scope: str = "all", frame: int = 0,
               in_out: tuple[int, int] | None = None) -> bool:
        """Erode the hole by a disc (the frame border does not eat into a hole touching it)."""
        if pixels < 0:
            return self.grow(-pixels, scope, frame, in_out)
        fs = self.frames_for(scope, frame, in_out)
        new_mask, new_hints = self.mask[fs].copy(), self.hints[fs].copy()
        box = self._near_hole(fs, pixels + 1)
        if box is None:
            return False
        mask, hints = new_mask[box], new_hints[box]
        gone = dilate_disc(mask < HOLE, pixels)
        mask[gone] = 0
        hints[gone] = 0
        return self._commit("shrink", fs, new_mask, new_hints)

    def _near_hole(self, fs: slice, pad: int) -> tuple[slice, slice, slice] | None:
        """The (t, y, x) box of the hole in frames fs, grown by pad px (morphology runs only
        there, so a small mask on a long clip stays fast)."""
        box = _box(self.mask[fs] >= HOLE)
        if box is None:
            return None
        bt, ys, xs = box
        h, w = self.shape[1:]
        return (bt, slice(max(0, ys.start - pad), min(h, ys.stop + pad)),
                slice(max(0, xs.start - pad), min(w, xs.stop + pad)))

    def set_arrays(self, mask: np.ndarray, hints: np.ndarray | None = None,
                   label: str = "import") -> bool:
        """Replace the whole layer (one undo step). hints are kept only inside the hole."""
        if mask.shape != self.shape:
            raise ValueError(f"mask shape {mask.shape} does not match the clip {self.shape}")
        mask = mask.astype(np.uint8) * 255 if mask.dtype == bool else mask.astype(np.uint8)
        new_hints = np.zeros_like(self.hints) if hints is None else hints.astype(np.uint8)
        mask = np.maximum(mask, new_hints[..., 3])  # a hint colour is a hole
        return self._commit(label, slice(0, self.shape[0]), mask, new_hints)

    def import_png(self, path: str | PathLike[str],
                   hints_path: str | PathLike[str] | None = None) -> bool:
        """Numbered PNG frames (white = hole), an image or a video; hints: RGB, black = none."""
        mask = mask_io.load_mask(path, self.shape)
        hints = mask_io.load_hints(hints_path, self.shape) if hints_path else None
        return self.set_arrays(mask, hints)

    def export_png(self, folder: str | PathLike[str], hints_folder=None) -> list:
        """Write the hole as numbered PNGs (white = hole); hint colours, when any, go to
        hints_folder (default: "<folder>_hints" beside it). Returns the folders written."""
        mask, hints = self.as_request_arrays()
        return mask_io.save_png(mask, hints, folder, hints_folder)

    def _commit(self, label: str, fs: slice, mask: np.ndarray,
                hints: np.ndarray | None) -> bool:
        """Write new values for frames fs, keeping only the changed box as the atom."""
        changed = mask != self.mask[fs]
        if hints is not None:
            changed |= (hints != self.hints[fs]).any(axis=-1)
        box = _box(changed)
        if box is None:
            return False
        bt, ys, xs = box
        ft = slice(fs.start + bt.start, fs.start + bt.stop)
        patch = self._patch(ft, ys, xs)
        self.mask[ft, ys, xs] = mask[bt, ys, xs]
        if hints is not None:
            self.hints[ft, ys, xs] = hints[bt, ys, xs]
        self._push(_Atom(label, [patch]))
        self._refresh_masked(ft)
        self.changed.emit(MaskChange(ft.start, ft.stop, (ys.start, ys.stop, xs.start, xs.stop)))
        return True

    # --- history -----------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    def history_bytes(self) -> int:
        return sum(a.nbytes for a in self._undo + self._redo)

    def undo(self) -> bool:
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        return self._step(self._redo, self._undo)

    def _step(self, source: list[_Atom], target: list[_Atom]) -> bool:
        if self._stroke is not None:
            self.end_stroke()
        if not source:
            return False
        atom = source.pop()
        target.append(self._swap(atom))
        first = min(p.frames.start for p in atom.patches)
        last = max(p.frames.stop for p in atom.patches)
        self._refresh_masked(slice(first, last))
        self.changed.emit(MaskChange(first, last))
        self.historyChanged.emit()
        return True

    def _swap(self, atom: _Atom) -> _Atom:
        """Put an atom's values back; returns the atom that undoes that."""
        inverse = []
        for p in atom.patches:
            inverse.append(self._patch(p.frames, p.ys, p.xs))
            self.mask[p.frames, p.ys, p.xs] = p.mask
            self.hints[p.frames, p.ys, p.xs] = 0 if p.hints is None else p.hints
        return _Atom(atom.label, inverse)

    def _push(self, atom: _Atom) -> None:
        self._redo.clear()
        self._undo.append(atom)
        total = self.history_bytes()
        while total > self.budget and len(self._undo) > 1:  # the newest step always stays
            total -= self._undo.pop(0).nbytes
        self.historyChanged.emit()

    # --- masked frames -----------------------------------------------------------------
    def _set_masked(self, fs: slice, value: bool) -> None:
        if not (self._masked[fs] == value).all():
            self._masked[fs] = value
            self.maskedFramesChanged.emit(self._masked.copy())

    def _refresh_masked(self, fs: slice) -> None:
        now = (self.mask[fs] >= HOLE).any(axis=(1, 2))
        if not np.array_equal(now, self._masked[fs]):
            self._masked[fs] = now
            self.maskedFramesChanged.emit(self._masked.copy())
