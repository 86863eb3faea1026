"""glibc's heap: freed buffers kept for the next allocation during a run, given back after.

Every EM iteration allocates and frees the same buffers (descriptors, distances, vote
windows) of megabytes to hundreds of megabytes. glibc serves a block over its mmap threshold
(128 KB, rising as blocks are freed to at most 32 MB) from a fresh mapping and unmaps it
when freed, so the next buffer of that size is faulted in again, page by page, and zeroed
by the kernel: the 144p command spent 1.8-2.2 s of its 7.3-8.4 s in the kernel (460k page
faults), Full-HD 16 frames 73 s of 122.7-131 s. Serving blocks up to a threshold from the
heap, and keeping the heap's free top for the next one, halves the faults at 144p (0.3-0.5 s
less a run, resident size +50 MB). On big runs the heap's fragments raise the peak: Full-HD
with every block from the heap took 96-98 s but peaked at 8.2 GB against 6.65 GB. There
blocks up to 256 MB (BIG_RUN_THRESHOLD) come from the heap and the heap is trimmed after
each level (level_done): a level's buffers are too small for the next level's, so kept
they only fragment. Full-HD 16 frames on an idle machine: 82.5-84 s and 6.94-6.97 GB with
blocks up to 64 MB and no trim (the setting until 2026-12-06), 67.5-71.7 s and 7.43-7.66
GB now, under the 8 GB that run must fit; blocks up to 1 GB with the trim 64-73 s but
7.45-7.87 GB (README, How it works, Freed buffers kept).

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
BIG_RUN_THRESHOLD = 256 << 20  # Full-HD's 398 MB videos and 924 MB descriptors are mapped
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
KEEP_TOP = (1 << 31) - 1  # free heap top kept up to this (mallopt takes an int)
_trim_each_level = False  # set by keep_freed_buffers for big runs


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
    global _trim_each_level
    kept = bool(_LIBC.mallopt(M_MMAP_THRESHOLD, mmap_threshold(voxels))
                and _LIBC.mallopt(M_TRIM_THRESHOLD, KEEP_TOP))
    _trim_each_level = kept and voxels >= SMALL_RUN_VOXELS
    return kept


def level_done() -> None:
    """A pyramid level is done (engine.run): on a big run whose freed blocks are kept, give
    back what it left in the heap. Its buffers are too small for the next level's, so kept
    they would only fragment the heap and raise the peak, and after the last level they
    would sit beside the output's encoding; within a level the same sizes come back and
    are served from the heap."""
    if _trim_each_level:
        give_back_free_memory()


def give_back_free_memory() -> None:
    """Return the heaps' free pages to the system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
