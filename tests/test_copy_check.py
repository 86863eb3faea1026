"""engine.copy_check: a seed is a copy when most of its matches share one displacement,
the input's own place or a shift of it; a variation is pieces with displacements of their own."""

import pytest
import torch

from engine.copy_check import copy_fraction
from engine.patchmatch import identity_coords

GRID = (3, 17, 41)


def own():
    return identity_coords(GRID, GRID, torch.device("cpu"))


def test_the_input_itself_is_a_copy():
    assert copy_fraction(own(), GRID, GRID) == pytest.approx(1.0)


def test_a_shifted_input_is_a_copy_too():
    t, y, x = own()
    shifted = [t, (y + 2).clamp(max=GRID[1] - 1), (x - 3).clamp(min=0)]
    assert copy_fraction(shifted, GRID, GRID) > 0.85
    # Within a voxel of one displacement counts as the same (a copy jitters a little).
    jitter = torch.randint(-1, 2, x.shape, generator=torch.Generator().manual_seed(0))
    assert copy_fraction([t, y, (x + 5 + jitter).clamp(0, GRID[2] - 1)], GRID, GRID) > 0.85


def test_pieces_with_their_own_displacements_are_a_variation():
    t, y, x = own()
    g = torch.Generator().manual_seed(1)
    scattered = [torch.randint(0, n, GRID, generator=g) for n in GRID]
    assert copy_fraction(scattered, GRID, GRID) < 0.1
    # Half kept in place (a static background), half moved by another shift: 0.5.
    half = [t, y, torch.where(x < GRID[2] // 2, x, (x - 12).clamp(min=0))]
    assert copy_fraction(half, GRID, GRID) == pytest.approx(0.5, abs=0.05)


def test_a_retarget_is_never_a_copy():
    t, y, x = identity_coords((3, 17, 30), GRID, torch.device("cpu"))
    assert copy_fraction([t, y, x], (3, 17, 30), GRID) == 0.0


def test_another_duration_is_a_copy_when_it_replays_the_clip():
    """A shorter output that is one stretch of the clip, or a longer one that replays the
    clip's loop (its own place in time modulo the clip's length), is the input again."""
    _, y, x = own()
    long_grid = (GRID[0] * 2 + 1, *GRID[1:])
    t = torch.arange(long_grid[0]).view(-1, 1, 1).expand(long_grid)
    y2, x2 = (v[:1].expand(long_grid) for v in (y, x))
    replay = [t % GRID[0], y2, x2]
    assert copy_fraction(replay, long_grid, GRID, period=GRID[0]) > 0.85
    assert copy_fraction(replay, long_grid, GRID) < 0.85  # without the loop: two displacements
    short_grid = (2, *GRID[1:])
    stretch = [torch.ones(short_grid, dtype=torch.long), y[:2], x[:2]]  # frames 1-2
    assert copy_fraction(stretch, short_grid, GRID) == pytest.approx(1.0)
