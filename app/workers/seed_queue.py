"""The seed browser's work: a queue of (kind, seed, request) tasks and the job that works
through it, a coarse preview of every seed first, then each in full.

Two rules keep work from being lost:
- The worker ends when it finds the queue empty, and push() says whether a new worker is
  needed, decided under the same lock as that last pop(): a task pushed just after the
  worker saw an empty queue starts a new worker instead of waiting for one that has left.
- Each grid gets its own queue; a replaced grid closes its queue, so an old worker that
  is still finishing can never take (and drop) a task of the new grid.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from app.inpaint.mask_model import LayersChanged
from app.state.media import Selection
from app.workers import jobs
from app.workers.generation import SCORED_TASKS, editor_text, engine_levels, score_result
from engine.errors import Cancelled, EngineError
from engine.request import Request

PREVIEW_MIN_SIDE = 40


class TaskQueue:
    """Tasks shared between the GUI thread (push) and one worker at a time (pop)."""

    def __init__(self) -> None:
        self._items: deque = deque()
        self._lock = threading.Lock()
        self._has_worker = False
        self._closed = False
        self.finished: set[Request] = set()  # worker side: a preview that ran to the end

    def push(self, task: tuple, front: bool = False) -> bool:
        """Queue a task; True when the caller must start a worker for this queue."""
        with self._lock:
            if self._closed:
                return False
            (self._items.appendleft if front else self._items.append)(task)
            start = not self._has_worker
            self._has_worker = True
            return start

    def pop(self) -> tuple | None:
        """The next task, or None: then the worker must end (it no longer owns the queue)."""
        with self._lock:
            if self._items:
                return self._items.popleft()
            self._has_worker = False
            return None

    def detach(self) -> None:
        """The worker leaves early (an error): the next push starts a new one."""
        with self._lock:
            self._has_worker = False

    def drop(self, match: Callable[[tuple], bool]) -> int:
        """Forget the waiting tasks `match` picks; how many there were."""
        with self._lock:
            kept = deque(t for t in self._items if not match(t))
            dropped, self._items = len(self._items) - len(kept), kept
            return dropped

    def mark_finished(self, request: Request) -> None:
        """`request` was made elsewhere: the worker skips its final if it is still to come."""
        with self._lock:
            self.finished.add(request)

    def close(self) -> None:
        """Drop every task and refuse new ones (the grid was replaced or stopped)."""
        with self._lock:
            self._closed = True
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def preview_side(selection: Selection, request: Request) -> float:
    """Min side (px) at which a coarse preview is good enough for a thumbnail."""
    h, w = selection.frames.shape[1:3]
    out_side = min(request.height or h, request.width or w)
    return min(PREVIEW_MIN_SIDE, 0.6 * out_side)


def browse_work(queue: TaskQueue, selection: Selection,
                prepare: Callable[..., Request] | None = None):
    """The work function of a seed-browser job: reports (kind, seed, request, level,
    realism), realism (engine.realism) for a finished variation of the source, else None.
    A ("score", seed, request, clip) task scores a cached finished clip whose score never
    came (a main-viewer run replaced first) and reports (kind, seed, request, clip, realism).
    prepare: what a request needs first (a sketch's frames, made once for the grid:
    SketchController.frames_maker)."""
    frames = selection.frames
    scorer = None

    def score(request: Request, output, cancel=None, seams: float | None = None) -> object:
        nonlocal scorer
        if request.task not in SCORED_TASKS:
            return None
        from engine.realism import RealismScorer

        if scorer is None:
            scorer = RealismScorer(frames)
        return score_result(scorer, output, request, cancel, seams)

    def one(job: jobs.Job, task: tuple) -> None:
        kind, seed, request = task[:3]
        if kind == "score":
            clip = task[3]
            job.report((kind, seed, request, clip, score(request, clip.frames, job.is_cancelled, clip.seams)))
            return
        if kind != "preview" and request in queue.finished:
            return
        enough = preview_side(selection, request)
        levels = engine_levels(frames, prepare(request, job.is_cancelled) if prepare else request,
                               job.is_cancelled)
        for level in levels:
            realism = score(request, level.frames, job.is_cancelled, level.seams) if level.final else None
            job.report((kind, seed, request, level, realism))
            if level.final:
                queue.finished.add(request)
            elif kind == "preview" and min(level.frames.shape[1:3]) >= enough:
                levels.close()  # enough for a thumbnail; the full run comes later
                break

    def work(job: jobs.Job) -> None:
        try:
            while not job.is_cancelled():
                task = queue.pop()
                if task is None:
                    return
                try:
                    one(job, task)
                except Cancelled:
                    raise
                except LayersChanged:  # painted on while read: the grid is made again
                    job.report(("layers_changed", task[1], task[2], None, None))
                    queue.detach()
                    return
                except (EngineError, MemoryError) as exc:
                    # One seed's failure (a Best run over the memory free, say) is that
                    # tile's: the others go on.
                    text = jobs.OUT_OF_MEMORY if isinstance(exc, MemoryError) else str(exc)
                    job.report(("failed", task[1], task[2], editor_text(text), None))
        except BaseException:
            queue.detach()
            raise
        queue.detach()  # cancelled: the queue is closed, nothing will be pushed again

    return work
