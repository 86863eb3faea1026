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


def test_early_rejection_gives_the_full_dimension_result():
    """Screening candidates on the leading dimensions and reading the rest only for those
    that can still win returns exactly the field of a search on all dimensions."""
    import engine.patchmatch as pm

    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, _ = _setup(q, k, dims=64)
    fields = []
    for head in (16, 64):
        old, pm.HEAD_DIMS = pm.HEAD_DIMS, head
        try:
            f = patchmatch(qd, qg, KeyTable(kd, kg), generator=torch.Generator().manual_seed(3))
        finally:
            pm.HEAD_DIMS = old
        fields.append(f)
    assert torch.equal(fields[0].idx, fields[1].idx)
    assert torch.allclose(fields[0].dist, fields[1].dist, rtol=1e-5, atol=1e-5)


def test_randomized_basis_spans_the_top_principal_axes():
    video = to_tensor(moving_texture(6, 40, 56, seed=5), torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    fast = pca_basis(video, (3, 7, 7), 24, gen).reshape(24, -1).double()
    x = torch.nn.functional.unfold(video.reshape(-1, 40, 56)[None], 7)  # not used: shape check
    assert x.shape[1] == 18 * 49
    exact = pca_basis(video, (3, 7, 7), 441, gen)  # identity: everything
    assert exact.shape[0] == 441
    # Orthonormal rows, and the strongest axes first: projections' variance decreases.
    assert torch.allclose(fast @ fast.T, torch.eye(24, dtype=torch.float64), atol=1e-5)
    d = describe(video, fast.float().reshape(24, 3, 3, 7, 7))
    var = d.var(0)
    assert var[:4].min() > var[-4:].max()


def test_warm_start_carries_a_coherent_copy_up_a_level():
    """A coarse field that copies the keys shifted by 3 pixels becomes, one level up, a
    field shifted by 3 / 0.82 pixels where neighbours point at neighbouring keys."""
    from engine.patchmatch import identity_coords, rescale_coords

    coarse, fine, patch = (3, 15, 27), (4, 18, 33), (3, 7, 7)
    cg = patch_grid(coarse, patch)
    fg = patch_grid(fine, patch)
    t, y, x = identity_coords(cg, cg, torch.device("cpu"))
    out = rescale_coords((t, y, (x + 3).clamp(max=cg[2] - 1)), coarse, coarse, patch, fine, fine, patch)
    ft, fy, fx = identity_coords(fg, fg, torch.device("cpu"))
    shift = out[2] - fx
    inner = shift[:, :, 1:18]
    assert inner.min() >= 3 and inner.max() <= 4  # 3 * 33 / 27 = 3.7 pixels
    same = identity_coords(fg, fg, torch.device("cpu"))
    ident = rescale_coords(identity_coords(cg, cg, torch.device("cpu")), coarse, coarse, patch, fine, fine, patch)
    assert all((a - b).abs().max() <= 1 for a, b in zip(ident, same, strict=True))
    # Coherence: horizontal neighbours mostly point at horizontal neighbours.
    steps = (out[2][:, :, 1:] - out[2][:, :, :-1])[:, :, :16]
    assert (steps == 1).float().mean() > 0.7


def test_measuring_only_changed_candidates_gives_the_same_field():
    """Candidates equal to a query's current match are skipped (their distance is known and
    cannot win): cold and warm searches, with excluded keys, with completeness weights and
    with early rejection, give exactly the field of measuring every candidate, and so does
    the GPU's search, which skips nothing."""
    import engine.patchmatch as pm

    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, _ = _setup(q, k, dims=64)
    allowed = torch.ones(kg, dtype=torch.bool)
    allowed[:, :4] = False
    weights = torch.rand(kg[0] * kg[1] * kg[2], generator=torch.Generator().manual_seed(5)) + 0.5

    def search(share: float, skim: bool = True, **kw) -> pm.Field:
        old, pm.FRESH_SHARE = pm.FRESH_SHARE, share
        old_skim, pm.SKIM = pm.SKIM, ({"cpu": True} if skim else {})
        try:
            cold = patchmatch(qd, qg, KeyTable(kd, kg, kw.get("allowed")), weights=kw.get("weights"),
                              generator=torch.Generator().manual_seed(3))
            return patchmatch(qd, qg, KeyTable(kd, kg, kw.get("allowed")), weights=kw.get("weights"),
                              init=cold.idx, steps=(2, 1), rounds=1, jitter=False,
                              generator=torch.Generator().manual_seed(4))
        finally:
            pm.FRESH_SHARE, pm.SKIM = old, old_skim

    for kw in ({}, {"allowed": allowed}, {"weights": weights}):
        every, changed = search(-1.0, **kw), search(1.0, **kw)  # all measured / only the changed
        assert torch.equal(every.idx, changed.idx)
        assert torch.equal(every.dist, changed.dist)
        # A GPU's search: no listing of candidates, no early rejection, the same field.
        gpu = search(1.0, skim=False, **kw)
        assert torch.equal(gpu.idx, changed.idx)
        assert torch.equal(gpu.dist, changed.dist)


def _loop_ok(kt: torch.Tensor, period: int, pt: int) -> bool:
    """Every match (key t per query, query grid shaped) crosses the clip's loop point only
    where its query crosses the output's, at the query's own phase."""
    phase = (torch.arange(kt.shape[0]) % period).view(-1, 1, 1).expand_as(kt)
    crossing = phase > period - pt
    return bool(torch.where(crossing, kt == phase, kt <= period - pt).all())


def test_a_looped_outputs_matches_cross_the_loop_whole_frame():
    """Keys: a clip of 8 frames followed by its first 2 (run.py's looped keys); queries 20
    frames of it looped. With the loop rule no match crosses the clip's loop point inside
    a pass, and across the output's loop points every match takes its own phase, from a
    random start and from a warm one that breaks the rule everywhere."""
    from engine.patchmatch import LoopRule

    clip = to_tensor(moving_texture(8, 24, 32, seed=1), torch.device("cpu"))
    k = torch.cat([clip, clip[:, :2]], 1)
    q = clip[:, torch.arange(20) % 8] + 0.05 * torch.randn((3, 20, 24, 32), generator=torch.Generator().manual_seed(1))
    qd, qg, kd, kg, gen = _setup(q, k, dims=16)
    assert kg[0] == 8
    table = KeyTable(kd, kg)
    rule = LoopRule(8, PATCH[0], qg[0], kg[1] * kg[2], torch.device("cpu"))
    free = patchmatch(qd, qg, table, generator=gen)
    cold = patchmatch(qd, qg, table, generator=gen, loop=rule)
    assert _loop_ok(table.to_coords(cold.idx)[0], 8, PATCH[0])
    # Nearly as close as the free search (only the few matches across the loop change).
    assert cold.dist.mean() < 1.2 * free.dist.mean() + 1e-3
    wrong = torch.full(qg, 7 * kg[1] * kg[2])  # every query on the last key (it wraps)
    warm = patchmatch(qd, qg, table, init=wrong, steps=(2, 1), rounds=1, generator=gen, loop=rule)
    assert _loop_ok(table.to_coords(warm.idx)[0], 8, PATCH[0])


def test_a_looped_fields_warm_start_maps_time_pass_by_pass():
    """A coarse field on a looped output (12-frame clip, 18 frames) at the clip's own moment
    everywhere carries to a level where the clip has 13 frames (20 frames) as the clip's own
    moment there: the loop points fall on the fine level's (scaling the whole length put
    the second pass a frame or more off). With equal periods the field is carried as
    without one."""
    from engine.patchmatch import identity_coords, rescale_coords

    patch = (3, 7, 7)
    coarse, fine = (18, 15, 27), (20, 18, 33)
    ck, fk = (14, 15, 27), (15, 18, 33)  # keys: the clip and its first 2 frames
    cg, fg = patch_grid(coarse, patch), patch_grid(fine, patch)
    t, y, x = identity_coords(cg, patch_grid(ck, patch), torch.device("cpu"))
    t = (torch.arange(cg[0]) % 12).view(-1, 1, 1).expand(cg).contiguous()
    out = rescale_coords((t, y, x), coarse, ck, patch, fine, fk, patch, period=(12, 13))
    assert out[0][:, 0, 0].tolist() == [i % 13 for i in range(fg[0])]
    same = rescale_coords((t, y, x), coarse, ck, patch, (18, 18, 33), ck[:1] + fk[1:], patch, period=(12, 12))
    plain = rescale_coords((t, y, x), coarse, ck, patch, (18, 18, 33), ck[:1] + fk[1:], patch)
    assert all(torch.equal(a, b) for a, b in zip(same, plain, strict=True))


def test_search_updates_its_own_field_not_the_callers_start():
    """The field is updated in place (no new 231 MB field per candidate at Full-HD); the
    start a caller passes stays as it was, and the coordinates convert both ways."""
    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, gen = _setup(q, k, dims=8)
    table = KeyTable(kd, kg)
    start = table.random(qg, torch.Generator().manual_seed(4))
    kept = start.clone()
    f = patchmatch(qd, qg, table, init=start, steps=(2, 1), rounds=1, generator=gen)
    assert torch.equal(start, kept) and not torch.equal(f.idx, start)
    assert torch.equal(table.from_coords(*table.to_coords(f.idx)), f.idx)
    assert torch.allclose(f.dist, _exact_to(qd, kd, f.idx), rtol=1e-4, atol=1e-4)


def _exact_to(qd, kd, idx):
    return ((qd - kd[idx.reshape(-1)]) ** 2).sum(1).view(idx.shape)


def test_descriptors_in_row_slabs_equal_one_convolution():
    from engine.chunks import Budgets

    video = to_tensor(moving_texture(7, 30, 40, seed=3), torch.device("cpu"))
    basis = pca_basis(video, PATCH, 8, torch.Generator().manual_seed(0))
    whole = describe(video, basis)
    for budget in (1, 8 * 36 * 5, 8 * 36 * 26 * 2):  # a row, a few rows, two frames a slab
        assert torch.equal(describe(video, basis, budgets=Budgets(describe_elements=budget)), whole)


def test_32_bit_field_gives_the_64_bit_search(monkeypatch):
    """The field is held in 32 bits where the keys fit; the same random draws and matches
    as in 64 bits, with excluded keys and jitter, returned as int64 either way."""
    import engine.patchmatch as pm

    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, _ = _setup(q, k, dims=8)
    allowed = torch.rand(kg, generator=torch.Generator().manual_seed(6)) > 0.3

    def search():
        return patchmatch(qd, qg, KeyTable(kd, kg, allowed), generator=torch.Generator().manual_seed(7))

    short = search()
    monkeypatch.setattr(pm, "FIELD32_LIMIT", 0)
    wide = search()
    assert short.idx.dtype == wide.idx.dtype == torch.int64
    assert torch.equal(short.idx, wide.idx) and torch.equal(short.dist, wide.dist)


def test_split_descriptors_are_the_columns_of_one_convolution():
    """describe_parts convolves the leading dimensions and the rest apart: the same numbers
    as the columns of one 64-dimensional describe, and its prefixes those of shorter ones."""
    from engine.descriptors import describe_parts, prefix
    from engine.patchmatch import HEAD_DIMS

    video = to_tensor(moving_texture(7, 30, 40, seed=3), torch.device("cpu"))
    basis = pca_basis(video, PATCH, 64, torch.Generator().manual_seed(0))
    whole = describe(video, basis)
    head, tail = describe_parts(video, basis, HEAD_DIMS)
    assert torch.equal(head, whole[:, :HEAD_DIMS]) and torch.equal(tail, whole[:, HEAD_DIMS:])
    assert head.is_contiguous() and tail.is_contiguous()
    short, none = describe_parts(video, basis[:8], HEAD_DIMS)
    assert none is None and torch.equal(short, describe(video, basis[:8]))
    for dims in (8, 16, 40, 64):
        h, t = prefix((head, tail), dims)
        joined = h if t is None else torch.cat([h, t], 1)
        assert torch.equal(joined, whole[:, :dims]) and h.is_contiguous()
        assert t is None or t.is_contiguous()


def test_a_search_on_split_descriptors_is_the_search_on_one_block():
    """KeyTable and the search take split descriptors as they are (no columns copied out):
    the same matches and distances as from one (N, D) block, with a completeness weight."""
    from engine.descriptors import describe_parts
    from engine.patchmatch import HEAD_DIMS

    k = to_tensor(moving_texture(6, 24, 32, seed=1), torch.device("cpu"))
    q = to_tensor(moving_texture(6, 24, 32, seed=2), torch.device("cpu"))
    qd, qg, kd, kg, _ = _setup(q, k, dims=40)
    basis = pca_basis(k, PATCH, 40, torch.Generator().manual_seed(0))
    qp, kp = describe_parts(q, basis, HEAD_DIMS), describe_parts(k, basis, HEAD_DIMS)
    weights = torch.rand(kd.shape[0], generator=torch.Generator().manual_seed(4)) + 0.5
    one = patchmatch(qd, qg, KeyTable(kd, kg), weights=weights, generator=torch.Generator().manual_seed(7))
    split = patchmatch(qp, qg, KeyTable(kp, kg), weights=weights, generator=torch.Generator().manual_seed(7))
    assert torch.equal(one.idx, split.idx) and torch.equal(one.dist, split.dist)


def test_to_tensor_converts_in_chunks_that_a_cancel_stops(monkeypatch):
    """The clip's conversion to the engine's colours, a few frames at a time: the same
    numbers as in one step, and a cancel is heard between chunks (64 Full-HD frames took
    seconds that a Cancel could not stop)."""
    import pytest

    import engine.colour as colour
    from engine.errors import Cancelled

    frames = moving_texture(7, 24, 32, seed=5)
    whole = torch.from_numpy(frames).permute(3, 0, 1, 2).float().div(127.5).sub(1.0)
    monkeypatch.setattr(colour, "CHUNK_PIXELS", 2 * 24 * 32)  # chunks of 2 frames
    assert torch.equal(to_tensor(frames, torch.device("cpu")), whole)
    asked = []

    def cancel():
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(Cancelled):
        to_tensor(frames, torch.device("cpu"), cancel)
    assert len(asked) == 3
    assert to_tensor(np.zeros((1, 4, 4, 3), np.uint8), torch.device("cpu")).shape == (3, 1, 4, 4)
