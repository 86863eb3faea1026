import torch

from engine.patchmatch import identity_coords
from engine.vote import vote


def test_median_vote_of_own_patches_is_exact():
    v = torch.rand(3, 6, 17, 23) * 2 - 1
    grid = (4, 11, 17)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    out = vote(v, coords, (3, 7, 7))
    assert torch.equal(out, v)


def test_mean_and_strided_votes_of_own_patches():
    v = torch.rand(3, 5, 12, 14)
    grid = (3, 6, 8)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    assert torch.allclose(vote(v, coords, (3, 7, 7), reduce="mean"), v, atol=1e-6)
    assert torch.equal(vote(v, coords, (3, 7, 7), stride=3), v)


def test_median_ignores_a_single_outlier_patch():
    v = torch.rand(1, 5, 15, 15)
    grid = (3, 9, 9)
    t, y, x = identity_coords(grid, grid, torch.device("cpu"))
    y[1, 4, 4], x[1, 4, 4] = 0, 8  # one query patch matches somewhere else
    median = vote(v, (t, y, x), (3, 7, 7))
    mean = vote(v, (t, y, x), (3, 7, 7), reduce="mean")
    assert torch.equal(median, v)
    assert not torch.allclose(mean, v)
