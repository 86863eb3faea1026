"""Undo history of the mask layer as history atoms: boxes of old values, one atom per stroke
or edit, kept within a byte budget (the oldest atoms go first)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.inpaint.ops import overlap


@dataclass
class Patch:
    """Values to put back in mask[frames, ys, xs] and hints there (mask None = the mask is
    not part of the patch, left as it is; hints None = all zero there, or with_hints False
    = the hints are not part of it). An edit keeps the mask's changed box apart from the
    hint colours' (usually far smaller), so neither copies the other's box."""

    frames: slice
    ys: slice
    xs: slice
    mask: np.ndarray | None
    hints: np.ndarray | None
    with_hints: bool = True
    # The mask is all 0 in the box whenever the patch is put back (a Clear's undo): what
    # undoes that is a Zero, which stores nothing (a copy of zeros, the whole clip's mask
    # after an Invert, took 300-500 ms of the GUI thread for 120 Full-HD frames).
    cleared: bool = False

    @property
    def nbytes(self) -> int:
        return sum(0 if a is None else a.nbytes for a in (self.mask, self.hints))


@dataclass
class Flip:
    """The mask inverted in a box (255 - value; the hints left as they are): what undoes an
    Invert and what redoes it, its own inverse, so it stores nothing. A copy of the old
    values was the whole clip's mask (33 MB for 16 Full-HD frames) on the GUI thread."""

    frames: slice
    ys: slice
    xs: slice
    hints = None  # read as a Patch's: no hint colours to put back
    nbytes = 0

    def apply(self, mask: np.ndarray) -> None:
        """Invert in place, a frame at a time (no temporary of the clip's size)."""
        for f in range(*self.frames.indices(len(mask))[:2]):
            view = mask[f, self.ys, self.xs]
            np.subtract(255, view, out=view)


@dataclass
class Zero:
    """The mask set to 0 in a box (the hints left as they are): what redoes a Clear."""

    frames: slice
    ys: slice
    xs: slice
    hints = None  # read as a Patch's: no hint colours to put back
    nbytes = 0


@dataclass
class Atom:
    label: str
    patches: list[Patch | Flip | Zero]  # their boxes do not overlap in what they change
    to: int = 0  # the layers' state (MaskModel.state) that applying the atom gives back
    # and the states of the frames it touches (MaskModel.range_state), as they were
    frame_states: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)

    def frames(self) -> slice:
        """The frames the atom touches."""
        return slice(min(p.frames.start for p in self.patches),
                     max(p.frames.stop for p in self.patches))


def take_patch(mask: np.ndarray, hints: np.ndarray, fs: slice, ys: slice, xs: slice,
               hinted: bool = True, with_mask: bool = True, with_hints: bool = True,
               painted: tuple[slice, slice, slice] | None = ...) -> Patch:
    """A copy of the values in a box (all-zero hints stored as None: most masks have none;
    hinted=False: the hints are known to be all zero, not looked at; with_mask=False or
    with_hints=False: the other layer alone). painted: a (t, y, x) box of the clip outside
    which the mask is known to be 0 (None: all of it), read there only: reading pages never
    written faults each one in, where a new import or a first stroke only writes them."""
    h = hints[fs, ys, xs] if with_hints and hinted else None
    return Patch(fs, ys, xs, _copy(mask, (fs, ys, xs), painted) if with_mask else None,
                 h.copy() if h is not None and h.any() else None, with_hints)


def _copy(layer: np.ndarray, box: tuple[slice, slice, slice],
          painted: tuple[slice, slice, slice] | None = ...) -> np.ndarray:
    """layer[box].copy(), read inside `painted` only (0 elsewhere; ...: read it all)."""
    if painted is ...:
        return layer[box].copy()
    out = np.zeros(layer[box].shape, layer.dtype)
    part = None if painted is None else [overlap(b, p) for b, p in zip(box, painted, strict=True)]
    if part is not None and None not in part:
        out[tuple(slice(s.start - b.start, s.stop - b.start) for s, b in zip(part, box, strict=True))] \
            = layer[tuple(part)]
    return out


def patch_unchanged(p: Patch, mask: np.ndarray, hints: np.ndarray) -> bool:
    if p.mask is not None and not np.array_equal(p.mask, mask[p.frames, p.ys, p.xs]):
        return False
    if not p.with_hints:
        return True
    now = hints[p.frames, p.ys, p.xs]
    return not now.any() if p.hints is None else np.array_equal(p.hints, now)


def swap(atom: Atom, mask: np.ndarray, hints: np.ndarray, hinted: bool = True) -> Atom:
    """Put an atom's values back into the arrays; returns the atom that undoes that
    (hinted=False: the hints are known to be all zero)."""
    inverse: list[Patch | Flip | Zero] = []
    for p in atom.patches:
        if isinstance(p, Flip):
            p.apply(mask)
            inverse.append(p)
            continue
        box = p.frames, p.ys, p.xs
        if isinstance(p, Zero):  # a Clear again: its values kept, as the Clear keeps them
            inverse.append(replace(take_patch(mask, hints, *box, with_hints=False),
                                   cleared=True))
            mask[box] = 0
            continue
        if p.cleared:  # zeros there now: nothing to copy
            mask[box] = p.mask
            inverse.append(Zero(*box))
            continue
        back = take_patch(mask, hints, p.frames, p.ys, p.xs, hinted, p.mask is not None,
                          p.with_hints)
        inverse.append(back)
        if p.mask is not None:
            mask[p.frames, p.ys, p.xs] = p.mask
        if not p.with_hints:
            continue
        if p.hints is not None:
            hints[p.frames, p.ys, p.xs] = p.hints
        elif back.hints is not None:  # zeros over zeros would only fault in untouched pages
            hints[p.frames, p.ys, p.xs] = 0
    return Atom(atom.label, inverse)


class History:
    """Undo and redo stacks of atoms within `budget` bytes (the newest step always stays)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.undo: list[Atom] = []
        self.redo: list[Atom] = []

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.undo + self.redo)

    def push(self, atom: Atom) -> None:
        self.redo.clear()
        self.undo.append(atom)
        total = self.nbytes()
        while total > self.budget and len(self.undo) > 1:
            total -= self.undo.pop(0).nbytes
