"""How new a variation looks: the share of its detail that is not the input's at that place.

The realism score ranks the variations nearest the input first (most of a partial copy is
the input, so its least realistic parts are the grid's most realistic), and a yes/no copy
mark is arbitrary on clips whose background stays put in every variation
(docs/quality_notes.md, 50). A ranking needs no threshold: this is a share, read on the
realism score's small frames (short side about 48 pixels), of where the variation differs
from the input at the same place and time by more than `CHANGED`, each pixel weighed by
how much it stands out from its surroundings in either video (its grey minus the grey's
local mean), so that a flat sky or glow, alike in every variation, does not decide it.
0 for a copy of the input; a variation whose subjects all moved scores 0.6-0.8
(docs/quality_notes.md, 56).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.metrics import GREY

CHANGED = 8 / 255  # a grey difference, in [0, 1], that counts as changed: a coding step does not
RADIUS = 3  # pixels of the small frames: the neighbourhood a pixel stands out from


def _grey(video: torch.Tensor) -> torch.Tensor:
    """(3, T, h, w) in [0, 1] -> (T, h, w)."""
    return (video * torch.tensor(GREY, dtype=video.dtype).view(3, 1, 1, 1)).sum(0)


def _detail(grey: torch.Tensor) -> torch.Tensor:
    """How far each pixel stands out from its neighbourhood's mean grey (frame by frame)."""
    k = 2 * RADIUS + 1
    mean = F.avg_pool2d(grey[:, None], k, stride=1, padding=RADIUS, count_include_pad=False)[:, 0]
    return (grey - mean).abs()


def newness(source: torch.Tensor, output: torch.Tensor) -> float:
    """The share (0-1) of the output's and the input's detail where the output differs from
    the input at the same place and time; both (3, T, h, w) in [0, 1], of one shape."""
    if source.shape != output.shape:
        raise ValueError(f"newness needs videos of one shape, got {tuple(source.shape)} and "
                         f"{tuple(output.shape)}")
    a, b = _grey(source), _grey(output)
    changed = ((a - b).abs() > CHANGED).float()
    weight = torch.maximum(_detail(a), _detail(b))
    total = float(weight.sum())
    if total <= 1e-6:  # flat frames: every pixel counts alike
        return float(changed.mean())
    return float((changed * weight).sum()) / total

