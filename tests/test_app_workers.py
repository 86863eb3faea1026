"""Background work that must not lose tasks or stall: the seed browser's queue (a refine
pushed as the worker leaves, a new grid while an old worker finishes) and closing with
several threads running (one deadline for all)."""

from __future__ import annotations

import threading
import time

import pytest

from app.widgets import seed_browser
from app.workers import jobs, seed_queue
from app.workers.seed_queue import TaskQueue
from engine.request import LevelResult


@pytest.fixture
def window(draft_window):
    return draft_window


def instant_levels(frames, request, cancel):
    """A stand-in engine: the final result at once (the source frames)."""
    yield LevelResult(level=1, levels=1, frames=frames, elapsed=0.0, timings={}, device="cpu")


def test_queue_says_when_a_worker_must_start():
    q = TaskQueue()
    assert q.push(("preview", 0, None))  # no worker yet: start one
    assert not q.push(("final", 0, None))  # the worker will take it
    assert q.pop()[0] == "preview" and q.pop()[0] == "final"
    assert q.pop() is None  # the worker leaves ...
    assert q.push(("refine", 0, None), front=True)  # ... so this push starts a new one
    q.close()
    assert not q.push(("final", 1, None)) and q.pop() is None


def test_refine_pushed_as_the_worker_leaves_is_run(window, qtbot, monkeypatch):
    monkeypatch.setattr(seed_queue, "engine_levels", instant_levels)
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    job = browser._job
    # The worker empties the queue and ends; the GUI has not handled its `done` yet.
    deadline = time.monotonic() + 30
    while job in jobs.running_jobs():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    browser.refine(1)  # a click at that moment
    qtbot.waitUntil(lambda: browser.tiles[1].state.text() == "best", timeout=30_000)
    assert browser.tiles[1].refined and browser.tiles[0].clip.final
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)


def test_new_grid_tasks_never_go_to_the_old_worker(window, qtbot, monkeypatch):
    release = threading.Event()

    def slow_levels(frames, request, cancel):
        release.wait(20)  # the first grid's worker is busy with its first task
        yield from instant_levels(frames, request, cancel)

    queues = []

    def recording_work(queue, selection, prepare=None):
        queues.append(queue)
        return seed_queue.browse_work(queue, selection, prepare)

    monkeypatch.setattr(seed_queue, "engine_levels", slow_levels)
    monkeypatch.setattr(seed_browser, "browse_work", recording_work)
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    browser.first_seed.setValue(100)
    browser.regenerate.click()  # Show: a new grid while the old worker is mid-task
    assert len(queues) == 2
    old, new = queues
    assert old is not new and len(new) > 0
    # The old worker, done with its task, looks for more: the new grid's tasks are not
    # there for it to take (and drop, being cancelled).
    assert old.pop() is None
    release.set()
    qtbot.waitUntil(lambda: all(t.clip is not None and t.clip.final
                                for t in browser.tiles.values()), timeout=30_000)
    assert sorted(browser.tiles) == [100, 101, 102]
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)


def test_stop_all_waits_once_for_all_threads(qtbot):
    def stubborn(job):
        time.sleep(3.5)  # ignores cancel (a long step without a cancel check)

    started = [jobs.start(jobs.Job(stubborn, name=f"stubborn {i}")) for i in range(3)]
    t0 = time.monotonic()
    assert not jobs.stop_all(timeout_ms=1000)
    elapsed = time.monotonic() - t0
    # One deadline for all: about 1 s, not 1 s per thread one after another (3 s).
    assert elapsed < 2.0, elapsed
    assert all(job.is_cancelled() for job in started)
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=15_000)


def test_a_job_gives_its_freed_memory_back_on_its_own_thread(qtbot, monkeypatch):
    """glibc keeps what a run freed in its heaps (the editor's resident size doubled over a
    session): each job trims them as it ends, on its own thread, whatever its outcome."""
    from engine import heap

    trimmed = []
    monkeypatch.setattr(jobs, "give_back_free_memory",
                        lambda: trimmed.append(threading.current_thread().ident))
    ran = []

    def work(job):
        ran.append(threading.current_thread().ident)
        raise RuntimeError("a bug")

    job = jobs.Job(work, name="trim test")
    with qtbot.waitSignal(job.done, timeout=10_000):
        jobs.start(job)
    assert trimmed == ran and ran[0] != threading.main_thread().ident
    heap.give_back_free_memory()  # the real call: harmless where there is no glibc
