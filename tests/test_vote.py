import torch

from engine.colour import from_codes, to_codes
from engine.patchmatch import identity_coords
from engine.vote import vote


def colours(*shape: int) -> torch.Tensor:
    """Random 8-bit colours in the engine's range [-1, 1], as a decoded clip gives them."""
    return torch.randint(0, 256, shape).float() / 127.5 - 1


def test_median_vote_of_own_patches_is_exact():
    v = colours(3, 6, 17, 23)
    grid = (4, 11, 17)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    out = vote(v, coords, (3, 7, 7))
    assert torch.equal(out, v)


def test_mean_and_strided_votes_of_own_patches():
    v = colours(3, 5, 12, 14)
    grid = (3, 6, 8)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    assert torch.allclose(vote(v, coords, (3, 7, 7), reduce="mean"), v, atol=1e-6)
    assert torch.equal(vote(v, coords, (3, 7, 7), stride=3), v)


def test_median_ignores_a_single_outlier_patch():
    v = colours(1, 5, 15, 15)
    grid = (3, 9, 9)
    t, y, x = identity_coords(grid, grid, torch.device("cpu"))
    y[1, 4, 4], x[1, 4, 4] = 0, 8  # one query patch matches somewhere else
    median = vote(v, (t, y, x), (3, 7, 7))
    mean = vote(v, (t, y, x), (3, 7, 7), reduce="mean")
    assert torch.equal(median, v)
    assert not torch.allclose(mean, v)


def test_median_on_bytes_is_the_rounded_float_median():
    """The median runs on 8-bit levels: on any values (a coarse level's resized colours, a
    little outside [-1, 1] included) it equals the float median rounded to those levels."""
    v = torch.rand(3, 5, 16, 18) * 2.1 - 1.05
    grid = (3, 10, 12)
    g = torch.Generator().manual_seed(3)
    mt, my, mx = (torch.randint(0, n, grid, generator=g) for n in grid)
    out = vote(v, (mt, my, mx), (3, 7, 7))
    # Brute force: the patch at p votes v[match(p) + o] for the voxel p + o, for all 147
    # offsets o; voxels covered by every offset's patch are compared.
    votes = torch.full((147, 3, 5, 16, 18), float("nan"))
    offsets = [(a, b, d) for a in range(3) for b in range(7) for d in range(7)]
    for i, (a, b, d) in enumerate(offsets):
        votes[i, :, a:a + 3, b:b + 10, d:d + 12] = v[:, mt + a, my + b, mx + d]
    inner = (slice(None), slice(2, 3), slice(6, 10), slice(6, 12))
    expected = from_codes(to_codes(votes.median(0).values[inner]), v.dtype)
    assert not votes[(slice(None), *inner)].isnan().any()
    assert torch.equal(out[inner], expected)


def test_shipped_luma_vote_of_own_patches_is_exact():
    """The lattice vote (luminance median of the votes at offsets 0, 3, 6 by default, or
    1, 3, 5) gives a video back from its own patches, at strides 1, 2 and 3."""
    v = torch.rand(3, 6, 17, 23) * 2 - 1
    grid = (4, 11, 17)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    for stride in (1, 2, 3):
        assert torch.equal(vote(v, coords, (3, 7, 7), reduce="luma", stride=stride), v)


def test_luma_vote_takes_a_real_colour_and_outvotes_a_stray_patch():
    """Each voxel takes a whole colour from one vote (never a per-channel mix), and one
    stray match among its neighbours' changes nothing."""
    v = torch.rand(3, 5, 15, 15) * 2 - 1
    grid = (3, 9, 9)
    t, y, x = identity_coords(grid, grid, torch.device("cpu"))
    y[1, 4, 4], x[1, 4, 4] = 0, 8
    out = vote(v, (t, y, x), (3, 7, 7), reduce="luma", stride=2)
    assert torch.equal(out, v)
    # Two halves copied from different places: every output colour is one of the source's.
    t2, y2, x2 = identity_coords(grid, grid, torch.device("cpu"))
    x2[:, :, 4:] = (x2[:, :, 4:] - 2).clamp(min=0)
    mixed = vote(v, (t2, y2, x2), (3, 7, 7), reduce="luma", stride=2)
    colours = {tuple(c) for c in v.reshape(3, -1).T.tolist()}
    assert all(tuple(c) in colours for c in mixed.reshape(3, -1).T.tolist())


def test_vote_lattice_is_centred():
    from engine.vote import _lattice

    assert _lattice(7, 2) == [1, 3, 5]
    assert _lattice(7, 3) == [0, 3, 6]
    assert _lattice(5, 2) == [0, 2, 4]
    # A stride over half the patch still reaches both edges (the large levels' 5x5 patches
    # under the default stride 3), never the centre alone.
    assert _lattice(5, 3) == [0, 2, 4]
    assert _lattice(3, 2) == [0, 1, 2]
    assert _lattice(7, 1) == list(range(7))


def test_votes_in_row_chunks_give_the_whole_frames_video():
    """A Full-HD frame's votes pass the chunk budget; they are then taken rows at a time,
    and every voxel gets the same vote as in a whole-frame chunk."""
    from engine.chunks import Budgets

    value = colours(3, 6, 20, 30)
    g = torch.Generator().manual_seed(1)
    coords = tuple(torch.randint(0, n, (5, 16, 24), generator=g) for n in (4, 14, 24))
    for reduce in ("luma", "median"):
        whole = vote(value, coords, (3, 7, 7), reduce=reduce, stride=3)
        for budget in (1, 9000, 60000):
            rows = vote(value, coords, (3, 7, 7), reduce=reduce, stride=3, budgets=Budgets(vote_bytes=budget))
            assert torch.equal(rows, whole), (reduce, budget)


def test_32_bit_source_indices_give_the_64_bit_video(monkeypatch):
    import engine.vote as vote_module

    value = colours(3, 6, 20, 30)
    g = torch.Generator().manual_seed(2)
    coords = tuple(torch.randint(0, n, (5, 16, 24), generator=g) for n in (4, 14, 24))
    short = {r: vote(value, coords, (3, 7, 7), reduce=r, stride=3) for r in ("luma", "median", "mean")}
    monkeypatch.setattr(vote_module, "INT32_VOXELS", 0)
    for r, video in short.items():
        assert torch.equal(vote(value, coords, (3, 7, 7), reduce=r, stride=3), video), r
