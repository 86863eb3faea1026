"""engine.structure: the k-means quantiser, clip structures and sketch structures."""

import numpy as np
import pytest
import torch

from engine.errors import InputError
from engine.structure import (
    clip_structure,
    colour_map,
    count_tones,
    kmeans_1d,
    normalise,
    quantise,
    sketch_structure,
)
from tests.guided_synth import moving_square, sketch_frames


def clusters(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(m, 0.1, n) for m, n in ((0, 500), (5, 200), (10, 100))])


def test_kmeans_finds_sorted_centres():
    c = kmeans_1d(torch.from_numpy(clusters()), 3)
    assert c.shape == (3,)
    assert torch.all(c[1:] > c[:-1])
    assert torch.allclose(c, torch.tensor([0.0, 5.0, 10.0], dtype=c.dtype), atol=0.05)


def test_kmeans_is_deterministic_for_a_seed_and_subsamples():
    x = torch.from_numpy(np.tile(clusters(), 300))  # 240,000 values > the sample size
    a, b = kmeans_1d(x, 4, seed=3, sample=5000), kmeans_1d(x, 4, seed=3, sample=5000)
    assert torch.equal(a, b)


def test_kmeans_fewer_distinct_values_than_k():
    c = kmeans_1d(torch.tensor([1.0, 1.0, 4.0, 4.0, 4.0]), 5)
    assert c.tolist() == [1.0, 4.0]
    assert kmeans_1d(torch.zeros(10), 3).tolist() == [0.0]
    with pytest.raises(ValueError):
        kmeans_1d(torch.zeros(3), 0)


def test_quantise_levels_sorted_by_value_and_normalised():
    v = clusters().reshape(1, 8, 100).astype(np.float32)
    s = quantise(v, 3)
    assert s.levels == 3 and s.index.dtype == np.uint8
    assert s.index[v < 2].max() == 0 and s.index[v > 8].min() == 2
    assert np.unique(s.values).tolist() == pytest.approx([0.0, 0.5**0.25, 1.0])
    assert normalise(np.array([0, 1, 3]), 4).tolist() == pytest.approx([0, (1 / 3) ** 0.25, 1])
    with pytest.raises(InputError):
        quantise(v, 1)


def test_clip_structure_marks_the_moving_square():
    clip = moving_square(t=8, h=48, w=64)
    s = clip_structure(clip, 4)
    assert s.shape == clip.shape[:3] and s.levels == 4
    mid = s.index[4]
    y, x0 = 24, 32 + 2 * (4 - 4) - 8  # the square spans x0..x0+16 at frame 4
    assert mid[y, x0 + 8] == 3  # inside: the fastest level
    assert mid[2, 2] == 0 and mid[-3, -3] == 0  # far corners: still
    assert clip_structure(clip, 4) is s  # remembered


def test_clip_without_motion_is_refused():
    still = np.repeat(moving_square(t=1)[0:1], 5, axis=0)
    with pytest.raises(InputError, match="no motion"):
        clip_structure(still, 4, what="the motion clip")
    with pytest.raises(InputError, match="one frame"):
        clip_structure(still[:1], 4)


def test_sketch_strokes_on_white():
    sk = sketch_frames(t=6)
    s = sketch_structure(sk)
    assert s.levels == 2 and s.shape == (6, 48, 64)
    ink = (sk[..., 0] == 0)
    assert (s.values[ink] == 1).all() and (s.values[~ink] == 0).all()


def test_sketch_of_flat_colours_ranks_regions_by_darkness():
    img = np.full((1, 40, 60, 3), 255, np.uint8)
    img[0, :, 20:40] = (200, 40, 40)  # red: middle darkness
    img[0, :, 40:] = (20, 20, 90)  # dark blue: darkest
    assert count_tones(1 - img[..., 0:1].mean(-1) / 255) >= 2
    s = sketch_structure(img, frames_out=7)
    assert s.levels == 3 and s.shape == (7, 40, 60)  # one image held for 7 frames
    assert s.index[3, 5, 5] == 0 and s.index[3, 5, 30] == 1 and s.index[3, 5, 50] == 2


def test_blank_sketch_is_refused():
    with pytest.raises(InputError, match="no strokes"):
        sketch_structure(np.full((3, 30, 30, 3), 250, np.uint8))
    rng = np.random.default_rng(0)  # compression noise on the paper is no stroke either
    noisy = np.clip(250 + rng.normal(0, 4, (3, 64, 96, 3)), 0, 255).astype(np.uint8)
    with pytest.raises(InputError, match="no strokes"):
        sketch_structure(noisy)


def test_a_thin_stroke_counts():
    """A line the user can see is a sketch, however small a share of the frame it is (a
    6x80 line on 456x256 is 0.4%: a percentile test called it blank)."""
    img = np.full((5, 256, 456, 3), 255, np.uint8)
    img[:, 120:126, 100:180] = 0
    s = sketch_structure(img)
    assert s.levels == 2 and s.index[0, 122, 140] == 1 and s.index[0, 10, 10] == 0
    dot = np.full((1, 1080, 1920, 3), 255, np.uint8)  # an outline's worth on Full-HD
    dot[0, 500:502, 900:1000] = 0
    assert sketch_structure(dot).levels == 2
    with pytest.raises(InputError):
        sketch_structure(np.zeros((3, 30, 30), np.uint8))


def test_colour_map_shapes():
    c = colour_map(np.array([[0, 1], [2, 3]], np.uint8), 4)
    assert c.shape == (2, 2, 3) and c.dtype == np.uint8
    assert len({tuple(v) for v in c.reshape(-1, 3)}) == 4


def test_ink_speed_is_the_drawing_s_motion_along_its_outline():
    """A disc sliding v px a frame moves its outline (2/pi) v px on average along the
    outline's normal; a drawing held still, or one frame, does not move."""
    from engine.structure import ink_speed

    t, h, w, r = 9, 90, 200, 20
    yy, xx = np.mgrid[:h, :w]
    for v in (2, 6, 12):
        frames = np.full((t, h, w, 3), 255, np.uint8)
        for i in range(t):
            frames[i][(yy - 45) ** 2 + (xx - 40 - v * i) ** 2 < r * r] = 0
        assert ink_speed(frames) == pytest.approx(2 / np.pi * v, rel=0.2)
        held = np.repeat(frames[:1], t, axis=0)
        assert ink_speed(held) == 0.0 and ink_speed(frames[:1]) == 0.0
