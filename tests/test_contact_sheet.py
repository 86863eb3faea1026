"""tools/contact_sheet.py, the README's Full-HD picture: runs seeds, writes one PNG, and
with --reuse composes the sheet from kept outputs without running again."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.io import read_video, write_video
from tests.synth import balloon_scene
from tools.contact_sheet import main


def test_sheet_of_seeds_and_reuse(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=6, h=40, w=64), clip, fps=Fraction(10))
    out, keep = tmp_path / "sheet.png", tmp_path / "kept"
    assert main([str(clip), "-o", str(out), "--seeds", "2", "--frame", "2", "--ref", str(clip),
                 "--keep", str(keep), "--width", "64"]) == 0
    sheet = read_video(out).frames[0]
    assert sheet.shape[1] >= 2 * 64 and sorted(p.name for p in keep.iterdir()) == ["seed0.mp4", "seed1.mp4"]
    err = capsys.readouterr().err
    assert "seed 1:" in err and "realism" in err and "% new" in err
    out.unlink()
    assert main([str(clip), "-o", str(out), "--seeds", "2", "--keep", str(keep), "--reuse", "--width", "64"]) == 0
    assert out.exists() and "nan s" in capsys.readouterr().err  # read back, not run


def test_level_rows_stop_early_and_name_levels(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=6, h=40, w=64), clip, fps=Fraction(10))
    out = tmp_path / "levels.png"
    assert main([str(clip), "-o", str(out), "--seeds", "1", "--levels", "1,2", "--width", "64"]) == 0
    sheet = read_video(out).frames[0]
    assert sheet.shape[1] >= 2 * 64  # a tile per level listed
    err = capsys.readouterr().err
    assert "seed 0: levels 1, 2 of" in err
    assert main([str(clip), "-o", str(out), "--seeds", "1", "--levels", "last", "--width", "64"]) == 0
    n = int(capsys.readouterr().err.split(" of ")[1].split()[0])
    assert n > 2


def test_level_list_is_checked():
    with pytest.raises(SystemExit, match="not a level number"):
        main(["clip.mp4", "-o", "x.png", "--levels", "3,x"])


def test_variant_runs_named_settings_and_unknown_is_refused(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=6, h=40, w=64), clip, fps=Fraction(10))
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main([str(clip), "-o", str(a), "--seeds", "1", "--levels", "2", "--width", "64"]) == 0
    assert main([str(clip), "-o", str(b), "--seeds", "1", "--levels", "2", "--width", "64",
                 "--variant", "white replicated noise 1.3"]) == 0
    assert not np.array_equal(read_video(a).frames[0], read_video(b).frames[0])
    with pytest.raises(SystemExit, match="unknown"):
        main([str(clip), "-o", str(a), "--variant", "no such variant"])


def test_compare_puts_a_variants_row_under_each_row_of_seeds(tmp_path):
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=8, h=40, w=64), clip, fps=Fraction(10))
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    args = [str(clip), "--seeds", "3", "--columns", "2", "--width", "64", "--frame", "2", "--end", "6"]
    assert main([*args, "-o", str(one)]) == 0
    assert main([*args, "-o", str(two), "--compare", "keep subjects whole"]) == 0
    plain, compared = read_video(one).frames[0], read_video(two).frames[0]
    assert plain.shape[1] == compared.shape[1]  # as wide: two seeds a row either way
    rows = lambda sheet: round(sheet.shape[0] / plain.shape[0] * 3)  # noqa: E731  (input row + 2)
    assert rows(compared) == 5  # the input, then seeds 0-1, their variant, seed 2, its variant
    with pytest.raises(SystemExit, match="--compare"):
        main([*args, "-o", str(one), "--compare", "no such variant"])


def test_sheet_prints_seeds_judged_among_themselves(tmp_path, capsys):
    """With four varied seeds or more (not near-copies) the tool also prints their realism judged among them, as the
    seed browser shows it (engine.realism.judge_among)."""
    clip = tmp_path / "clip.mp4"
    write_video(balloon_scene(t=6, h=40, w=64), clip, fps=Fraction(10))
    assert main([str(clip), "-o", str(tmp_path / "sheet.png"), "--seeds", "5", "--width", "64"]) == 0
    err = capsys.readouterr().err
    judged = [line for line in err.splitlines() if line.startswith("judged among the seeds: ")]
    assert len(judged) == 1 and judged[0].count("seed ") == 5
