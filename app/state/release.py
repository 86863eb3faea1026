"""Letting go of big arrays off the GUI thread: unmapping a painted whole-clip Full-HD mask
and its hint colours took 35-70 ms of the GUI thread wherever its last reference went."""

from __future__ import annotations

import threading

import numpy as np

BIG_BYTES = 1 << 20  # numpy maps blocks this large on their own: freeing one unmaps it


def let_go(held: list) -> None:
    """Drop the references in `held` (emptied) on a thread of their own when an array in
    it is BIG_BYTES or more. The caller keeps none of its own: the thread then takes the
    last references, and any other holder keeps its own."""
    if any(isinstance(a, np.ndarray) and a.nbytes >= BIG_BYTES for a in held):
        threading.Thread(target=held.clear, name="vgpnn-let-go", daemon=True).start()
    else:
        held.clear()
