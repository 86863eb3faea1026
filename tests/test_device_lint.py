"""Every engine path run under DeviceLint: what would mix GPU and host memory on CUDA.

The CUDA tests (test_pyramid, skipped without a GPU) run the real kernels; these run on
any machine and catch the commonest CUDA crash, a tensor left in host memory, in every task
and every switch of the settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import Settings
from engine.request import Request
from tests.device_lint import device_lint
from tests.guided_synth import look_clip, moving_square, sketch_frames
from tests.synth import final, moving_texture


def linted(frames: np.ndarray, request: Request) -> np.ndarray:
    import engine.median_network as median_network
    import engine.patchmatch as patchmatch
    import engine.run as engine_run

    real = engine_run._fine_generator, patchmatch.SKIM["cpu"], median_network.SMALL
    # As on a GPU: the coarse levels draw from the CPU's generator, the fine ones from the
    # device's (on a CPU run both are the CPU's one); the search measures every candidate
    # and the vote's median takes the GPU's branch (the lint followed the CPU's code there).
    # On a GPU host the run's own maker (which names the device's index, as its tensors do);
    # on the CPU a generator of its own stands for the device's.
    engine_run._fine_generator = (real[0] if torch.cuda.is_available() else
                                  lambda device, seed, gen: torch.Generator(device=device).manual_seed(seed))
    patchmatch.SKIM["cpu"] = False
    median_network.SMALL = median_network.GPU_SMALL
    try:
        with device_lint() as lint:
            out = final(frames, request).frames
    finally:
        engine_run._fine_generator, patchmatch.SKIM["cpu"], median_network.SMALL = real
    assert lint.problems == [], "\n".join(lint.problems)
    return out


def test_the_lint_sees_what_fails_on_cuda():
    dev = torch.device("cpu")  # stands for the run's device
    with device_lint() as lint:
        host = torch.from_numpy(np.ones((4, 4), np.float32))
        video = torch.zeros(4, 4, device=dev)
        gen = torch.Generator(device=dev)
        _ = video + host.to(dev)  # fine
        _ = video + host  # mixes
        _ = torch.randn(3, generator=gen)  # a device generator, host draw
        video[torch.arange(2)] = 1.0  # host indices are fine
        _ = video.cpu().numpy()  # fine
        _ = video.numpy()  # needs .cpu()
    assert len(lint.problems) == 3, lint.problems
    assert any("mixes" in p for p in lint.problems)
    assert any("generator" in p for p in lint.problems)
    assert any("numpy" in p for p in lint.problems)
    # (Problems are kept once per place and message, so each of these is linted alone.)
    with device_lint() as lint:
        video = torch.zeros(4, 4, device=dev)
        _ = video + torch.tensor(2.0)  # a 0-dim host scalar: PyTorch moves it over
    assert lint.problems == []
    with device_lint() as lint:
        _ = torch.zeros(4, 4, device=dev) + torch.tensor([2.0])  # a (1,) host tensor: it does not
    assert any("mixes" in p for p in lint.problems), lint.problems
    with device_lint() as lint:
        _ = np.asarray(torch.zeros(4, 4, device=dev))  # needs .cpu(), as .numpy() does
    assert any("numpy" in p for p in lint.problems), lint.problems
    with device_lint() as lint:  # atomics on a GPU: the sums' order varies run to run
        _ = torch.zeros(4, device=dev).index_add_(0, torch.arange(3, device=dev), torch.ones(3, device=dev))
        _ = torch.zeros(4).index_add_(0, torch.arange(3), torch.ones(3))  # host: exact
    assert lint.problems and all("nondeterministic" in p for p in lint.problems), lint.problems
    assert len(lint.problems) == 1
    with device_lint() as lint:
        _ = torch.ones(4)[torch.arange(2, device=dev)]  # host values, device indices
    assert any("indexed by device indices" in p for p in lint.problems), lint.problems


@pytest.mark.parametrize("changes", [
    {},  # Normal: the coarse median vote, the lattice vote, the fine levels, copy redraws
    {"vote": "median", "vote_stride": 1, "fine_em_iters": None},  # Best
    {"vote": "mean", "completeness_alpha": 1.0},  # the completeness search
    {"large_voxels": 20_000, "noise_mode": "voxel"},  # the large levels' cheaper path
    {"noise_mode": "mixed", "noise_smooth": 1.0, "coarse_vote_voxels": 0, "final_descriptor_dims": 32},
    {"blend_seams": "on"},  # the seam blend after the last level
    {"coarse_completeness_alpha": 10.0},  # Keep subjects whole
], ids=["normal", "best", "mean-completeness", "large-levels", "mixed-noise", "blend-seams", "keep-whole"])
def test_generate_keeps_every_tensor_on_the_run_device(changes):
    clip = moving_texture(8, 40, 56)
    out = linted(clip, Request(seed=3, settings=Settings().with_(**changes)))
    assert out.shape == clip.shape


def test_resize_taps_path_keeps_tensors_on_the_run_device(monkeypatch):
    # The gathered taps are the resize used on every device but the CPU.
    import engine.pyramid as pyramid

    monkeypatch.setitem(pyramid.resize.__kwdefaults__, "method", "taps")
    clip = moving_texture(8, 40, 56)
    linted(clip, Request(seed=1, width=72, frames=10))


def test_retarget_inpaint_analogy_and_sketch_keep_tensors_on_the_run_device():
    clip = moving_texture(8, 40, 56)
    assert linted(clip, Request(task="retarget", width=40, frames=6)).shape == (6, 40, 40, 3)
    # Longer: the coarsest query is the clip looped in time (Task.retimes).
    assert linted(clip, Request(task="retarget", frames=14)).shape == (14, 40, 56, 3)
    mask = np.zeros(clip.shape[:3], bool)
    mask[2:6, 10:24, 20:36] = True
    hints = np.zeros((*clip.shape[:3], 4), np.uint8)
    hints[3:5, 12:16, 22:26] = (20, 20, 20, 255)
    out = linted(clip, Request(task="inpaint", mask=mask, hints=hints, seed=2))
    assert np.array_equal(out[~mask], clip[~mask])
    # Without a hint the keys pay for their distance from the hole (the locality cost).
    out = linted(clip, Request(task="inpaint", mask=mask, seed=2))
    assert np.array_equal(out[~mask], clip[~mask])
    a, b = moving_square(), look_clip()
    linted(b, Request(task="analogy", guide=a[:8]))
    linted(b, Request(task="sketch", guide=sketch_frames()[:8]))


def test_gpu_check_script_and_smoke_cases_are_ready():
    """tools/gpu_check.sh (run on a lent GPU machine) parses, and the smoke run's cases cover
    every task; the full dry run (DEVICE=cpu QUICK=1) takes minutes, so it is not run here."""
    import subprocess
    from pathlib import Path

    from tools.gpu_smoke import _cases

    script = Path(__file__).resolve().parents[1] / "tools" / "gpu_check.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    tasks = {request.task for _, _, request in _cases()}
    assert tasks == {"generate", "retarget", "inpaint", "analogy", "sketch"}
    settings = [request.settings for _, _, request in _cases()]
    assert any(s.blend_seams == "on" for s in settings) and any(s.coarse_completeness_alpha for s in settings)
