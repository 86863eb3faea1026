"""How new a variation looks: 0 for the input again, high where its subjects moved, the
same flat background in every variation not deciding it; not measured for a retarget."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.newness import CHANGED, newness
from engine.realism import RealismScorer, newness_of, realism
from tests.synth import balloon_scene


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return balloon_scene(t=8, h=64, w=96)


def _unit(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).float().div(255).permute(3, 0, 1, 2)


def test_a_copy_is_not_new_and_a_moved_scene_is(clip):
    src = _unit(clip)
    assert newness(src, src) == 0.0
    # Coding noise under the tolerance is not a change.
    noisy = (src + (CHANGED / 2) * torch.sign(torch.randn_like(src))).clamp(0, 1)
    assert newness(src, noisy) < 0.05
    # The sky and its balloons slid sideways by a third of the frame, the ground (the most
    # detailed part) in place; then the ground slid too.
    moved = clip.copy()
    ground = int(clip.shape[1] * 0.78)
    moved[:, :ground] = np.roll(clip[:, :ground], clip.shape[2] // 3, axis=2)
    sky_moved = newness(src, _unit(moved))
    moved[:, ground:] = np.roll(clip[:, ground:], clip.shape[2] // 3, axis=2)
    assert 0.25 < sky_moved < newness(src, _unit(moved)) - 0.2


def test_weighed_by_detail_not_by_area():
    """A flat glow that every variation keeps does not make them look like copies: one
    bright square moved on a flat frame counts for far more than the area it covers (its
    edges and the halo around them, unchanged, share the weight)."""
    src = np.full((4, 48, 48, 3), 90, np.uint8)
    src[:, 10:18, 10:18] = 250
    out = np.full_like(src, 90)
    out[:, 30:38, 30:38] = 250
    share_of_area = float((np.abs(out.astype(int) - src).max(-1) > 8).mean())
    assert share_of_area < 0.1
    assert newness(_unit(src), _unit(out)) > 4 * share_of_area
    flat = np.full_like(src, 90)
    assert newness(_unit(flat), _unit(flat + 20)) == 1.0  # no detail anywhere: by area


def test_needs_one_shape(clip):
    with pytest.raises(ValueError, match="one shape"):
        newness(_unit(clip), _unit(clip[:, :32]))


def test_the_realism_score_carries_it(clip):
    """Measured on the score's small frames beside the realism; None for another size or
    length (a retarget), where no place stands for the same place in the input."""
    scorer = RealismScorer(clip)
    assert scorer(clip).new == 0.0
    rolled = np.roll(clip, clip.shape[2] // 2, axis=2)
    assert scorer(rolled).new > 0.5
    assert realism(clip, clip[:6]).new is None
    assert realism(clip, clip[:, :40, :70].copy()).new is None
    # The same figure from the frames alone (the bench's column).
    assert newness_of(clip, rolled) == pytest.approx(scorer(rolled).new, abs=1e-6)
    assert newness_of(clip, clip[:6]) is None
