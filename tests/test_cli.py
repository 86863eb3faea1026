import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.io import read_video, write_video
from tests.synth import moving_texture

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def clip_file(tmp_path):
    path = tmp_path / "clip.mp4"
    write_video(moving_texture(8, 40, 56), path, fps=Fraction(24), crf=12)
    return path


def test_generate_writes_video_at_source_fps(clip_file, tmp_path):
    out = tmp_path / "out.mp4"
    assert main(["generate", str(clip_file), "-o", str(out), "--seed", "2", "-q"]) == 0
    back = read_video(out)
    assert back.frames.shape == (8, 40, 56, 3)
    assert back.fps == Fraction(24)


def test_generate_count_names_each_seed(clip_file, tmp_path):
    out = tmp_path / "var.mp4"
    assert main(["generate", str(clip_file), "-o", str(out), "--seed", "5", "--count", "2",
                 "--width", "70", "--frames", "6", "-q"]) == 0
    files = sorted(p.name for p in tmp_path.glob("var_seed*.mp4"))
    assert files == ["var_seed0005.mp4", "var_seed0006.mp4"]
    assert read_video(tmp_path / files[0]).frames.shape == (6, 40, 70, 3)


def test_generate_count_scores_each_seed_and_ranks_them(clip_file, tmp_path, capsys):
    """Several seeds: each output's realism (and how new it looks) is printed as it is
    written, and with four varied ones or more, the outputs ranked by their realism judged among themselves (the
    seed browser's figures). One seed alone prints no score: that command stays as fast."""
    out = tmp_path / "var.mp4"
    assert main(["generate", str(clip_file), "-o", str(out), "--count", "4", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("  realism ") and "% new" in line for line in lines) == 4
    head = [i for i, line in enumerate(lines) if line.startswith("realism judged among the ")]
    assert len(head) == 1
    ranked = lines[head[0] + 1:head[0] + 5]
    scores = [float(line.split()[0]) for line in ranked]
    assert scores == sorted(scores, reverse=True)
    assert sorted(line.split()[1] for line in ranked) == sorted(str(p) for p in tmp_path.glob("var_seed*.mp4"))
    assert main(["generate", str(clip_file), "-o", str(tmp_path / "one.mp4"), "-q"]) == 0
    assert "realism" not in capsys.readouterr().out


def test_a_broken_variation_suggests_keep_whole(clip_file, tmp_path, capsys, monkeypatch):
    """When the ranking flags a variation, the command points at --keep-whole (on stderr),
    unless it was on already."""
    import engine.cli as cli
    from engine.realism import Realism

    ok, broken = Realism(0.4, 90.0, False, False, (0, 0, 0)), Realism(2.0, 10.0, True, False, (0, 0, 0))
    monkeypatch.setattr(cli, "_print_judged", lambda scored: [ok, broken, ok, ok])
    args = ["generate", str(clip_file), "-o", str(tmp_path / "v.mp4"), "--count", "4", "-q"]
    assert main(args) == 0
    assert "--keep-whole" in capsys.readouterr().err
    assert main([*args, "--keep-whole"]) == 0
    assert "--keep-whole" not in capsys.readouterr().err
    monkeypatch.setattr(cli, "_print_judged", lambda scored: [ok] * 4)
    assert main(args) == 0
    assert "--keep-whole" not in capsys.readouterr().err


def test_a_variation_with_faint_seams_is_marked(clip_file, tmp_path, capsys, monkeypatch):
    """The run's seam measure reaches the score: a variation over the seam flag is marked."""
    import engine.run

    monkeypatch.setattr(engine.run, "seam_lines", lambda *a, **k: 20.0)
    args = ["generate", str(clip_file), "-o", str(tmp_path / "v.mp4"), "--count", "2", "-q"]
    assert main([*args, "--no-blend-seams"]) == 0
    out, err = capsys.readouterr()
    assert out.count("(flagged: faint seams where copied regions meet)") == 2
    assert "without --no-blend-seams they are blended where they show" in err
    note = "note: faint seams where copied regions meet were blended"
    assert note not in err
    for blended in ([], ["--blend-seams"]):  # the default blends flagged seeds, the flag all
        assert main([*args, *blended]) == 0
        err = capsys.readouterr().err
        assert "blend-seams" not in err and (note in err) == (not blended)


def test_retarget_to_png_folder(clip_file, tmp_path):
    out = tmp_path / "frames/"
    assert main(["retarget", str(clip_file), "-o", str(out), "--height", "32", "-q"]) == 0
    assert len(list((tmp_path / "frames").glob("*.png"))) == 8


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: (d / "notes.mp4").write_text("hello") and d / "notes.mp4", "notes.mp4"),
])
def test_bad_input_one_line_and_nonzero_exit(tmp_path, capsys, make, message):
    path = make(tmp_path)
    code = main(["generate", str(path), "-o", str(tmp_path / "o.mp4"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "o.mp4").exists()


def test_output_cannot_be_input(clip_file, capsys):
    before = clip_file.read_bytes()
    assert main(["generate", str(clip_file), "-o", str(clip_file), "-q"]) != 0
    assert "input" in capsys.readouterr().err
    assert clip_file.read_bytes() == before


def test_inpaint_cli_keeps_outside_pixels(tmp_path):
    frames = moving_texture(6, 32, 40, seed=7)
    src = tmp_path / "src/"
    write_video(frames, src, fps=Fraction(25))
    mask = np.zeros_like(frames)
    mask[:, 10:20, 12:24] = 255
    write_video(mask, tmp_path / "mask/", fps=Fraction(25))
    out = tmp_path / "out/"
    assert main(["inpaint", str(tmp_path / "src"), "--mask", str(tmp_path / "mask"), "-o", str(out),
                 "--seed", "1", "-q"]) == 0
    got = read_video(tmp_path / "out").frames
    hole = mask[..., 0] > 0
    assert np.array_equal(got[~hole], frames[~hole])


def _inpaint_files(tmp_path, width: int, columns: slice) -> tuple[np.ndarray, np.ndarray]:
    """A 3-frame clip 40 pixels high as src/ and a mask of rows 10-19 in `columns` as mask/."""
    frames = moving_texture(3, 40, width, seed=7)
    write_video(frames, tmp_path / "src/", fps=Fraction(25))
    mask = np.zeros_like(frames)
    mask[:, 10:20, columns] = 255
    write_video(mask, tmp_path / "mask/", fps=Fraction(25))
    return frames, mask


def test_inpaint_at_draft_keeps_the_clip_size(tmp_path):
    """Draft shrinks the other commands to 320 px; an inpainting keeps the clip's size (as in
    the editor: the mask is the clip's, and the pixels outside the hole the source's)."""
    frames, mask = _inpaint_files(tmp_path, 336, slice(100, 120))
    assert main(["inpaint", str(tmp_path / "src"), "--mask", str(tmp_path / "mask"), "-o",
                 str(tmp_path / "out/"), "--quality", "draft", "-q"]) == 0
    got = read_video(tmp_path / "out").frames
    hole = mask[..., 0] > 0
    assert got.shape == frames.shape and np.array_equal(got[~hole], frames[~hole])


def test_inpaint_says_its_clip_was_downscaled(tmp_path, capsys):
    _inpaint_files(tmp_path, 128, slice(40, 60))
    assert main(["inpaint", str(tmp_path / "src"), "--mask", str(tmp_path / "mask"), "-o",
                 str(tmp_path / "out/"), "--max-side", "64", "-q"]) == 0
    assert "note: downscaled from 128x40 to 64x20: --max-side 64\n" in capsys.readouterr().err


def test_a_draft_read_small_for_a_large_output_says_why(tmp_path, capsys):
    """Draft fits the input and the output in 320 px by one scale: a 4x wider output reads
    the input at a quarter of Draft's size, which said bare looked like a fault."""
    write_video(moving_texture(3, 48, 160, seed=3), tmp_path / "src/", fps=Fraction(25))
    assert main(["generate", str(tmp_path / "src"), "-o", str(tmp_path / "out/"), "--width",
                 "1280", "--quality", "draft", "-q"]) == 0
    assert ("note: downscaled from 160x48 to 40x12: one scale fits both it and the output's "
            "1280 px in Draft's limit of 320 px (Normal reads it larger)"
            in capsys.readouterr().err)
    assert read_video(tmp_path / "out").frames.shape[1:3] == (12, 320)


def test_bench_writes_json(clip_file, tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", str(clip_file), "--seeds", "2", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["levels"] >= 2 and rows[0]["coherence"] >= 0 and rows[0]["diversity"] > 0
    # How new each seed looks: in its run, and the mean in the table's last column.
    each = [r["new"] for r in rows[0]["runs"]]
    assert len(each) == 2 and all(0 < v <= 1 for v in each) and rows[0]["new"] == pytest.approx(sum(each) / 2)
    printed = capsys.readouterr().out
    assert "clip.mp4" in printed and "% new (each)" in printed
    assert f"{100 * rows[0]['new']:.0f} ({100 * each[0]:.0f} {100 * each[1]:.0f})" in printed
    # The realism score's seam term likewise (engine.seams.seam_lines).
    seams = [r["seams"] for r in rows[0]["runs"]]
    assert rows[0]["seams_each"] == seams and "seams (each)" in printed
    assert f"{rows[0]['seams']:.1f} ({seams[0]:.1f} {seams[1]:.1f})" in printed


def test_bench_names_a_missing_data_folder(tmp_path, monkeypatch, capsys):
    import engine.bench as bench

    missing = tmp_path / "no_such_data"
    monkeypatch.setattr(bench, "DATA", missing)
    monkeypatch.setattr(bench, "ANCHORS", missing / "anchors")
    monkeypatch.setenv("VGPNN_BENCH_DATA", str(missing))
    assert main(["bench", "--seeds", "1", "--json", str(tmp_path / "b.json")]) == 2
    assert "VGPNN_BENCH_DATA" in capsys.readouterr().err and not (tmp_path / "b.json").exists()
    # Not asked for by name: the bench says where it looked and measures the bundled sample.
    monkeypatch.delenv("VGPNN_BENCH_DATA")
    cases = bench.default_cases(1, 0)
    assert [c.name for c in cases] == ["bundled sample"]
    assert str(missing) in capsys.readouterr().err


def test_variation_scales_the_noise(clip_file, tmp_path, capsys):
    """--variation 0 gives the input back (no noise); a bad value is refused."""
    out = tmp_path / "v0.mp4"
    assert main(["generate", str(clip_file), "-o", str(out), "--variation", "0", "-q", "--crf", "0"]) == 0
    assert out.exists()
    assert main(["generate", str(clip_file), "-o", str(tmp_path / "x.mp4"), "--variation", "nan"]) == 2
    assert "--variation" in capsys.readouterr().err


def test_bench_ablate_runs_named_variants_side_by_side(clip_file, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["bench", str(clip_file), "--seeds", "2", "--json", str(out),
                 "--ablate", "default,fixed noise 5 (authors')"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [r["variant"] for r in rows] == ["default", "fixed noise 5 (authors')"]
    assert all(r["coherence"] > 0 and r["diversity"] > 0 for r in rows)
    assert rows[0]["coherence"] != rows[1]["coherence"]
    table = capsys.readouterr().out
    assert "fixed noise 5" in table and "coherence" in table
    assert main(["bench", str(clip_file), "--ablate", "nonsense"]) == 2
    assert "unknown variant" in capsys.readouterr().err


def test_every_ablation_variant_is_a_valid_setting():
    """A variant with a misspelt field or a bad value would only fail when someone runs it."""
    from engine.bench import VARIANTS
    from engine.config import Settings

    for name, changes in VARIANTS.items():
        changes = dict(changes)
        noise = changes.pop("noise", None)
        assert noise is None or noise > 0, name
        Settings().with_(**changes).validate()


def test_main_py_exit_code_for_bad_file(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "generate", str(tmp_path / "nope.mp4"),
                        "-o", str(tmp_path / "o.mp4")], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: nope.mp4: file not found"


def test_single_image_to_png_and_many_frames_refused(tmp_path, capsys):
    write_video(moving_texture(1, 40, 56), tmp_path / "img/", fps=Fraction(1))
    image = tmp_path / "img" / "frame_00001.png"
    out = tmp_path / "var.png"
    assert main(["generate", str(image), "-o", str(out), "-q", "--width", "80"]) == 0
    assert read_video(out).frames.shape == (1, 40, 80, 3)
    clip = tmp_path / "clip.mp4"
    write_video(moving_texture(6, 40, 56), clip, fps=Fraction(24))
    assert main(["generate", str(clip), "-o", str(tmp_path / "many.png"), "-q"]) == 2
    assert "holds one frame" in capsys.readouterr().err
    assert not (tmp_path / "many.png").exists()


# --- limits: refused at once, before decoding or loading PyTorch --------------------------


def _run_main(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=timeout)


def test_absurd_width_refused_at_once(clip_file, tmp_path):
    import time

    t0 = time.perf_counter()
    r = _run_main("generate", str(clip_file), "-o", str(tmp_path / "big.mp4"), "--width", "100000")
    elapsed = time.perf_counter() - t0
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("error: output width 100000 is over the limit of 8192 pixels")
    assert elapsed < 5  # about 0.5 s here; the limit leaves room for a loaded CI machine
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_draft_refuses_an_absurd_width_by_its_own_cap(clip_file, tmp_path, capsys):
    """Draft fitted the run under 320 px before the caps were checked: a 100000-px width
    was refused naming a --max-side the user never typed (an audit)."""
    rc = main(["generate", str(clip_file), "-o", str(tmp_path / "w.mp4"), "--quality", "draft",
               "--width", "100000", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: output width 100000 is over the limit of 8192")
    assert "--max-side" not in err.split(";")[0]


@pytest.mark.parametrize("args, name", [
    (["generate", ""], "input"), (["retarget", ""], "input"),
    (["inpaint", "{clip}", "--mask", "", ], "--mask"),
    (["inpaint", "{clip}", "--mask", "{clip}", "--hints", ""], "--hints"),
    (["analogy", "", "{clip}"], "A"), (["sketch", "{clip}", " "], "B"),
])
def test_an_empty_name_is_refused_not_read_as_the_sample(clip_file, tmp_path, capsys, args,
                                                         name):
    """A script's unset variable gives an empty name: generate and retarget made the
    bundled sample's variation and exited 0, --hints "" was left out silently, the others
    failed naming a file called "" (an audit)."""
    out = tmp_path / "x.mp4"
    with pytest.raises(SystemExit) as stop:
        main([a.format(clip=clip_file) for a in args] + ["-o", str(out)])
    assert stop.value.code == 2 and not out.exists()
    assert f"argument {name}: the name is empty" in capsys.readouterr().err


def test_bench_reads_every_clip_before_the_first_runs(clip_file, tmp_path, capsys):
    """A missing last clip was found after the earlier ones had run (minutes on Full-HD),
    and their results were thrown away."""
    rc = main(["bench", str(clip_file), str(tmp_path / "missing.mp4"), "--seeds", "1",
               "--no-metrics", "--json", str(tmp_path / "b.json")])
    captured = capsys.readouterr()
    assert rc == 2 and "missing.mp4" in captured.err and "bench: clip.mp4" not in captured.err


def test_size_check_loads_neither_torch_nor_the_frames(clip_file):
    code = ("import sys, engine.io.reader as r; from engine.cli import main\n"
            "def no_decoding(*a, **k): raise AssertionError('decoded before the size check')\n"
            "r.iter_frames = no_decoding\n"
            f"rc = main(['generate', {str(clip_file)!r}, '-o', 'x.mp4', '--frames', '20000'])\n"
            "sys.exit(10 + rc if 'torch' in sys.modules else rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "over the limit of 10,000 frames" in r.stderr


def test_engine_loads_beside_the_decoding_and_is_done_before_exit(clip_file, tmp_path):
    """generate imports PyTorch on a helper thread once the size checks pass; the command
    still makes its output, and no import is left running when main() returns."""
    out = tmp_path / "o.mp4"
    code = ("import sys, threading; from engine.cli import main\n"
            f"rc = main(['generate', {str(clip_file)!r}, '-o', {str(out)!r}, '-q', '--quality', 'draft'])\n"
            "sys.exit(rc or 10 * (threading.active_count() != 1 or 'torch' not in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.is_file()


def test_whole_command_flushes_its_output_and_skips_the_teardown(clip_file, tmp_path):
    """main.py leaves a headless command with os._exit (PyTorch's teardown is a twentieth of
    a short run): the printed lines still arrive through pipes, the exit code is the
    command's and the output is complete and renamed."""
    out = tmp_path / "o.mp4"
    r = _run_main("generate", str(clip_file), "-o", str(out), "--quality", "draft", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{out}  56x40x8  ")
    assert r.stderr.rstrip().splitlines()[-1].startswith("done in ")
    assert read_video(out).frames.shape == (8, 40, 56, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "o.mp4"]


@pytest.mark.parametrize("value, message", [
    ("nan", "noise must be a finite number, got nan"),
    ("inf", "noise must be a finite number, got inf"),
    ("-1", "noise cannot be negative"),
])
def test_bad_noise_refused_with_one_line(clip_file, tmp_path, value, message):
    r = _run_main("generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), "--noise", value)
    assert r.returncode == 2
    assert r.stderr.strip() == r.stderr.strip().splitlines()[0]
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_memory_cap_refused_before_work(clip_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("engine.limits.free_memory", lambda: 10**6)  # 1 MB free
    code = main(["generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: an output of 8 frames of 56x40")
    assert "of memory but 0.0 GB is free" in err
    assert not (tmp_path / "o.mp4").exists()


def test_memory_the_cpu_cannot_give_is_one_line_and_exit_3(clip_file, tmp_path, capsys, monkeypatch):
    """PyTorch's CPU allocator says it with a RuntimeError (a container's limit, a ulimit, a
    machine busy elsewhere), not a MemoryError: the same one line and exit code."""
    import engine.run as engine_run

    def starved(*args):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] data. DefaultCPUAllocator: "
                           "can't allocate memory: you tried to allocate 3221225472 bytes.")
        yield

    monkeypatch.setattr(engine_run, "_run_on", starved)
    code = main(["generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 3 and err.startswith("error: out of memory") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.parametrize("output, message", [
    ("", "is not a name for an output"),
    ("{tmp}/missing/out.mp4", "the folder {tmp}/missing does not exist"),
    ("{clip}/out.mp4", "clip.mp4 is a file, not a folder"),
    ("{tmp}/out.webm", "unknown output type '.webm'"),
    ("{tmp}/.mp4", "'.mp4' is only a suffix; give a name such as out.mp4"),
    # A folder of PNG frames named "-" was written; /dev/null was "a file, not a folder".
    ("-", "writing to stdout is not supported"),
    ("/dev/null", "/dev/null: not a file or folder (a device or a pipe)"),
])
def test_output_problems_are_refused_before_any_work(clip_file, tmp_path, capsys, monkeypatch,
                                                     output, message):
    import engine.cli as cli

    def no_work(*a, **k):
        raise AssertionError("read the clip before checking the output")

    monkeypatch.setattr(cli, "_read", no_work)
    output = output.format(tmp=tmp_path, clip=clip_file)
    assert main(["generate", str(clip_file), "-o", output, "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message.format(tmp=tmp_path) in err, err


def test_an_unwritable_folder_is_refused_before_any_work(clip_file, tmp_path, capsys, monkeypatch):
    # (A read-only mount; chmod alone does not stop root, so the check is simulated.)
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path / "ro" else real(p, mode))
    (tmp_path / "ro").mkdir()
    assert main(["generate", str(clip_file), "-o", str(tmp_path / "ro" / "x.mp4"), "-q"]) == 2
    assert "cannot write into" in capsys.readouterr().err


def test_a_failed_write_cleans_up_without_a_traceback(tmp_path, monkeypatch):
    # The clean-up of a half-written file must not raise over the write's own error.
    import engine.io.writer as writer

    def boom(*a, **k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(writer, "_write_h264", boom)
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: boom())
    from engine.errors import EngineError

    with pytest.raises(EngineError, match="could not write the output"):
        write_video(moving_texture(2, 24, 32), tmp_path / "o.mp4", fps=Fraction(10))


def test_inpaint_never_writes_over_its_mask_or_hints(tmp_path, capsys):
    frames = moving_texture(4, 24, 32, seed=3)
    write_video(frames, tmp_path / "src/", fps=Fraction(25))
    mask = np.zeros_like(frames)
    mask[:, 8:16, 10:20] = 255
    write_video(mask, tmp_path / "mask/", fps=Fraction(25))
    before = sorted((p.name, p.read_bytes()) for p in (tmp_path / "mask").iterdir())
    assert main(["inpaint", str(tmp_path / "src"), "--mask", str(tmp_path / "mask"),
                 "-o", str(tmp_path / "mask") + "/", "-q"]) == 2
    assert "cannot be the input" in capsys.readouterr().err
    assert sorted((p.name, p.read_bytes()) for p in (tmp_path / "mask").iterdir()) == before


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "--seed: must be from 0 to 2147483647"),
    (["--seed", "4294967296"], "--seed: must be from 0 to 2147483647"),
    (["--crf", "60"], "--crf: must be from 0 (lossless) to 51"),
    (["--count", "1001"], "--count: must be from 1 to 1000 (got 1001)"),
])
def test_numbers_out_of_range_are_refused_by_the_parser(clip_file, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err
    # One line, as every other bad input (not argparse's usage block first).
    assert err.startswith("error: generate: argument ") and err.count("\n") == 1


def test_another_python_without_the_packages_is_told_which_and_what_to_run(monkeypatch, capsys):
    """`python main.py` outside .venv: one line naming what is missing and the command, not
    a traceback from deep in an import."""
    import importlib.util

    import main as entry

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("av", "PySide6") else real(name, *a))
    assert entry.main(["generate", "-o", "x.mp4"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: this Python (") and "has no PyAV:" in err
    assert ".venv/bin/python main.py" in err and err.count("\n") == 1
    assert entry.main([]) == 1 and "has no PyAV, PySide6:" in capsys.readouterr().err


def test_seeds_of_a_count_stay_within_the_largest(clip_file, tmp_path, capsys):
    assert main(["generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), "--seed", "2147483647",
                 "--count", "2", "-q"]) == 2
    assert "go past the largest seed" in capsys.readouterr().err


def test_a_trailing_slash_asks_for_a_folder_of_frames(clip_file, tmp_path):
    out = str(tmp_path / "looks_like.mp4") + "/"
    assert main(["generate", str(clip_file), "-o", out, "--frames", "3", "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "looks_like.mp4").glob("*.png"))[0] == "frame_00001.png"


def test_a_mistyped_command_is_named_not_opened(clip_file, capsys):
    import main as entry

    assert entry.main(["generat"]) == 2
    assert "unknown command 'generat' (did you mean generate?)" in capsys.readouterr().err
    assert entry.main(["generat", "clip.mp4", "-o", "x.mp4"]) == 2  # with its arguments too
    assert "error: unknown command 'generat' (did you mean generate?)" in capsys.readouterr().err
    assert entry.main(["no_such_thing"]) == 2
    assert "neither a file nor a command" in capsys.readouterr().err
    assert entry.main([str(clip_file), "-o", "x.mp4"]) == 2  # the command forgotten
    assert "error: the editor opens one VIDEO" in capsys.readouterr().err


def test_an_unknown_option_names_its_command(clip_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:  # argparse's exit, as for any usage mistake
        main(["inpaint", str(clip_file), "--mask", str(clip_file), "-o",
              str(tmp_path / "o.mp4"), "--width", "10"])
    assert stop.value.code == 2
    assert ("error: inpaint: unrecognized arguments: --width 10 (see python main.py inpaint "
            "--help)") in capsys.readouterr().err


def test_bench_refuses_a_json_it_could_not_write_before_running(clip_file, tmp_path, capsys):
    assert main(["bench", str(clip_file), "--json", str(tmp_path / "gone" / "b.json")]) == 2
    assert "--json's folder" in capsys.readouterr().err
    # A folder os.access calls writable that is not (a read-only mount, /proc, as root): the
    # runs went on, and the error at their end named a hidden temporary. And no name at all.
    import engine.bench as bench_module

    def refused(*a, **k):
        raise OSError(30, "Read-only file system")

    real = bench_module.tempfile.mkstemp
    bench_module.tempfile.mkstemp = refused
    try:
        assert main(["bench", str(clip_file), "--json", str(tmp_path / "b.json")]) == 2
    finally:
        bench_module.tempfile.mkstemp = real
    err = capsys.readouterr().err
    assert "cannot write into --json's folder" in err and "read-only file system" in err
    assert "bench:" not in err  # before any run
    assert main(["bench", str(clip_file), "--json", ""]) == 2
    assert capsys.readouterr().err.strip() == "error: --json needs a file name, such as bench.json"
    with pytest.raises(SystemExit):
        main(["bench", "--fullhd-seeds", "-1"])
    assert "must be at least 0" in capsys.readouterr().err


def test_bench_never_writes_over_an_input_or_a_folder_beside_its_json(clip_file, tmp_path, capsys):
    before = clip_file.read_bytes()
    assert main(["bench", str(clip_file), "--seeds", "1", "--json", str(clip_file)]) == 2
    assert "cannot be the input" in capsys.readouterr().err and clip_file.read_bytes() == before
    # The inpainting picture goes beside the JSON as one file; a folder of the JSON's
    # name (once the picture's scratch folder) is left alone.
    import engine.bench as bench

    mine = tmp_path / "b"
    mine.mkdir()
    (mine / "frame_00001.png").write_bytes(b"mine")
    frames = np.zeros((16, 8, 8, 3), np.uint8)
    mask = np.zeros((16, 8, 8), bool)
    mask[:, 2:5, 2:5] = True
    picture = bench.picture_path(tmp_path / "b.json")
    bench._before_after(frames, frames, mask, picture)
    assert picture.is_file() and (mine / "frame_00001.png").read_bytes() == b"mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left


def test_sigterm_stops_like_ctrl_c_and_leaves_no_partial_output(tmp_path):
    """timeout, kill and job schedulers send SIGTERM: the half-written output's temporary
    name goes as it does for Ctrl-C, and the exit code says so (128 + 15)."""
    import os
    import signal
    import time

    src = tmp_path / "src.mp4"
    write_video(moving_texture(4, 24, 32), src, fps=Fraction(10))
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "retarget", str(src), "-o", str(out / "frames/"),
         "--frames", "400", "--quality", "draft", "-q"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".frames.partial*")) and child.poll() is None:
        assert time.monotonic() < deadline, "the writer never started"
        time.sleep(0.01)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "stopped (terminated)" in err
    assert os.listdir(out) == []


def test_an_odd_size_reports_the_size_written(tmp_path, capsys):
    src = tmp_path / "odd"
    write_video(moving_texture(4, 31, 45), src, fps=Fraction(10))
    assert main(["generate", str(src), "-o", str(tmp_path / "o.mp4"), "-q"]) == 0
    captured = capsys.readouterr()
    assert "padded 45x31 to 46x32" in captured.err and "  46x32x4  " in captured.out
    assert read_video(tmp_path / "o.mp4").frames.shape[1:3] == (32, 46)


def test_typed_sizes_are_the_originals_pixels_when_the_input_is_shrunk(clip_file, tmp_path):
    """--width/--height mean the original's pixels, as in the editor, and --max-side bounds
    the input and the output by one scale: 84 px (1.5x the 56 px width) under --max-side
    28 reads the input at a third (19x14) and makes 28x14, the asked shape, not 84 px on a
    copy half as tall."""
    out = tmp_path / "wide/"
    assert main(["retarget", str(clip_file), "-o", str(out), "--max-side", "28", "--width",
                 "84", "--frames", "2", "-q"]) == 0
    assert read_video(out).frames.shape == (2, 14, 28, 3)
    narrow = tmp_path / "narrow/"  # an output smaller than the input: the input sets the scale
    assert main(["retarget", str(clip_file), "-o", str(narrow), "--max-side", "28", "--width",
                 "28", "--frames", "2", "-q"]) == 0
    assert read_video(narrow).frames.shape == (2, 20, 14, 3)
    # The input's side as read is rounded (10.77 px to 11): sizes shrink by the exact scale,
    # where 11/56 of 520 made 102 px under --max-side 100.
    wider = tmp_path / "wider/"
    assert main(["retarget", str(clip_file), "-o", str(wider), "--max-side", "100", "--width",
                 "520", "--frames", "2", "-q"]) == 0
    assert read_video(wider).frames.shape[1:3] == (8, 100)


def test_the_summary_line_counts_the_frames_a_fast_gif_holds(tmp_path, capsys):
    src = tmp_path / "fast.mp4"
    write_video(moving_texture(6, 24, 32), src, fps=Fraction(60))
    out = tmp_path / "fast.gif"
    assert main(["generate", str(src), "-o", str(out), "--quality", "draft", "-q"]) == 0
    said = capsys.readouterr()
    assert len(read_video(out).frames) == 3 and "32x24x3" in said.out  # every 2nd of 6
    assert "every 2nd frame kept" in said.err


def test_names_the_system_refuses_end_in_one_error_line_before_any_work(clip_file, tmp_path,
                                                                          capsys):
    """An output or input name over 255 bytes, or a folder one may not look into, is one
    `error:` line and exit 2 (Path.exists() raises on both), before the run."""
    long = "a" * 260
    assert main(["generate", str(clip_file), "-o", str(tmp_path / f"{long}.mp4"),
                 "--quality", "draft", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "too long" in err and "Traceback" not in err
    assert "search" not in capsys.readouterr().out  # refused before the run
    assert main(["generate", str(tmp_path / f"{long}.mp4"), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "too long" in capsys.readouterr().err


def test_a_long_legal_output_name_is_written(clip_file, tmp_path):
    """A name of 250 bytes is legal: the temporary name beside it must not go over 255."""
    out = tmp_path / ("b" * 246 + ".mp4")
    assert main(["generate", str(clip_file), "-o", str(out), "--quality", "draft", "-q"]) == 0
    assert out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_max_side_under_8_pixels_is_refused_not_taken_as_8(clip_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["generate", str(clip_file), "-o", str(tmp_path / "o.mp4"), "--max-side", "3"])
    assert stop.value.code == 2 and "must be at least 8 pixels (got 3)" in capsys.readouterr().err


def test_a_max_side_that_would_read_the_input_under_8_pixels_is_refused(clip_file, tmp_path,
                                                                         capsys):
    """--max-side 8 with an output 4x as wide as the 56 px clip read the input at its 8 px
    floor and wrote a 32 px wide video: over the --max-side asked for, with no word said.
    It is refused, naming the least that works (8 * 224 / 56 = 32)."""
    out = tmp_path / "o.mp4"
    assert main(["generate", str(clip_file), "-o", str(out), "--max-side", "8",
                 "--width", "224", "-q"]) == 2
    assert "use --max-side 32 or more" in capsys.readouterr().err and not out.exists()
    assert main(["generate", str(clip_file), "-o", str(out), "--max-side", "32",
                 "--width", "224", "--frames", "4", "-q"]) == 0


class _ClosedPipe:
    """A stream whose reader went away after `lines` lines, as `... | head -1` leaves it."""

    def __init__(self, lines: int = 1):
        self.lines, self.written = lines, []

    def write(self, text):
        if len(self.written) >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        self.written.append(text)
        return len(text)

    def flush(self):
        if len(self.written) >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")

    def isatty(self):
        return False


def test_a_reader_that_goes_away_does_not_stop_the_work(clip_file, tmp_path, monkeypatch):
    # `generate ... 2>&1 | head -1`: the first progress line after the note closed the pipe,
    # which stopped the run with nothing written (exit code 1).
    out = tmp_path / "out.mp4"
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    monkeypatch.setattr(sys, "stderr", _ClosedPipe())
    assert main(["generate", str(clip_file), "-o", str(out), "--seed", "1"]) == 0
    assert read_video(out).frames.shape == (8, 40, 56, 3)


def test_a_full_disk_under_stdout_is_named(clip_file, tmp_path, monkeypatch, capsys):
    class Full(_ClosedPipe):
        def write(self, text):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert main(["generate", str(clip_file), "-o", str(tmp_path / "out.mp4"), "-q"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: output: no space left on device")


def test_closed_streams_and_a_full_disk_under_stderr_do_not_stop_the_work(clip_file, tmp_path,
                                                                          monkeypatch):
    """Run with stdout or stderr closed (`>&-`, `2>&-`: None in Python) or stderr on a full
    disk: the first progress line raised (AttributeError, or ENOSPC, then the error line on
    the same stream), and no output was written."""
    class Full(_ClosedPipe):
        def write(self, text):
            raise OSError(28, "No space left on device")

    for n, (out_stream, err_stream) in enumerate(((None, _ClosedPipe(99)), (_ClosedPipe(99), None),
                                                  (_ClosedPipe(99), Full()))):
        monkeypatch.setattr(sys, "stdout", out_stream)
        monkeypatch.setattr(sys, "stderr", err_stream)
        out = tmp_path / f"out{n}.mp4"
        assert main(["generate", str(clip_file), "-o", str(out), "--frames", "4"]) == 0, n
        assert read_video(out).frames.shape == (4, 40, 56, 3)


def test_ctrl_c_while_the_parser_imports_is_cancelled_not_a_traceback(monkeypatch, capsys):
    """Ctrl-C in the first quarter second (the parser's imports) or a second one while the
    engine's import ends escaped main() as a traceback with exit code 1."""
    import engine.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["generate", "x.mp4", "-o", "y.mp4"]) == 130
    assert capsys.readouterr().err.strip() == "cancelled"


def test_inpaint_help_says_draft_keeps_the_clips_size(capsys):
    # Inpainting never shrinks its clip; the shared help said Draft's 320 px for it too.
    with pytest.raises(SystemExit):
        main(["inpaint", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "at the clip's full size" in text and "320" not in text
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    assert "at most 320 px" in " ".join(capsys.readouterr().out.split())
