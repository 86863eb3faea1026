"""What every task is: one small interface the driver calls, with no task names in the driver.

A task says how big the output is, what it pins and adds at every pyramid level (a
`LevelSetup`), what the coarsest query is, and how a level's first search starts. The
driver (`engine.run`) does the rest the same way for every task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch

from engine.chunks import Budgets
from engine.config import Settings, Shape3
from engine.noise import add_noise, auto_sigma
from engine.pyramid import LazyPyramid, Level, resize
from engine.request import Request

Coords = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass
class LevelSetup:
    """What a task adds at one level. Everything left None is the plain VPNN layer.

    Shapes: `keep` (1, T, H, W) bool and `known` (C, T, H, W) on the output's grid (voxels
    copied from `known` after every vote); `key_mask` on the key patch grid (True = the key
    may be used); `region` a (T, H, W) box of the output, the only part searched; guides are
    extra channels for the search only: `query_guide` (G, To, Ho, Wo) beside Q and
    `key_guide` (G, Ts, Hs, Ws) beside K, while V stays the source's colours;
    `colour_weight` scales Q's and K's colours in the search (0: match by guide alone)."""

    keep: torch.Tensor | None = None
    known: torch.Tensor | None = None
    key_mask: torch.Tensor | None = None
    key_cost: torch.Tensor | None = None  # added to a key's squared distance (key grid, float)
    region: tuple[slice, slice, slice] | None = None
    query_guide: torch.Tensor | None = None
    key_guide: torch.Tensor | None = None
    colour_weight: float = 1.0

    @property
    def settled(self) -> bool:
        """Nothing to fill at this level: every voxel is pinned."""
        return self.keep is not None and self.region is None

    def constrain(self, video: torch.Tensor) -> torch.Tensor:
        if self.keep is None or self.known is None:
            return video
        return torch.where(self.keep, self.known, video)

    def constrain_box(self, box: tuple[slice, slice, slice]) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """`constrain` for the part of the video inside `box`."""
        if self.keep is None or self.known is None:
            return None
        keep = self.keep[:, box[0], box[1], box[2]]
        known = self.known[:, box[0], box[1], box[2]]
        return lambda video: torch.where(keep, known, video)


@dataclass
class TaskContext:
    """What a task sees of the run: the (possibly downscaled) source's pyramid and plan."""

    request: Request
    settings: Settings
    device: torch.device
    levels: list[Level]
    pyramid: LazyPyramid
    scale: float  # source pixels per original pixel (max_side); 1.0 when not downscaled
    budgets: Budgets
    cancel: Callable[[], bool] | None = None
    notes: list[str] = field(default_factory=list)
    # A run of another duration (Task.retimes): the coarsest frame count of a run of the
    # source's own duration, where its default noise is measured. The sigma rule (the patch
    # spacing) was set on those levels; the 12 frames a retimed run keeps lie so close
    # together in time that the spacing, and the noise, fell until every seed of a longer
    # variation replayed the clip.
    noise_frames: int | None = None
    looped: bool = False  # a longer output drawn from the clip looped in time (run.py)


