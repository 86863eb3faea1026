import math

import pytest
import torch

from engine.config import Settings
from engine.pyramid import plan_levels, resize


def test_paper_shapes_for_144p():
    plan = plan_levels((13, 144, 256), (13, 144, 256), Settings())
    first, last = plan.levels[0], plan.levels[-1]
    assert last.source == (13, 144, 256)
    assert first.source[0] == 3 and min(first.source[1:]) == 15
    assert all(lv.patch == (3, 7, 7) for lv in plan.levels)
    # The paper's 5 EM iterations, but 3 on the fine levels (over Settings.fine_voxels).
    fine = [math.prod(lv.output) > Settings().fine_voxels for lv in plan.levels]
    assert fine == [False] * (len(fine) - 4) + [True] * 4
    assert [lv.em_iters for lv in plan.levels] == [5 if not f else 3 for f in fine]
    # Every level shrinks by 0.82 in space until the minimum (never below it).
    sides = [min(lv.source[1:]) for lv in plan.levels]
    assert sides == sorted(sides) and sides[0] >= 15
    assert not plan.notes


@pytest.mark.parametrize("shape", [(7, 33, 51), (5, 17, 99), (40, 15, 15), (3, 64, 48)])
def test_odd_sizes_and_short_clips(shape):
    plan = plan_levels(shape, shape, Settings())
    assert plan.levels[-1].source == shape
    for lv in plan.levels:
        assert all(s >= p for s, p in zip(lv.source, lv.patch, strict=True))
        assert all(s >= p for s, p in zip(lv.output, lv.patch, strict=True))


def test_single_image_uses_temporal_patch_one():
    plan = plan_levels((1, 90, 120), (1, 90, 120), Settings())
    assert all(lv.patch[0] == 1 and lv.source[0] == 1 for lv in plan.levels)
    assert any("patches span 1 frame instead of 3" in n for n in plan.notes)


def test_two_frame_clip_and_tiny_frame_adapt():
    plan = plan_levels((2, 10, 12), (2, 10, 12), Settings())
    assert plan.levels[-1].patch == (2, 7, 7)
    assert len(plan.levels) == 1
    tiny = plan_levels((4, 5, 6), (4, 5, 6), Settings())
    assert tiny.levels[-1].patch[1:] == (5, 5)
    assert any("pixels instead of 7x7" in n for n in tiny.notes)


@pytest.mark.parametrize("source,output", [((13, 72, 128), (1, 36, 64)), ((4, 720, 16), (2, 360, 8)),
                                           ((7, 5, 300), (3, 2, 150)), ((2, 30, 30), (1, 4, 4))])
def test_patches_fit_an_output_smaller_than_a_patch(source, output):
    # A retarget to fewer frames or a thinner frame than the patch had no patch to search
    # for and crashed; the patch now fits both videos at every level.
    plan = plan_levels(source, output, Settings())
    assert plan.levels[-1].output == output
    for lv in plan.levels:
        assert all(min(s, o) >= p for s, o, p in zip(lv.source, lv.output, lv.patch, strict=True))
    assert any("output" in n and "instead of" in n for n in plan.notes)


def test_large_levels_use_cheaper_settings():
    plan = plan_levels((16, 1080, 1920), (16, 1080, 1920), Settings())
    big = [lv for lv in plan.levels if math.prod(lv.source) > 3_000_000]
    assert big and all(lv.patch == (3, 5, 5) and lv.em_iters == 1 for lv in big)


def test_retarget_output_shapes_scale_with_levels():
    plan = plan_levels((10, 60, 80), (20, 60, 160), Settings())
    assert plan.levels[-1].output == (20, 60, 160)
    assert plan.levels[0].output[2] > plan.levels[0].source[2]


def test_resize_identity_and_shapes():
    v = torch.rand(3, 6, 20, 30)
    assert torch.equal(resize(v, (6, 20, 30)), v)
    assert resize(v, (4, 11, 17)).shape == (3, 4, 11, 17)
    assert resize(v, (9, 40, 45)).shape == (3, 9, 40, 45)


@pytest.mark.parametrize("shape", [(11, 118, 210), (13, 144, 256), (3, 15, 27), (20, 200, 300), (7, 144, 300), (4, 9, 13)])
def test_gathered_taps_match_pytorchs_kernel(shape):
    """The device-independent path (used on CUDA) agrees with PyTorch's CPU kernel."""
    x = torch.rand(3, 13, 144, 256, generator=torch.Generator().manual_seed(0)) * 2 - 1
    a = resize(x, shape)
    b = resize(x, shape, method="taps")
    assert a.shape == b.shape == (3, *shape)
    assert (a - b).abs().max() < 1e-4


