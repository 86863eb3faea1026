"""Per-task recipes: the coarsest query and the per-level constraints (noise, masks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from engine.pyramid import Level, resize
from engine.request import Request

DEFAULT_NOISE = {"generate": 5.0, "retarget": 0.0, "inpaint": 1.0}


@dataclass
class LevelInput:
    """What a task pins at one level: voxels to keep and the keys allowed."""

    keep: torch.Tensor | None = None  # (1, T, H, W) bool: voxels copied from `known`
    known: torch.Tensor | None = None  # (C, T, H, W) the source at this level
    key_mask: torch.Tensor | None = None  # key grid bool: True = key may be used
    region: tuple[slice, slice, slice] | None = None  # (T, H, W) box to search; None = all

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


def noise_sigma(request: Request) -> float:
    return DEFAULT_NOISE[request.task] if request.noise is None else float(request.noise)


def level_inputs(request: Request, levels: list[Level], pyramid: Sequence[torch.Tensor],
                 device: torch.device, notes: list[str]) -> list[LevelInput | None]:
    """Per-level constraints; None marks coarse levels the run must skip (inpainting)."""
    if request.task == "inpaint":
        from engine.inpaint import inpaint_inputs

        return inpaint_inputs(request, levels, pyramid, device, notes)
    return [LevelInput() for _ in levels]


def coarsest_query(request: Request, level: Level, coarsest: torch.Tensor, first: LevelInput,
                   generator: torch.Generator) -> torch.Tensor:
    """Q at the coarsest level: the source resized to the output, plus noise that is drawn
    per spatial position and replicated along time (keeps motion coherent)."""
    if request.task == "inpaint":
        from engine.inpaint import initial_guess

        return initial_guess(request, level, coarsest, first, generator)
    query = resize(coarsest, level.output)
    sigma = noise_sigma(request)
    if sigma > 0:
        c, _, h, w = query.shape
        z = torch.randn((c, 1, h, w), generator=generator, device=generator.device).to(query.device)
        query = query + sigma * z
    return query
