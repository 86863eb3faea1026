"""tools/draw_stats.py: each seed's first draw judged at the third level, tallied, and the
engine's copy and cut tests put back afterwards."""

from __future__ import annotations

from fractions import Fraction

import pytest

import engine.run as run_module
from engine.io import write_video
from tests.synth import balloon_scene
from tools.draw_stats import Draw, first_draw, main, tally


def test_first_draws_are_tallied_and_the_engine_left_as_it_was(tmp_path, capsys):
    before = (run_module.copy_fraction, run_module.band_shift)
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=6, h=48, w=80), clip, fps=Fraction(10))
    assert main([str(clip), "--seeds", "3", "--variation", "0.6", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 0.6") or line.startswith("| 2")]
    assert len(rows) == 2
    for row in rows:
        counts = [int(c) for c in row.strip("|").split("|")[1:5]]
        assert sum(counts) == 3
    assert (run_module.copy_fraction, run_module.band_shift) == before


def test_first_draw_is_the_runs_first_draw():
    frames = balloon_scene(t=6, h=48, w=80)
    # Faint noise reproduces the input: every match on its own place, nothing cut; strong
    # noise cuts the ground band of this scene.
    faint, strong = first_draw(frames, 0, 0.05), first_draw(frames, 0, 2.0)
    assert faint.share > 0.95 and faint.layout < 1.0
    assert strong.share < 0.85 and strong.layout > 8.0
    assert tally([faint, strong, Draw(0.8, 0.5), Draw(0.3, 0.5)]) == {
        "copies": 1, "partial": 1, "cuts": 1, "clean": 1}


def test_unreadable_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    assert main([str(bad), "--seeds", "1"]) == 2
    assert "draw_stats:" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # no noise: the engine tests nothing
        main([str(bad), "--variation", "0"])
