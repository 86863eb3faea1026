"""engine.noise: the coarsest level's noise (kinds, smoothing, default strength)."""

import math

import pytest
import torch

from engine.config import Settings
from engine.noise import add_noise, auto_sigma, smoothed


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _neighbour_correlation(z: torch.Tensor) -> float:
    """Correlation of horizontally adjacent values of a (C, T, H, W) field."""
    a, b = z[..., :-1].flatten(), z[..., 1:].flatten()
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def test_smoothed_noise_is_unit_and_spatially_correlated():
    z = torch.randn((3, 3, 15, 27), generator=_gen())
    s = smoothed(z, 1.0)
    assert s.shape == z.shape
    assert s.std().item() == pytest.approx(1.0, abs=1e-5)
    assert abs(_neighbour_correlation(z)) < 0.15
    assert _neighbour_correlation(s) > 0.6  # regions, not single voxels, move
    assert smoothed(z, 0.0) is z


def test_smoothing_keeps_frames_apart():
    """Blurred in space only: a frame's noise is not mixed into its neighbours'."""
    z = torch.zeros((1, 3, 15, 27))
    z[0, 1, 7, 13] = 1.0
    s = smoothed(z, 1.0)
    assert s[0, 0].abs().max() == 0 and s[0, 2].abs().max() == 0
    assert s[0, 1, 7, 13] > s[0, 1, 7, 15] > 0


@pytest.mark.parametrize("mode", ["replicated", "voxel", "mixed"])
def test_noise_kinds_are_seeded_and_shaped(mode):
    q = torch.zeros((3, 4, 15, 27))
    a = add_noise(q, 2.0, _gen(3), mode, smooth=1.0)
    b = add_noise(q, 2.0, _gen(3), mode, smooth=1.0)
    assert torch.equal(a, b)
    assert not torch.equal(a, add_noise(q, 2.0, _gen(4), mode, smooth=1.0))
    assert a.std().item() == pytest.approx(2.0, rel=0.1)
    same_over_time = torch.allclose(a[:, 0], a[:, 1])
    assert same_over_time == (mode == "replicated")


def test_mixed_noise_holds_half_its_variance_over_time():
    q = torch.zeros((3, 2, 60, 60))
    z = add_noise(q, 1.0, _gen(), "mixed", smooth=1.0)
    r = float(torch.corrcoef(torch.stack([z[:, 0].flatten(), z[:, 1].flatten()]))[0, 1])
    assert r == pytest.approx(0.5, abs=0.1)


def test_noise_only_where_asked():
    q = torch.zeros((3, 2, 15, 27))
    where = torch.zeros((1, 2, 15, 27), dtype=torch.bool)
    where[..., :10] = True
    z = add_noise(q, 1.0, _gen(), "mixed", where=where, smooth=1.0)
    assert z[..., 10:].abs().max() == 0 and z[..., :10].abs().max() > 0


def test_default_noise_is_smooth_mixed_and_scaled_to_the_clip():
    """Smooth mixed noise by default (README, How it works, Coarsest level): blurred in space,
    so neighbouring pixels move together, half of it the same in every frame; its sigma
    follows the clip's contrast."""
    s = Settings()
    assert s.noise_mode == "mixed" and s.noise_smooth > 0
    video = torch.randn((3, 3, 15, 27), generator=_gen())
    sigma = auto_sigma(video, (3, 7, 7), s.noise_scale, s.noise_mode, _gen())
    flat = auto_sigma(video * 0.5, (3, 7, 7), s.noise_scale, s.noise_mode, _gen())
    assert sigma > 0 and math.isclose(flat, sigma * 0.5, rel_tol=1e-6)
    q = torch.zeros((3, 3, 15, 27))
    smooth = add_noise(q, 1.0, _gen(), s.noise_mode, smooth=s.noise_smooth)
    white = add_noise(q, 1.0, _gen(), s.noise_mode)

    def corr(a: torch.Tensor, b: torch.Tensor) -> float:
        return float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1])

    # Neighbours along a row move together in the smooth noise, not in the white one.
    assert corr(smooth[..., :-1], smooth[..., 1:]) > 0.5
    assert abs(corr(white[..., :-1], white[..., 1:])) < 0.2
    # Half of it is shared by every frame.
    assert 0.3 < corr(white[:, 0], white[:, 1]) < 0.7


@pytest.mark.parametrize("value", [-1.0, float("nan"), 9.0])
def test_bad_smoothing_is_refused(value):
    from engine.errors import InputError
    with pytest.raises(InputError, match="noise_smooth"):
        Settings(noise_smooth=value).validate()
