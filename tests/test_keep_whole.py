"""Keep subjects whole (Settings.coarse_completeness_alpha): the completeness term on the
levels at the coarsest frame size of a variation, nowhere else and for no other task."""

from __future__ import annotations

import numpy as np
import pytest

import engine.run as run_mod
from engine.cli import _settings, build_parser
from engine.config import KEEP_WHOLE_ALPHA, Settings
from engine.errors import InputError
from engine.request import WHOLE_TASKS, Request, suggests_keep_whole
from engine.tasks import REGISTRY
from tests.synth import figure_parts, figure_scene, final, moving_texture


@pytest.fixture
def alphas(monkeypatch):
    """(frame size of the level, completeness alpha it ran with) for every layer run."""
    seen: list[tuple[tuple[int, int], float | None]] = []
    real = run_mod.vpnn_layer

    def spy(query, keys, value, *args, **kwargs):
        seen.append((tuple(value.shape[2:]), kwargs["opts"].completeness_alpha))
        return real(query, keys, value, *args, **kwargs)

    monkeypatch.setattr(run_mod, "vpnn_layer", spy)
    return seen


def test_completeness_on_the_coarsest_frame_size_only(alphas):
    clip = moving_texture(12, 40, 56)
    whole = Settings(coarse_completeness_alpha=KEEP_WHOLE_ALPHA)
    out = final(clip, Request(seed=2, settings=whole)).frames
    coarsest = alphas[0][0]
    assert {a for size, a in alphas if size == coarsest} == {KEEP_WHOLE_ALPHA}
    assert {a for size, a in alphas if size != coarsest} == {None}
    # 12 frames shrink to 3 in more levels than 40 pixels shrink to 15: more than one
    # level shares the coarsest frame size, and every one of them is weighted.
    assert len({i for i, (size, _) in enumerate(alphas) if size == coarsest}) >= 2
    assert np.array_equal(out, final(clip, Request(seed=2, settings=whole)).frames)  # deterministic
    alphas.clear()
    final(clip, Request(seed=2))
    assert {a for _, a in alphas} == {None}  # off by default


def test_other_tasks_ignore_it(alphas):
    clip = moving_texture(6, 32, 40)
    whole = Settings(coarse_completeness_alpha=KEEP_WHOLE_ALPHA)
    mask = np.zeros(clip.shape[:3], bool)
    mask[:, 10:18, 12:22] = True
    final(clip, Request(task="retarget", width=48, seed=1, settings=whole))
    final(clip, Request(task="inpaint", mask=mask, seed=1, settings=whole))
    assert {a for _, a in alphas} == {None}


def test_the_hints_name_the_tasks_that_keep_whole():
    """The torch-free list behind the CLI's and the editor's hints is the tasks' own flag."""
    assert set(WHOLE_TASKS) == {n for n, t in REGISTRY.items() if t.keeps_whole}
    assert suggests_keep_whole(Request(task="generate"))
    assert not suggests_keep_whole(Request(task="retarget"))
    kept = Settings(coarse_completeness_alpha=KEEP_WHOLE_ALPHA)
    assert not suggests_keep_whole(Request(task="generate", settings=kept))


def test_setting_and_command_line_flag():
    with pytest.raises(InputError, match="coarse_completeness_alpha"):
        Settings(coarse_completeness_alpha=0.0).validate()
    parser = build_parser()
    args = parser.parse_args(["generate", "-o", "x.mp4", "--keep-whole"])
    assert _settings(args).coarse_completeness_alpha == KEEP_WHOLE_ALPHA
    assert _settings(parser.parse_args(["generate", "-o", "x.mp4"])).coarse_completeness_alpha is None
    with pytest.raises(SystemExit):
        parser.parse_args(["retarget", "in.mp4", "-o", "x.mp4", "--keep-whole"])


def test_a_large_figure_stays_whole():
    """The reason for the option: on a clip of one large figure the default's noise cuts the
    figure into pieces or loses it in some seeds; with the option every seed draws it whole,
    once or more (each part's area the same multiple of the input's)."""
    clip = figure_scene()
    parts = figure_parts(clip)

    def whole(settings: Settings, seed: int) -> bool:
        ratio = figure_parts(final(clip, Request(seed=seed, settings=settings)).frames) / parts
        return ratio.min() >= 0.8 and ratio.max() <= 1.45 * ratio.min()

    seeds = range(6)
    assert all(whole(Settings(coarse_completeness_alpha=KEEP_WHOLE_ALPHA), s) for s in seeds)
    assert not all(whole(Settings(), s) for s in seeds)  # seeds 3 and 4: a second body, no figure
