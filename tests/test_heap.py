"""Freed buffers kept in glibc's heap for a command's run (engine/heap.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from engine import heap

ROOT = Path(__file__).resolve().parent.parent

# fill() takes a 64 MB block, writes it and frees it; faults(between, n) counts the minor
# page faults of n fills, calling between() before each.
_FILL = """
import ctypes, resource
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
def fill():
    block = libc.malloc(64 << 20)
    ctypes.memset(block, 1, 64 << 20)
    libc.free(ctypes.c_void_p(block))
def faults(between, n):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        between()
        fill()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
"""


def _faults(script: str) -> list[int]:
    out = subprocess.run([sys.executable, "-c", _FILL + script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    return [int(v) for v in out.stdout.split()]


def _refill_faults(prelude: str) -> int:
    """The faults of nine fills after a first one, with `prelude` run before."""
    return _faults(prelude + "fill()\nprint(faults(lambda: None, 9))\n")[0]


@pytest.mark.skipif(heap._LIBC is None, reason="needs glibc")
def test_a_small_run_keeps_a_freed_buffer_for_the_next_one():
    pages = 9 * (64 << 20) // 4096
    assert _refill_faults("") > pages // 2  # glibc's default: each block mapped and faulted anew
    kept = "from engine.heap import keep_freed_buffers\nassert keep_freed_buffers(1000)\n"
    assert _refill_faults(kept) < pages // 20


def test_big_runs_keep_only_blocks_under_a_cap():
    """Full-HD's peak grew from 6.6 to 8.2 GB with every block kept: its large ones are mapped."""
    assert heap.mmap_threshold(heap.SMALL_RUN_VOXELS - 1) >= 1 << 30
    assert heap.mmap_threshold(heap.SMALL_RUN_VOXELS) == heap.BIG_RUN_THRESHOLD < 1 << 30
    heap.give_back_free_memory()  # harmless anywhere


def test_a_malloc_setting_of_the_users_own_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert not heap.keep_freed_buffers(1000)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=131072")
    assert not heap.keep_freed_buffers(1000)


@pytest.mark.skipif(heap._LIBC is None, reason="needs glibc")
def test_a_big_run_gives_back_its_freed_buffers_at_each_level():
    """Within a level a big run's buffers are kept; a new level starts from a trimmed heap,
    so that the coarser levels' smaller blocks do not fragment it (the peak)."""
    pages = 4 * (64 << 20) // 4096

    def run(voxels: int) -> list[int]:
        return _faults(f"from engine.heap import keep_freed_buffers, level_done\n"
                       f"assert keep_freed_buffers({voxels})\nfill()\n"
                       f"print(faults(lambda: None, 4), faults(level_done, 4))\n")

    within, across = run(heap.SMALL_RUN_VOXELS)
    assert within < pages // 20 and across > pages // 2
    within, across = run(heap.SMALL_RUN_VOXELS - 1)  # small runs keep everything
    assert within < pages // 20 and across < pages // 20


@pytest.mark.skipif(heap._LIBC is None, reason="needs glibc")
def test_the_editors_worker_threads_keep_their_buffers_in_one_arena(monkeypatch):
    """A worker thread's own arena maps its big blocks afresh whatever the thresholds; the
    editor shares the main arena (main.py), so its jobs keep them as the commands do."""
    pages = 9 * (64 << 20) // 4096
    on_worker = ("import threading\nfrom engine import heap\nSHARE\n"
                 "print(heap.keep_freed_buffers_on_workers(1000))\n"
                 "t = threading.Thread(target=lambda: (fill(), print(faults(lambda: None, 9))))\n"
                 "t.start(); t.join()\n")

    def run(share: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", _FILL + on_worker.replace("SHARE", share)], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.split()

    kept, faults = run("assert heap.share_one_arena()")
    assert kept == "True" and int(faults) < pages // 20
    kept, faults = run("")  # a process that did not share (tests, the commands): nothing changes
    assert kept == "False" and int(faults) > pages // 2
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # the user's own arenas are left alone
    assert run("assert not heap.share_one_arena()")[0] == "False"
