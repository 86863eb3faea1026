"""Immutable requests to the engine and the per-level results it yields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.config import Settings


@dataclass(frozen=True)
class Request:
    """What to make from a source clip. Sizes left as None keep the source's."""

    task: str = "generate"
    frames: int | None = None  # output T
    height: int | None = None  # output H
    width: int | None = None  # output W
    seed: int = 0
    noise: float | None = None  # sigma of the coarsest noise; None = task default (5 / 0)
    settings: Settings = field(default_factory=Settings)
    # inpaint: (T, H, W) bool, True = hole; hints: (T, H, W, 4) uint8 RGBA, alpha > 0 where painted
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    hints: np.ndarray | None = field(default=None, compare=False, repr=False)
    # analogy / sketch: the clip (or sketch) whose structure the output follows, (T, H, W, 3) uint8
    guide: np.ndarray | None = field(default=None, compare=False, repr=False)
    guide_levels: int = 4  # k-means levels of the guide's structure (video A)
    look_levels: int = 8  # k-means levels of the look clip's structure (video B)
    # fraction of the pyramid, from the coarsest level, that the guide steers; None = the
    # task's default (analogy 0.5, as the supplementary; sketch 1.0)
    guide_until: float | None = None


# The tasks "Keep subjects whole" applies to (engine.tasks: Task.keeps_whole), named here
# without torch for the command line's and the editor's hints.
WHOLE_TASKS = ("generate",)


def suggests_keep_whole(request: Request) -> bool:
    """Whether a broken-looking result of `request` could be helped by Keep subjects whole:
    a task it applies to, made without it."""
    return request.task in WHOLE_TASKS and request.settings.coarse_completeness_alpha is None


# The tasks "Blend seams" applies to (engine.tasks: Task.blends_seams), likewise.
SEAM_TASKS = ("generate", "retarget")
# The note of a run whose seams Blend seams' "auto" blended (its seam measure was flagged).
SEAMS_BLENDED = "faint seams where copied regions meet were blended"


def suggests_blend_seams(request: Request) -> bool:
    """Whether a result of `request` flagged for faint seams could be helped by Blend seams:
    a task it applies to, made with it off (under "auto" a flagged result was blended
    already, and "on" blends it the same way)."""
    return request.task in SEAM_TASKS and request.settings.blend_seams == "off"


@dataclass
class LevelResult:
    """One step of the coarse-to-fine driver: the current output at `level` of `levels` (1 = coarsest)."""

    level: int
    levels: int
    frames: np.ndarray  # (T, H, W, 3) uint8, this level's size
    elapsed: float  # seconds since the run started
    timings: dict[str, float]  # seconds so far in "pyramid", "search", "vote"
    device: str
    notes: list[str] = field(default_factory=list)  # what was adapted (pyramid, device fallbacks)
    final_voxels: int = 0  # T x H x W of the run's last level (its output), from the plan
    # Every level's (voxels, EM iterations), coarse to fine, from the plan: what a time-left
    # estimate (engine.eta) weighs the levels still to run by.
    plan: tuple[tuple[int, int], ...] = ()
    # The output's faint seams (engine.seams.seam_lines) of a variation or retarget, on the
    # levels from the one it is read on (engine.run.seam_level_of) to the last; None before
    # and for the other tasks. The realism score's seam term reads the last level's.
    seams: float | None = None

    @property
    def final(self) -> bool:
        return self.level == self.levels


def summarise_notes(notes: list[str]) -> list[str]:
    """The notes to show a user: each once, in the order first seen, with how many times it
    came when more than once (a seed drawn again eight times reads as one line). No
    parentheses: the editor's "Result ready" line puts the notes in some."""
    counts: dict[str, int] = {}
    for note in notes:
        counts[note] = counts.get(note, 0) + 1
    return [note if n == 1 else f"{note}, {n} times" for note, n in counts.items()]


CancelCheck = Callable[[], bool]
