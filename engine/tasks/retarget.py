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
    keeps_bars = True
    retimes = True

    def first_field(self, query_grid: Shape3, key_grid: Shape3, device: torch.device,
                    source_frames: int = 0) -> Coords | None:
        # Each query at the same relative place in the source: the right answer for an
        # unchanged size and a good start for a changed one. In time, a longer output is
        # the source looped (its coarsest query is), each query at its own moment of it.
        # A looped run's keys wrap (one per frame of the clip: k_t == source_frames), and
        # then every query takes its moment, however long the output: for one frame longer
        # the query grid is no longer than the keys' and was stretched over them, 1.2x at
        # the coarsest, which the warm searches never undid (a stutter mid-clip).
        coords = identity_coords(query_grid, key_grid, device)
        q_t, k_t = query_grid[0], key_grid[0]
        if source_frames and k_t >= source_frames and q_t != k_t:
            moment = (torch.arange(q_t, device=device) % source_frames).clamp(max=k_t - 1)
            coords[0] = moment.view(-1, 1, 1).expand(query_grid).contiguous()
        return tuple(coords)  # type: ignore[return-value]
