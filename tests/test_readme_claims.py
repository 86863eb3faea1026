"""What README.md's "Using the editor" and "Command line" sections say, held against the
program: help texts, the examples' behaviour, the quoted messages."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.cli import build_parser, main
from engine.io import read_video, write_video
from tests.guided_synth import look_clip

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _subparser(name: str):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices[name]


def _help_of(parser, option: str) -> str:
    return next(a.help for a in parser._actions if option in a.option_strings)


def test_sketch_frames_help_says_it_is_for_a_one_image_sketch():
    """README: for `sketch`, --frames is for a one-image sketch, which otherwise lasts as long
    as B; a sketch video keeps its own frame count. The help said "(default: the sketch's)",
    where a one-image sketch lasts B's frames."""
    text = _help_of(_subparser("sketch"), "--frames")
    assert "one-image sketch" in text and "B's" in text
    assert "the sketch's)" not in text
    # analogy's stays A's
    assert _help_of(_subparser("analogy"), "--frames") == "output frame count (default: A's)"


def test_still_example_makes_a_new_still_retarget_gives_the_first_frame(tmp_path, capsys):
    """README's example for "one still frame made from a whole clip's patches" is `generate
    --frames 1`: `retarget --frames 1` (no noise) is the first frame itself, as the README
    now says."""
    frames = look_clip(t=8, h=40, w=56)
    write_video(frames, tmp_path / "clip.mp4", fps=Fraction(10), crf=0)
    src = read_video(tmp_path / "clip.mp4").frames.astype(int)
    assert main(["retarget", str(tmp_path / "clip.mp4"), "-o", str(tmp_path / "r.png"),
                 "--frames", "1", "-q"]) == 0
    still = read_video(tmp_path / "r.png").frames.astype(int)
    assert np.abs(still[0] - src[0]).mean() < 0.5  # the first frame back
    assert main(["retarget", str(tmp_path / "clip.mp4"), "-o", str(tmp_path / "n.png"),
                 "--frames", "1", "--noise", "3", "-q"]) == 0  # the editor's Variation, raised
    assert np.abs(read_video(tmp_path / "n.png").frames.astype(int)[0] - src[0]).mean() > 2
    assert "python main.py generate clip.mp4 -o still.png --frames 1" in README
    assert "python main.py retarget clip.mp4 -o still.png --frames 1" not in README
    capsys.readouterr()


def test_recovery_prompt_quote_has_the_date_it_shows():
    """README quotes the recovery prompt's line; it shows the date as well as the time."""
    from app.state.recovery import Recoverable

    line = Recoverable(Path("x.vgpnn"), "walk.mp4", "walk", "", 0.0).describe()
    quoted = re.search(r'\("(Project “walk” \(walk\.mp4\), autosaved [^"]+)"\)', README)
    assert quoted, "README no longer quotes the recovery prompt"
    pattern = r"Project “walk” \(walk\.mp4\), autosaved \d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    assert re.fullmatch(pattern, line)
    assert re.fullmatch(pattern, quoted.group(1))
