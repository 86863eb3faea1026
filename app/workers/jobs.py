"""Background jobs: one QObject worker per job, moved to its own QThread.

A job wraps a plain function `work(job) -> result`. The function runs on the job's thread,
reports progress with `job.report(value)` and polls `job.is_cancelled()` (the engine takes
it as its `cancel` callback). Every signal carries the job itself, so a receiver can ignore
signals from jobs it no longer cares about (latest request wins).

Receivers must be slots of QObjects living on the GUI thread (bound methods of widgets or
controllers): a plain lambda would run on the worker thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from engine.errors import Cancelled, EngineError
from engine.heap import give_back_free_memory

log = logging.getLogger(__name__)

OUT_OF_MEMORY = "Not enough memory for this request; try a smaller size or the Draft quality."


class Job(QObject):
    """One unit of background work; create a new one for every run."""

    progress = Signal(object, object)  # (job, value)
    succeeded = Signal(object, object)  # (job, result)
    failed = Signal(object, str)  # (job, one-line message for the user)
    cancelled = Signal(object)  # (job,)
    done = Signal(object)  # (job,) always last, whatever happened

    def __init__(self, work: Callable[[Job], Any], name: str = "job") -> None:
        super().__init__()
        self._work = work
        self._cancel = threading.Event()
        self.name = name
        # What the work finished before its outcome (an export's written files), appended on
        # the job's thread and read on the GUI thread after the outcome: unlike a progress
        # report it cannot be dropped by a cancel that comes just after.
        self.kept: list[Any] = []

    def cancel(self) -> None:
        """Thread-safe: ask the work to stop at its next check."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, value: Any) -> None:
        """Called from the work function: hand a progress value to the GUI thread."""
        if not self._cancel.is_set():
            self.progress.emit(self, value)

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self)
        except Cancelled:
            self.cancelled.emit(self)
        except EngineError as exc:
            self.failed.emit(self, str(exc) or type(exc).__name__)
        except MemoryError:
            self.failed.emit(self, OUT_OF_MEMORY)
        except Exception as exc:  # a bug must reach the user as a message, never a crash
            log.exception("background job %s failed", self.name)
            self.failed.emit(self, f"Unexpected error ({type(exc).__name__}): {exc}")
        else:
            if self._cancel.is_set():
                self.cancelled.emit(self)
            else:
                self.succeeded.emit(self, result)
        finally:
            # The work's buffers are freed by now: back to the system, off the GUI thread.
            give_back_free_memory()
            self.done.emit(self)


def counting(job: Job, *tag: Any, every: float = 0.1) -> Callable[[int, int], None]:
    """A progress(done, total) callback for the engine's readers and makers that reports
    (*tag, done, total) through `job` a few times a second, and always the last: one signal
    a frame flooded the GUI thread's queue on a long clip of small frames."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= every:
            last[0] = now
            job.report((*tag, done, total))

    return progress


class _Registry(QObject):
    """Keeps each running thread and its job alive until the thread has really ended."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[QThread, Job]] = []

    def start(self, job: Job) -> QThread:
        thread = QThread()
        thread.setObjectName(job.name)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        # Direct: QThread.quit is thread-safe, and the thread must end even when the GUI
        # event loop no longer runs (at exit), so the quit must not wait in its queue.
        job.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._reap)
        self.entries.append((thread, job))
        thread.start()
        return thread

    @Slot()
    def _reap(self) -> None:
        keep = []
        for thread, job in self.entries:
            if thread.isFinished():
                thread.wait()  # finished() fires just before the OS thread exits
            else:
                keep.append((thread, job))
        self.entries = keep


_registry: _Registry | None = None


def _get_registry() -> _Registry:
    global _registry
    if _registry is None:
        _registry = _Registry()
    return _registry


def start(job: Job) -> Job:
    """Run `job` on a new QThread; call on the GUI thread after connecting its signals."""
    _get_registry().start(job)
    return job


def running_jobs() -> list[Job]:
    """Jobs whose thread has not finished yet."""
    if _registry is None:
        return []
    return [job for thread, job in _registry.entries if not thread.isFinished()]


def stop_all(timeout_ms: int | None = 5000) -> bool:
    """Cancel every job, then wait for all their threads together, within one deadline of
    timeout_ms (None: as long as it takes); True when all threads ended."""
    if _registry is None:
        return True
    for _, job in _registry.entries:
        job.cancel()  # all first: they stop side by side, not one after another
    deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
    ok = True
    for thread, _ in list(_registry.entries):
        if deadline is None:
            thread.wait()
            continue
        left_ms = max(0, int((deadline - time.monotonic()) * 1000))
        ok = thread.wait(left_ms) and ok
    _registry._reap()
    return ok


EXIT_WAIT_MS = 30_000


@atexit.register
def _join_at_exit() -> None:
    # A QThread destroyed while running aborts the interpreter (exit code 134). Cancelled
    # engine work stops within a second, so this wait is short; if a thread ignores the
    # cancel, leave without destroying it rather than abort or hang.
    if not stop_all(timeout_ms=EXIT_WAIT_MS):
        names = ", ".join(job.name for job in running_jobs())
        sys.stderr.write(f"vgpnn: background jobs did not stop ({names}); exiting anyway\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(1)
