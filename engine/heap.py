"""glibc's heap: freed buffers kept for the next allocation during a run, given back after.

Every EM iteration allocates and frees the same buffers (descriptors, distances, vote
windows) of megabytes to hundreds of megabytes. glibc serves a block over its mmap threshold
(128 KB, rising as blocks are freed to at most 32 MB) from a fresh mapping and unmaps it
when freed, so the next buffer of that size is faulted in again, page by page, and zeroed
by the kernel: the 144p command spent 1.8-2.2 s of its 7.3-8.4 s in the kernel (460k page
faults), Full-HD 16 frames 73 s of 122.7-131 s. Serving blocks up to a threshold from the
heap, and keeping the heap's free top for the next one, halves the faults at 144p (0.3-0.5 s
less a run, resident size +50 MB). On big runs the heap's fragments raise the peak: Full-HD
with every block from the heap took 96-98 s but peaked at 8.2 GB against 6.65 GB; blocks up
to 128 MB, 106-108 s and 7.25-7.7 GB; up to 64 MB (BIG_RUN_THRESHOLD), 114-118 s and
6.9-7.15 GB, under the 8 GB that run must fit (README, How it works, Freed buffers kept).

The editor keeps glibc's defaults (its engine runs on worker threads, whose heaps hold at
most 64 MB anyway) and trims after each job: over a 35-step session at 144p it sat at
1.1-1.4 GB resident untrimmed against 0.5-0.6 GB trimmed, and engine.limits reads memory
kept that way as not available. glibc only (Linux); elsewhere both calls do nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt's parameters (malloc.h)
M_MMAP_THRESHOLD = -3
SMALL_RUN_VOXELS = 1_000_000  # the larger of source and output; 144p's 13 frames are 0.5 M
SMALL_RUN_THRESHOLD = 1 << 30  # every block from the heap
BIG_RUN_THRESHOLD = 64 << 20
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
KEEP_TOP = (1 << 31) - 1  # free heap top kept up to this (mallopt takes an int)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc's, not musl's
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def mmap_threshold(voxels: int) -> int:
    """The largest block served from the heap for a run of `voxels` (see the module's notes)."""
    return SMALL_RUN_THRESHOLD if voxels < SMALL_RUN_VOXELS else BIG_RUN_THRESHOLD


def keep_freed_buffers(voxels: int) -> bool:
    """Keep freed blocks in the heap for the rest of this process (a command's run of
    `voxels`, the larger of source and output). Returns whether glibc took the setting; a
    threshold of the user's own (USER_SETTINGS, or glibc.malloc tunables) is left alone."""
    if _LIBC is None or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") or any(
            name in os.environ for name in USER_SETTINGS):
        return False
    return bool(_LIBC.mallopt(M_MMAP_THRESHOLD, mmap_threshold(voxels))
                and _LIBC.mallopt(M_TRIM_THRESHOLD, KEEP_TOP))


def give_back_free_memory() -> None:
    """Return the heaps' free pages to the system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