def test_large_factors_shrink_without_losing_content():
    """A 1080p frame to 15 px (a factor of 72, which CUDA's own kernel refuses): the taps
    cover the whole frame, so the mean colour survives and nothing rings."""
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 4, 1080, 1920, generator=g) * 0.2 + torch.tensor([0.5, -0.3, 0.1])[:, None, None, None]
    for method in ("auto", "taps"):
        y = resize(x, (3, 15, 27), method=method)
        assert y.shape == (3, 3, 15, 27)
        assert torch.allclose(y.mean((1, 2, 3)), x.mean((1, 2, 3)), atol=2e-3)
        assert y.std((1, 2, 3)).max() < 0.01  # averaged down, not aliased


def test_resize_checks_cancel():
    from engine.errors import Cancelled

    x = torch.zeros(3, 6, 64, 64)
    with pytest.raises(Cancelled):
        resize(x, (6, 32, 32), cancel=lambda: True)
    with pytest.raises(Cancelled):
        resize(x, (6, 32, 32), cancel=lambda: True, method="taps")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_resize_at_large_factors_matches_cpu():
    x = torch.rand(3, 4, 1080, 1920)
    cpu = resize(x, (3, 15, 27))
    gpu = resize(x.cuda(), (3, 15, 27)).cpu()
    assert (cpu - gpu).abs().max() < 1e-4


def test_coarsest_em_iterations_can_differ():
    plan = plan_levels((13, 144, 256), (13, 144, 256), Settings(coarsest_em_iters=1, fine_em_iters=None))
    assert plan.levels[0].em_iters == 1 and all(lv.em_iters == 5 for lv in plan.levels[1:])
    plain = plan_levels((13, 144, 256), (13, 144, 256), Settings(fine_em_iters=None))
    assert all(lv.em_iters == 5 for lv in plain.levels)


def test_fine_levels_run_their_own_em_iterations():
    """Levels whose output exceeds fine_voxels take fine_em_iters (never more than em_iters);
    the large levels keep their single iteration; None turns it off."""
    shape = (16, 1080, 1920)
    plan = plan_levels(shape, shape, Settings())
    for lv in plan.levels:
        fine = math.prod(lv.output) > Settings().fine_voxels
        assert lv.em_iters == (1 if lv.large else 3 if fine else 5)
    assert any(not lv.large and lv.em_iters == 3 for lv in plan.levels)
    assert all(lv.em_iters <= 2 for lv in plan_levels(shape, shape, Settings(em_iters=2)).levels)
    off = plan_levels(shape, shape, Settings(fine_em_iters=None))
    assert all(lv.em_iters == (1 if lv.large else 5) for lv in off.levels)


@pytest.mark.parametrize("shape", [(4, 20, 30), (9, 40, 64), (3, 5, 7)])
def test_resize_in_small_slabs_gives_the_same_video(shape):
    """Spatial slabs of frames and temporal slabs of rows, each written into the result,
    give the values of whole passes."""
    from engine.chunks import Budgets

    video = torch.rand((3, 7, 30, 50), generator=torch.Generator().manual_seed(2)) * 2 - 1
    whole = resize(video, shape)
    small = resize(video, shape, budgets=Budgets(resize_elements=1 << 12))
    assert small.is_contiguous() and torch.equal(small, whole)


def test_the_taps_are_summed_in_one_order_whatever_the_slab():
    """The taps' weighted sum was a reduction, whose order CUDA's kernel sets from the
    tensor's shape, so the slab (from the work budgets) could change a seed's frames on a
    GPU: it is summed tap by tap. The same numbers as the product's sum, to rounding."""
    from engine.pyramid import _weighted_taps, resize_taps

    g = torch.Generator().manual_seed(0)
    idx, w = resize_taps(40, 9, torch.device("cpu"), torch.float32)
    x = torch.rand(6, 40, 13, generator=g)
    part = x.index_select(1, idx.reshape(-1)).view(6, 9, idx.shape[1], 13)
    whole = _weighted_taps(part, w)
    torch.testing.assert_close(whole, (part * w[None, :, :, None]).sum(2))
    pieces = torch.cat([_weighted_taps(part[:, :, :, c : c + 2], w) for c in range(0, 13, 2)], -1)
    assert torch.equal(pieces, whole)
