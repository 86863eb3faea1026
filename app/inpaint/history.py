"""Undo history of the mask layer as history atoms: boxes of old values, one atom per stroke
or edit, kept within a byte budget (the oldest atoms go first)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Patch:
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
class Atom:
    label: str
    patches: list[Patch]
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
               hinted: bool = True) -> Patch:
    """A copy of the values in a box (all-zero hints stored as None: most masks have none;
    hinted=False: the hints are known to be all zero, not looked at)."""
    h = hints[fs, ys, xs]
    return Patch(fs, ys, xs, mask[fs, ys, xs].copy(), h.copy() if hinted and h.any() else None)


def patch_unchanged(p: Patch, mask: np.ndarray, hints: np.ndarray) -> bool:
    if not np.array_equal(p.mask, mask[p.frames, p.ys, p.xs]):
        return False
    now = hints[p.frames, p.ys, p.xs]
    return not now.any() if p.hints is None else np.array_equal(p.hints, now)


def swap(atom: Atom, mask: np.ndarray, hints: np.ndarray, hinted: bool = True) -> Atom:
    """Put an atom's values back into the arrays; returns the atom that undoes that
    (hinted=False: the hints are known to be all zero)."""
    inverse = []
    for p in atom.patches:
        back = take_patch(mask, hints, p.frames, p.ys, p.xs, hinted)
        inverse.append(back)
        mask[p.frames, p.ys, p.xs] = p.mask
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
