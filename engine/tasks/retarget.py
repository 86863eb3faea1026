"""Retargeting: the source at a new width, height or duration, without noise, so the
output keeps the source's layout and only rearranges where the size changed."""

from __future__ import annotations

import torch

from engine.config import Shape3
from engine.patchmatch import identity_coords
from engine.tasks.base import Coords, Task


class Retarget(Task):
    name = "retarget"
    default_noise = 0.0
    blends_seams = True

    def first_field(self, query_grid: Shape3, key_grid: Shape3, device: torch.device) -> Coords | None:
        # Each query at the same relative place in the source: the right answer for an
        # unchanged size and a good start for a changed one.
        return tuple(identity_coords(query_grid, key_grid, device))  # type: ignore[return-value]
