"""`python main.py analogy` and `sketch` on tiny synthetic clips (engine.cli_guided)."""

from fractions import Fraction

import numpy as np
import pytest

from engine.cli import main
from engine.io import read_video, write_video
from tests.guided_synth import look_clip, moving_square, redness, sketch_frames

T, H, W = 10, 36, 48


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("guided")
    write_video(moving_square(t=T, h=H, w=W, side=12), d / "a.mp4", fps=Fraction(12), crf=12)
    write_video(look_clip(t=T, h=H, w=W), d / "b.mp4", fps=Fraction(10), crf=12)
    write_video(sketch_frames(t=T, h=H, w=W, bar=14), d / "sketch", fps=Fraction(10))
    write_video(sketch_frames(t=T, h=H, w=W, bar=14)[4:5], d / "still_sketch.png", fps=Fraction(10))
    return d


def run_ok(args, capsys):
    code = main([*args, "-q"])
    assert code == 0, capsys.readouterr().err
    return capsys.readouterr()


def test_analogy_follows_a_at_its_frame_rate(files, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    before = (files / "a.mp4").read_bytes()
    run_ok(["analogy", str(files / "a.mp4"), str(files / "b.mp4"), "-o", str(out), "--seed", "1",
            "--a-levels", "3", "--b-levels", "6", "--guide-until", "1"], capsys)
    back = read_video(out)
    assert back.frames.shape == (T, H, W, 3)  # A's size and duration
    assert back.fps == Fraction(12)  # A's frame rate: it moves as A does (B plays at 10)
    red = redness(back.frames)
    xs = [np.nonzero(m)[1].mean() for m in red if m.any()]
    assert len(xs) >= T - 1 and xs[-1] < xs[0] - 5  # B's red moves left, as A's square
    assert (files / "a.mp4").read_bytes() == before
    assert not list(tmp_path.glob(".*"))  # no temporary file left beside the output


def test_analogy_sizes_and_gif(files, tmp_path, capsys):
    out = tmp_path / "small.gif"
    run_ok(["analogy", str(files / "a.mp4"), str(files / "b.mp4"), "-o", str(out),
            "--width", "40", "--height", "30", "--frames", "6"], capsys)
    assert read_video(out).frames.shape == (6, 30, 40, 3)


def test_max_side_shrinks_b_and_the_output_by_one_scale(files, tmp_path, capsys):
    """A clip A twice B's size under --max-side: the output (A's 96x72) fits the side, and
    B is read at the same scale (a patch of B keeps its size in the result), as the editor's
    Draft does; before, each input was shrunk to the side on its own."""
    big_a = tmp_path / "big_a.mp4"
    write_video(moving_square(t=T, h=2 * H, w=2 * W, side=24), big_a, fps=Fraction(12), crf=12)
    out = tmp_path / "fit.mp4"
    said = run_ok(["analogy", str(big_a), str(files / "b.mp4"), "-o", str(out), "--max-side", "48",
                   "--guide-until", "1"], capsys)
    assert read_video(out).frames.shape == (T, H, W, 3)  # 96x72 at half: 48x36
    assert ("note: downscaled from 48x36 to 24x18: one scale fits both it and the output's 96 px "
            "in --max-side 48 (a larger --max-side reads it larger)\n" in said.err)  # B at half too
    assert "note: downscaled from 96x72 to 48x36: --max-side 48\n" in said.err  # A: the longer


def test_a_look_clip_shrunk_too_far_by_the_output_says_why(files, tmp_path, capsys):
    """A clip A ten times B's width under --max-side 120: B is read at 12x9 to keep one
    scale, under the 16 px it needs. The error named the file with a size it does not have
    and offered no way out."""
    wide = tmp_path / "wide_a.mp4"
    write_video(moving_square(t=T, h=H, w=10 * W, side=12), wide, fps=Fraction(12), crf=12)
    assert main(["analogy", str(wide), str(files / "b.mp4"), "-o", str(tmp_path / "x.mp4"),
                 "--max-side", "120", "-q"]) == 2
    err = capsys.readouterr().err
    # Refused from the headers, with the --max-side that reads it large enough (since
    # 2026-12-07; before, once read, with the file's size and "a larger --max-side").
    assert err.startswith("error: --max-side 120 would read b.mp4 at 9 px on its short side "
                          "for this output, under the 16 px it needs; use --max-side"), err


def test_sketch_folder_and_still_image(files, tmp_path, capsys):
    run_ok(["sketch", str(files / "sketch"), str(files / "b.mp4"), "-o", str(tmp_path / "frames/")],
           capsys)
    assert len(list((tmp_path / "frames").glob("*.png"))) == T
    # One image is held still for B's duration.
    out = tmp_path / "still.mp4"
    run_ok(["sketch", str(files / "still_sketch.png"), str(files / "b.mp4"), "-o", str(out)], capsys)
    assert read_video(out).frames.shape == (T, H, W, 3)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    b = look_clip(t=T, h=H, w=W)
    write_video(b[:2], d / "short.mp4", fps=Fraction(10), crf=12)
    write_video(b[:, :10, :12], d / "tiny", fps=Fraction(10))
    write_video(np.full((1, H, W, 3), 255, np.uint8), d / "blank.png", fps=Fraction(10))
    write_video(np.repeat(moving_square(t=T, h=H, w=W)[:1], T, 0), d / "still.mp4",
                fps=Fraction(10), crf=12)
    return d


@pytest.mark.parametrize("args, message", [
    (["analogy", "{g}/a.mp4", "{b}/short.mp4"], "short.mp4: the look clip has 2 frames"),
    (["analogy", "{g}/a.mp4", "{b}/tiny"], "tiny: the look clip is 12x10 px"),
    (["sketch", "{b}/blank.png", "{g}/b.mp4"], "blank.png has no strokes"),
    (["analogy", "{b}/still.mp4", "{g}/b.mp4"], "still.mp4 has no motion"),
    (["analogy", "{g}/still_sketch.png", "{g}/b.mp4"], "still_sketch.png has one frame"),
    (["analogy", "{g}/missing.mp4", "{g}/b.mp4"], "missing.mp4: file not found"),
])
def test_bad_inputs_one_line_and_nonzero_exit(files, bad_files, tmp_path, capsys, args, message):
    out = tmp_path / "o.mp4"
    argv = [a.format(g=files, b=bad_files) for a in args]
    code = main([*argv, "-o", str(out), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not out.exists()


def test_output_never_overwrites_an_input_and_png_needs_one_frame(files, tmp_path, capsys):
    a = files / "a.mp4"
    before = a.read_bytes()
    assert main(["analogy", str(a), str(files / "b.mp4"), "-o", str(a), "-q"]) == 2
    assert "cannot be the input" in capsys.readouterr().err
    assert a.read_bytes() == before
    assert main(["analogy", str(a), str(files / "b.mp4"), "-o", str(tmp_path / "o.png"), "-q"]) == 2
    assert "holds one frame" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--a-levels", "1"], ["--b-levels", "99"],
                                    ["--guide-until", "nan"], ["--guide-until", "2"]])
def test_bad_options_are_refused_by_the_parser(files, tmp_path, capsys, option):
    with pytest.raises(SystemExit) as exc:
        main(["analogy", str(files / "a.mp4"), str(files / "b.mp4"), "-o", str(tmp_path / "o.mp4"),
              *option])
    assert exc.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_parser_constant_matches_the_engine():
    from engine.cli_guided import MAX_LEVELS
    from engine.structure import MAX_LEVELS as ENGINE_MAX

    assert MAX_LEVELS == ENGINE_MAX


def test_a_sketch_thinned_away_by_max_side_says_so(files, tmp_path, capsys):
    """A small drawing with a large look clip is read at B's scale: strokes a pixel or two
    wide can vanish, and the message says why instead of calling the file blank."""
    big_b = tmp_path / "big_b.mp4"
    write_video(look_clip(t=T, h=8 * H, w=8 * W), big_b, fps=Fraction(10), crf=12)
    sketch = np.full((1, H, W, 3), 255, np.uint8)
    sketch[0, 10:12, 5:40] = 0  # a 2-px line
    write_video(sketch, tmp_path / "thin.png", fps=Fraction(10))
    code = main(["sketch", str(tmp_path / "thin.png"), str(big_b), "-o", str(tmp_path / "o.mp4"),
                 "--max-side", "48", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "thin.png has no strokes" in err and "draw thicker strokes" in err


def test_a_still_clip_a_and_a_missing_mask_are_refused_before_any_decoding(
        files, tmp_path, capsys, monkeypatch):
    """A one-frame clip A was refused once both clips were decoded and PyTorch loaded (two
    "downscaled" notes first), a missing --mask once the clip was decoded, as "cannot read
    the mask: m.png: file not found" (an audit): both from the files' headers now."""
    import engine.cli as cli
    import engine.io as io

    def no_work(*a, **k):
        raise AssertionError("decoded before the check")

    monkeypatch.setattr(cli, "_read", no_work)
    monkeypatch.setattr(io, "read_video", no_work)
    out = tmp_path / "o.mp4"
    assert main(["analogy", str(files / "still_sketch.png"), str(files / "b.mp4"), "-o",
                 str(out), "-q"]) == 2
    assert capsys.readouterr().err.startswith("error: still_sketch.png has one frame")
    assert main(["inpaint", str(files / "b.mp4"), "--mask", str(tmp_path / "m.png"),
                 "-o", str(out), "-q"]) == 2
    assert capsys.readouterr().err.strip() == "error: m.png: file not found"
    # A sketch of 10 frames with --frames 40: refused once both were read, after a warning
    # about the output's length that it then refused, naming no file.
    assert main(["sketch", str(files / "sketch"), str(files / "b.mp4"), "--frames", "40",
                 "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: sketch: the sketch has {T} frames but --frames 40 was given")
    assert "warning" not in err


def test_the_max_side_a_refusal_names_reads_the_look_clip_large_enough(files, tmp_path, capsys):
    """A wide output at a small --max-side: the refusal named --max-side 500 (for the 8 px
    every input is read at), which was then refused for the look clip's 16 px short side."""
    import re

    out = tmp_path / "o.mp4"
    args = ["analogy", str(files / "a.mp4"), str(files / "b.mp4"), "-o", str(out), "--width",
            "3000", "--frames", "3", "-q", "--max-side"]
    assert main([*args, "16"]) == 2
    err = capsys.readouterr().err
    assert "b.mp4 at" in err and "under the 16 px it needs" in err, err
    least = int(re.search(r"use --max-side (\d+) or more", err).group(1))
    assert main([*args, str(least - 1)]) == 2
    capsys.readouterr()
    assert main([*args, str(least)]) == 0, capsys.readouterr().err
