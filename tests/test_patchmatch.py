import numpy as np
import torch

from engine.descriptors import describe, patch_grid, pca_basis
from engine.patchmatch import KeyTable, patchmatch
from engine.run import to_tensor
from tests.synth import moving_texture

PATCH = (3, 5, 5)


def _setup(q_video, k_video, dims=1000):
    gen = torch.Generator().manual_seed(0)
    basis = pca_basis(k_video, PATCH, dims, gen)
    qd, kd = describe(q_video, basis), describe(k_video, basis)
    qg = patch_grid(tuple(q_video.shape[1:]), PATCH)
    kg = patch_grid(tuple(k_video.shape[1:]), PATCH)
    return qd, qg, kd, kg, gen


def _exact(qd, kd):
    return torch.cdist(qd.double(), kd.double()).min(1).values ** 2


def test_patchmatch_close_to_brute_force():
    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, gen = _setup(q, k)
    table = KeyTable(kd, kg)
    f = patchmatch(qd, qg, table, generator=gen)
    exact = _exact(qd, kd)
    t, y, x = table.to_coords(f.idx)
    flat = ((t * kg[1] + y) * kg[2] + x).reshape(-1)
    found = ((kd.double()[flat] - qd.double()) ** 2).sum(1)
    assert found.mean() <= exact.mean() * 1.02


def test_shifted_copy_finds_exact_matches():
    video = to_tensor(moving_texture(6, 30, 40, seed=3), torch.device("cpu"))
    q = video[:, 1:, 3:, 2:].contiguous()  # the key shifted in T, H and W
    qd, qg, kd, kg, gen = _setup(q, video)
    table = KeyTable(kd, kg)
    f = patchmatch(qd, qg, table, generator=gen)
    # Recompute each found match's distance exactly (the texture repeats, so several keys
    # can be exact matches; any of them counts).
    t, y, x = table.to_coords(f.idx)
    flat = ((t * kg[1] + y) * kg[2] + x).reshape(-1)
    found = ((kd.double()[flat] - qd.double()) ** 2).sum(1)
    assert (found < 1e-8).float().mean() >= 0.95


def test_excluded_keys_are_never_used():
    video = to_tensor(moving_texture(5, 20, 24, seed=4), torch.device("cpu"))
    qd, qg, kd, kg, gen = _setup(video, video, dims=16)
    allowed = torch.ones(kg, dtype=torch.bool)
    allowed[:, :, : kg[2] // 2] = False
    table = KeyTable(kd, kg, allowed)
    f = patchmatch(qd, qg, table, generator=gen)
    _, _, x = table.to_coords(f.idx)
    assert int(x.min()) >= kg[2] // 2
    assert torch.isfinite(f.dist).all()


def test_reduced_descriptors_keep_most_energy():
    video = to_tensor(moving_texture(6, 24, 32), torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    full = describe(video, pca_basis(video, PATCH, 1000, gen))
    red = describe(video, pca_basis(video, PATCH, 16, gen))
    # Distances from one patch to all others: the reduced ones never exceed the exact ones.
    d_full = ((full - full[0]) ** 2).sum(1)
    d_red = ((red - red[0]) ** 2).sum(1)
    assert (d_red <= d_full * 1.0001 + 1e-4).all()
    assert np.corrcoef(d_full.numpy(), d_red.numpy())[0, 1] > 0.9
