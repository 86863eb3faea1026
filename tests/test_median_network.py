import pytest
import torch

from engine import median_network
from engine.median_network import median_network as network
from engine.median_network import median_rows
from engine.patchmatch import identity_coords
from engine.vote import vote


@pytest.mark.parametrize("n", [1, 2, 3, 9, 26, 27, 45, 147])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16, torch.int32, torch.float32])
def test_network_gives_torch_median(n: int, dtype: torch.dtype, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row count the votes use (27 of the lattice, 147 of the paper's vote, even
    counts too), with ties (bytes), on every dtype the votes use."""
    monkeypatch.setattr(median_network, "SMALL", 0)  # the network even on small rows
    g = torch.Generator().manual_seed(n)
    hi = 255 if dtype == torch.uint8 else 30000
    x = torch.randint(0, hi, (n, 5, 101), generator=g).to(dtype)
    before = x.clone()
    assert torch.equal(median_rows(x), x.median(dim=0).values)
    assert torch.equal(x, before)  # the input is left as it was


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("n, length", [(27, 1000), (147, 20_000), (27, 300_000)])
def test_gpu_rows_give_the_cpu_median(n: int, length: int) -> None:
    """On a GPU short rows take torch.median and long ones the network: the same values."""
    x = torch.randint(0, 30000, (n, length), generator=torch.Generator().manual_seed(n)).to(torch.int16)
    assert torch.equal(median_rows(x.cuda()).cpu(), x.median(dim=0).values)


def test_network_is_pruned_to_the_median() -> None:
    assert len(network(27)) == 126  # of Batcher's 156 for 27 rows
    assert network(1) == ()


def test_large_luma_vote_takes_the_median_luminance_vote() -> None:
    """A level big enough for the network: every voxel takes the colour of the vote whose
    luminance is the median of its 27 lattice votes (brute force over random matches)."""
    torch.manual_seed(0)
    v = torch.randint(0, 256, (3, 5, 40, 60)).float() / 127.5 - 1
    grid = (3, 34, 54)
    g = torch.Generator().manual_seed(1)
    mt, my, mx = (torch.randint(0, n, grid, generator=g) for n in grid)
    out = vote(v, (mt, my, mx), (3, 7, 7), reduce="luma", stride=3)
    assert out.shape[1] * out.shape[2] * out.shape[3] >= median_network.SMALL
    luma = (v * torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1, 1)).sum(0)
    # Voxel (2, 20, 30) is covered by every lattice offset's patch.
    t, y, x = 2, 20, 30
    votes = []
    for a in range(3):
        for b in (0, 3, 6):
            for d in (0, 3, 6):
                p = (t - a, y - b, x - d)
                src = (int(mt[p]) + a, int(my[p]) + b, int(mx[p]) + d)
                votes.append((float(luma[src]), tuple(v[(slice(None), *src)].tolist())))
    votes.sort(key=lambda lv: lv[0])
    median_luma = votes[13][0]
    allowed = {c for lum, c in votes if abs(lum - median_luma) < 2 / 1023}  # the key's quantum
    assert tuple(out[:, t, y, x].tolist()) in allowed


def test_large_votes_of_own_patches_are_exact() -> None:
    v = torch.rand(3, 6, 40, 50) * 2 - 1
    grid = (4, 34, 44)
    coords = identity_coords(grid, grid, torch.device("cpu"))
    for reduce, stride in (("luma", 3), ("luma", 2), ("luma", 1)):
        assert torch.equal(vote(v, coords, (3, 7, 7), reduce=reduce, stride=stride), v)
    codes = torch.randint(0, 256, (3, 6, 40, 50)).float() / 127.5 - 1
    assert torch.equal(vote(codes, coords, (3, 7, 7), reduce="median"), codes)


def test_overwriting_the_rows_gives_the_same_median():
    x = torch.randint(-500, 500, (27, 5000), generator=torch.Generator().manual_seed(3), dtype=torch.int16)
    kept = x.clone()
    assert torch.equal(median_rows(x.clone(), overwrite=True), median_rows(x))
    assert torch.equal(x, kept)
