"""Transparent huge pages for PyTorch's large CPU buffers, asked for on big runs only.

A Full-HD level allocates and frees buffers of hundreds of MB, each touched page by page:
with 4 KB pages a CPU Full-HD run spent 106 s of 150 in the kernel (28.7 million page
faults). PyTorch's CPU allocator asks Linux for 2 MB pages (madvise) for buffers of 2 MB
and more when THP_MEM_ALLOC_ENABLE is set: then 48 s, the run 118 s -> 88 s, and ballet at
640x360 (13 frames, 3 M voxels) 38.8 s -> 35.0 s (two runs each), the same frames. At 144p
(half a million voxels) the larger pages cost more than they save (3 seeds, three times
alternating: 5.7 s a seed against 5.3). torch reads the variable once, at its first
allocation, so the choice is made before torch is imported, from the sizes a command knows
by then; ignored off Linux and where the kernel's huge pages are off.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "THP_MEM_ALLOC_ENABLE"
FROM_VOXELS = 1_000_000  # source or output T*H*W; between 144p's 0.5 M (slower) and 3 M (faster)


def ask_for_huge_pages(voxels: int | None = None) -> bool:
    """Ask torch's CPU allocator for huge pages when `voxels` (None: any size, as for the
    editor, whose clips are not known yet) reaches FROM_VOXELS. Returns whether it is on;
    once torch is loaded the choice is made and left alone, as is a value the user set."""
    if "torch" not in sys.modules and VARIABLE not in os.environ and (voxels is None or voxels >= FROM_VOXELS):
        os.environ[VARIABLE] = "1"
    return os.environ.get(VARIABLE, "0") not in ("", "0")
