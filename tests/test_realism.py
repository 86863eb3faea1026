"""The realism score: a copy of the input is realistic (and marked as a copy), a clean
variation scores well, a video with pieces that exist nowhere in the input is flagged."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import Cancelled
from engine.realism import RealismScorer, realism
from engine.request import Request
from tests.synth import balloon_scene, final


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return balloon_scene(t=10, h=64, w=96)


def test_copy_is_realistic_and_marked_as_copy(clip):
    r = realism(clip, clip)
    assert r.score > 99 and not r.flagged and r.near_copy


def test_broken_video_is_flagged_and_scores_lower(clip):
    """Ground pasted into the sky and sky-coloured blobs over the objects: the artifacts
    the score is for."""
    broken = clip.copy()
    h = clip.shape[1]
    broken[:, 5:5 + h // 4, 10:60] = clip[:, -h // 4:, 10:60]  # a band of ground in the sky
    broken[:, 20:40, 50:80] = clip[0, 2, 2]  # a flat blob
    scorer = RealismScorer(clip)
    bad, ok = scorer(broken), scorer(final(clip, Request(seed=0)).frames)
    assert bad.flagged and bad.score < ok.score
    assert not ok.near_copy
    t, y, x = bad.worst  # the worst place is on an artifact
    assert y < 5 + h // 4 + 8 or (20 <= y < 40 and 50 <= x < 80)


def test_deterministic_and_cancellable(clip):
    scorer = RealismScorer(clip)
    out = clip[:, :, ::-1].copy()
    assert scorer(out) == scorer(out)
    with pytest.raises(Cancelled):
        scorer(out, cancel=lambda: True)


def test_other_output_sizes(clip):
    r = realism(clip, clip[:6, :40, :70].copy())
    assert 0 <= r.score <= 100