class Task:
    """The plain generator: variations of the source at the requested size."""

    name: ClassVar[str] = "generate"
    # Sigma of the coarsest noise when the request leaves it unset; None: from the clip
    # (Settings.noise_scale times its patch spacing, engine/noise.py).
    default_noise: ClassVar[float | None] = 0.0
    # A level's first search starts from the coarser level's matches, rescaled.
    warm_start: ClassVar[bool] = True
    # A seed whose first levels settle on the input's own layout is drawn again (run.py).
    redraws_copies: ClassVar[bool] = False
    # Settings.blend_seams applies (engine/seams.py): the output is the source's own
    # recombination, with no pinned voxels (inpainting's) or guide (analogy's) to keep.
    blends_seams: ClassVar[bool] = False
    # The source's black bars (engine/bars.py) are kept in place and the picture inside them
    # made: a recombination of the whole frame moves a pillarbox's bars into the picture.
    keeps_bars: ClassVar[bool] = False
    # Settings.coarse_completeness_alpha applies ("Keep subjects whole"): the layout is
    # drawn from noise, not pinned by a mask or a guide.
    keeps_whole: ClassVar[bool] = False
    # Another duration than the source's is drawn from the source looped in time, on a
    # coarsest level that keeps RETIME_MIN_FRAMES moments (run.py): a stretch in time
    # played the clip in slow motion, and a 3-frame coarsest level (one temporal patch)
    # froze it for half the output.
    retimes: ClassVar[bool] = False

    def __init__(self, request: Request) -> None:
        self.request = request
        self._sigma: dict[str, float] = {}  # measured sigma per device type (asked once per draw)

    def validate(self, source: np.ndarray) -> None:
        """Raise InputError for a request this task cannot do with this source."""

    def adjust(self, settings: Settings) -> Settings:
        """The task's own defaults on top of the user's settings."""
        return settings

    def noise(self, ctx: TaskContext) -> float:
        """The coarsest noise's sigma: the request's, else the task's default, else (None)
        measured on the first level run."""
        if self.request.noise is not None:
            return float(self.request.noise)
        if self.default_noise is not None:
            return self.default_noise
        if ctx.device.type not in self._sigma:
            s = ctx.settings
            # The same sigma for every seed, and the CPU's draw on every device (as the noise
            # is): a CUDA generator would sample other patches on a wide clip's grid.
            gen = torch.Generator().manual_seed(0)
            coarsest = ctx.pyramid[0]
            if ctx.noise_frames is not None and coarsest.shape[1] > ctx.noise_frames:
                coarsest = resize(coarsest, (ctx.noise_frames, *coarsest.shape[2:]), budgets=ctx.budgets,
                                  cancel=ctx.cancel)
            self._sigma[ctx.device.type] = auto_sigma(coarsest, ctx.levels[0].patch, s.noise_scale,
                                                      s.noise_mode, gen)
        return self._sigma[ctx.device.type]

    def output_shape(self, source: Shape3, scale: float) -> Shape3:
        """The output (T, H, W) for a source of shape `source` that was downscaled by `scale`:
        requested sizes are in the original's pixels, so they shrink by the same scale."""
        r = self.request
        t, h, w = source
        oh = max(1, round(r.height * scale)) if r.height else h
        ow = max(1, round(r.width * scale)) if r.width else w
        return (r.frames or t, oh, ow)

    def setups(self, ctx: TaskContext) -> list[LevelSetup | None]:
        """One setup per level, coarse to fine; None marks coarse levels the run skips."""
        return [LevelSetup() for _ in ctx.levels]

    def coarsest_query(self, ctx: TaskContext, setup: LevelSetup, generator: torch.Generator,
                       boost: float = 1.0) -> torch.Tensor:
        """Q at the first level run: the source resized to the output plus noise (times
        `boost` when a first draw gave a copy of the input). A longer output (Task.retimes)
        is the clip's own length, noise and all, looped: noise drawn along the whole output
        made each pass another variation, and the passes fought (a dancer dissolved halfway
        through the second one); looped, each pass holds the same layout."""
        source = ctx.pyramid[0]
        out_t, src_t = ctx.levels[0].output[0], source.shape[1]
        shape = (src_t, *ctx.levels[0].output[1:]) if ctx.looped else ctx.levels[0].output
        query = resize(source, shape, budgets=ctx.budgets, cancel=ctx.cancel)
        query = add_noise(query, self.noise(ctx) * boost, generator, ctx.settings.noise_mode,
                          smooth=ctx.settings.noise_smooth)
        if ctx.looped:  # the clip again after its end
            query = query[:, torch.arange(out_t, device=query.device) % src_t]
        return query

    def first_field(self, query_grid: Shape3, key_grid: Shape3, device: torch.device,
                    source_frames: int = 0) -> Coords | None:
        """Matches to start the first level's search from (None: a random field);
        source_frames: the source's frame count at that level."""
        return None
