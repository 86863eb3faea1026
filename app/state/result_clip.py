"""What the editor shows as "the result": one level (or the final output) of a run.

Preview levels are smaller than the output in space and time; they are drawn stretched to
the output's display size and played by time fraction over the output's length, so a
coarse preview plays in the same place and at the same speed as the final video.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from app.state.media import frames_text
from app.state.request_builder import TASKS
from engine.request import Request
from engine.verdict import Realism

TASK_TITLES = {task: title for title, task in TASKS.items()}


@dataclass(frozen=True)
class ResultClip:
    frames: np.ndarray = field(repr=False)  # (T, H, W, 3) uint8 at this level's size
    level: int
    levels: int
    request: Request
    display_size: tuple[int, int]  # (width, height) to draw at, in source pixels
    nominal_frames: int  # frame count of the final output
    elapsed: float = 0.0
    device: str = ""
    notes: tuple[str, ...] = ()
    realism: Realism | None = None  # of a final result, where measured (engine.realism)
    seams: float | None = None  # the run's measure of its faint seams (LevelResult.seams)
    # The selection's token it was made from: (source serial, in, out, and for inpaint and
    # guided tasks what names the mask or layout); with `request`, the result's cache key.
    token: tuple = ()
    fps: Fraction | None = None  # its frame rate (None: the source's)

    @property
    def final(self) -> bool:
        return self.level == self.levels

    @property
    def source_range(self) -> tuple[int, int, int] | None:
        """(source serial, in, out) it was made from: an export takes that range's sound,
        not the range set now."""
        return tuple(self.token[:3]) if self.token else None

    @property
    def seed(self) -> int:
        return self.request.seed

    @property
    def length(self) -> int:
        """Frames on the result's timeline: the real count once final."""
        return len(self.frames) if self.final else max(1, self.nominal_frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames as computed."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    def frame_at(self, index: int) -> np.ndarray:
        """The frame to show at position `index` of the result's timeline (wraps around)."""
        t = len(self.frames)
        index %= self.length
        if self.final:
            return self.frames[index]
        return self.frames[min(index * t // self.length, t - 1)]

    def label(self) -> str:
        """The result pane's title; it names the task that made it, which may not be the
        task shown now (a run goes on when the task is switched)."""
        task = TASK_TITLES.get(self.request.task, self.request.task)
        if self.final:
            w, h = self.size
            return f"Result · {task} · seed {self.seed} · {w}×{h} · {frames_text(len(self.frames))}"
        return f"Preview · {task} · seed {self.seed} · level {self.level} of {self.levels}"


def result_index_for_source(source_frame: int, in_point: int, result_length: int,
                            rate: float = 1.0) -> int:
    """Side-by-side sync: the result starts at the in point and plays at the source frame
    rate times `rate` (an analogy's is clip A's rate over the source's: it keeps A's
    motion's speed beside the source); when the two lengths differ it wraps (frame index
    modulo the result length)."""
    return int((source_frame - in_point) * rate + 1e-6) % max(1, result_length)
