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
blocks up to 128 MB (BIG_RUN_THRESHOLD) come from the heap and the heap is trimmed after
each level (level_done): a level's buffers are too small for the next level's, so kept
they only fragment. Full-HD 16 frames, the whole command on an idle machine, two sessions
of runs alternating with blocks up to 64 MB and no trim (the setting until 2026-12-06):
82.5-84 s -> 72.0-74.0 s, then 81.0-81.7 s -> 78.2-79.0 s (the machine's cost of fresh
memory drifts over a day); peak 6.9-7.0 GB -> 7.28-7.51 GB. Up to 256 MB with the trim:
67.5-71.7 s, then 68.7-70.9 s against 76.5-77.8 s, but 7.43-7.66 GB (7.7 GB in the bench);
up to 1 GB 64-73 s but 7.45-7.87 GB: too near the 8 GB that run must fit (README, How it
works, Freed buffers kept).

The editor's engine runs on worker threads, and a thread's own arena grows in heaps of at
most 64 MB, so its big buffers were mapped afresh whatever the thresholds. The editor shares
the main arena among its threads (share_one_arena, at start) and each job keeps its run's
buffers as a command does (keep_freed_buffers_on_workers): Full-HD in the editor
(tools.measure_latency, the final result) 96.7-97.7 s and 6.61-6.66 GB before, 80.7-81.5 s
and 7.30-7.45 GB with blocks up to 128 MB (64 MB: 87.5 s, 7.10 GB; 256 MB: 78.7-79.3 s but
8.06-8.09 GB: the editor's other threads share the heap too). The job trims after its run,
as it always did: over a 35-step session at 144p the editor sat at 1.1-1.4 GB resident
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
BIG_RUN_THRESHOLD = 128 << 20  # Full-HD's videos (398 MB) and its fields' temporaries (231 MB) are mapped
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


def mmap_threshold(voxels: int) -> int:
    """The largest block served from the heap for a run of `voxels` (see the module's notes)."""
    return SMALL_RUN_THRESHOLD if voxels < SMALL_RUN_VOXELS else BIG_RUN_THRESHOLD


def _users_own() -> bool:
    """Whether the user tuned glibc's malloc (USER_SETTINGS, or glibc.malloc tunables)."""
    return "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") or any(
        name in os.environ for name in USER_SETTINGS)


def share_one_arena() -> bool:
    """For a process whose engine runs on worker threads (the editor), called before any
    thread starts: every thread allocates from the main arena. A thread's own arena grows in
    heaps of at most 64 MB, so its larger buffers are mapped afresh whatever the thresholds
    (Full-HD in the editor: 96.7-97.7 s before, 80.7-81.5 s with one arena, the same
    frames). Returns whether glibc took it."""
    global _one_arena
    if _LIBC is None or _users_own() or "MALLOC_ARENA_MAX" in os.environ:
        return False
    _one_arena = bool(_LIBC.mallopt(M_ARENA_MAX, 1))
    return _one_arena


def keep_freed_buffers_on_workers(voxels: int) -> bool:
    """keep_freed_buffers for a run of `voxels` (engine.run, every run), where share_one_arena
    took, i.e. an editor's job on a worker thread: elsewhere a worker's own arena maps its big
    blocks anyway, a test process would keep a heap that nothing trims, and a command has
    chosen before PyTorch loaded. The job trims after its run."""
    return _one_arena and keep_freed_buffers(voxels)


def keep_freed_buffers(voxels: int) -> bool:
    """Keep freed blocks in the heap for the rest of this process (a command's run of
    `voxels`, the larger of source and output). Returns whether glibc took the setting; a
    threshold of the user's own (USER_SETTINGS, or glibc.malloc tunables) is left alone."""
    if _LIBC is None or _users_own():
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
