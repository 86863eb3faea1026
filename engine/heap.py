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

The editor's engine runs on worker threads, and a thread's own arena grows in heaps of at
most 64 MB, so its big buffers were mapped afresh whatever the thresholds. The editor shares
the main arena among its threads (share_one_arena, at start) and each job keeps its run's
buffers as a command does (keep_freed_buffers_on_workers); the job trims after its run, as
it always did: over a 35-step session at 144p the editor sat at 1.1-1.4 GB resident
untrimmed against 0.5-0.6 GB trimmed, and engine.limits reads memory kept that way as not
available. glibc only (Linux); elsewhere every call does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt's parameters (malloc.h)
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
SMALL_RUN_VOXELS = 1_000_000  # the larger of source and output; 144p's 13 frames are 0.5 M
SMALL_RUN_THRESHOLD = 1 << 30  # every block from the heap
BIG_RUN_THRESHOLD = 256 << 20  # Full-HD's 398 MB videos and 924 MB descriptors are mapped
# On the editor's worker threads its other threads' buffers (previews, the realism score)
# share the heap and fragment it more. Full-HD in the editor (tools.measure_latency), final
# result and peak: 96.7-97.7 s and 6.61-6.66 GB before one arena; with it, blocks up to
# 64 MB 87.5 s and 7.10 GB, 128 MB 80.7-81.5 s and 7.30-7.45 GB, 256 MB 78.7-79.3 s and
# 8.06-8.09 GB.
WORKER_BIG_RUN_THRESHOLD = 128 << 20
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
KEEP_TOP = (1 << 31) - 1  # free heap top kept up to this (mallopt takes an int)
_trim_each_level = False  # set by keep_freed_buffers for big runs
_one_arena = False  # set by share_one_arena (the editor)


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


def mmap_threshold(voxels: int, big: int = BIG_RUN_THRESHOLD) -> int:
    """The largest block served from the heap for a run of `voxels` (see the module's notes);
    `big` on big runs."""
    return SMALL_RUN_THRESHOLD if voxels < SMALL_RUN_VOXELS else big


def _users_own() -> bool:
    """Whether the user tuned glibc's malloc (USER_SETTINGS, or glibc.malloc tunables)."""
    return "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") or any(
        name in os.environ for name in USER_SETTINGS)


def share_one_arena() -> bool:
    """For a process whose engine runs on worker threads (the editor), called before any
    thread starts: every thread allocates from the main arena. A thread's own arena grows in
    heaps of at most 64 MB, so its larger buffers are mapped afresh whatever the thresholds
    (Full-HD in the editor: 96.7-97.7 s before, 80.7-81.5 s with one arena and
    WORKER_BIG_RUN_THRESHOLD). Returns whether glibc took it."""
    global _one_arena
    if _LIBC is None or _users_own() or "MALLOC_ARENA_MAX" in os.environ:
        return False
    _one_arena = bool(_LIBC.mallopt(M_ARENA_MAX, 1))
    return _one_arena


def keep_freed_buffers_on_workers(voxels: int) -> bool:
    """keep_freed_buffers for a run of `voxels` on a worker thread (an editor's job), where
    share_one_arena took: elsewhere the worker's own arena maps its big blocks anyway, and
    a test process would keep a heap that nothing trims. The job trims after its run."""
    return _one_arena and keep_freed_buffers(voxels, WORKER_BIG_RUN_THRESHOLD)


def keep_freed_buffers(voxels: int, big: int = BIG_RUN_THRESHOLD) -> bool:
    """Keep freed blocks in the heap for the rest of this process (a command's run of
    `voxels`, the larger of source and output; blocks up to `big` on big runs). Returns
    whether glibc took the setting; a threshold of the user's own (USER_SETTINGS, or
    glibc.malloc tunables) is left alone."""
    if _LIBC is None or _users_own():
        return False
    global _trim_each_level
    kept = bool(_LIBC.mallopt(M_MMAP_THRESHOLD, mmap_threshold(voxels, big))
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
