"""The probe's child process: each failure reason gets its own message.

A child that cannot start or load PyAV says "cannot start the media reader: ..." (every file
would fail the same way), distinct from a file that crashed it and a file FFmpeg rejects.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.io import probe, write_video
from engine.io.probe import MediaReaderError
from tests.test_io import gradient

# The module (engine.io.probe the attribute is the function of the same name).
probe_mod = importlib.import_module("engine.io.probe")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_reports():
    """Each test probes afresh: a report remembered from an earlier test would hide the
    failure that a test makes its child report."""
    probe_mod._REPORTS.clear()
    yield
    probe_mod._REPORTS.clear()


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return write_video(gradient(4, 16, 16), tmp_path_factory.mktemp("p") / "good.mp4",
                       fps=Fraction(24))


def _child_runs(monkeypatch, code: str) -> None:
    """Run `code` as the child instead of the real probe script."""
    monkeypatch.setattr(probe_mod, "_child_command",
                        lambda path, limit: [sys.executable, "-c", code, os.fspath(path)])


def test_pyav_only_on_pythonpath(tmp_path: Path, good: Path) -> None:
    """A Python without PyAV in its site-packages that finds it through PYTHONPATH (a
    `pip install --target`, a system Python with extra paths): the -I child must see it."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = bare / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    import av

    site = str(Path(av.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), site])}
    code = "import sys; from engine.io import probe; i = probe(sys.argv[1]); print(i.width, i.frames)"
    r = subprocess.run([str(python), "-c", code, str(good)], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["16", "4"]


def test_child_without_pyav_cannot_start(monkeypatch, good: Path) -> None:
    # The real child script, with no site-packages and no import path from the parent.
    monkeypatch.setattr(probe_mod, "_child_command", lambda path, limit: [
        sys.executable, "-I", "-S", "-c", probe_mod._CHILD_SOURCE, os.fspath(path), str(limit)])
    monkeypatch.setattr(probe_mod, "_child_env", lambda: {
        k: v for k, v in os.environ.items() if k != probe_mod._PATH_VARIABLE})
    with pytest.raises(MediaReaderError,
                       match=r"^cannot start the media reader: cannot load PyAV \(ModuleNotFound"):
        probe(good)


def test_child_that_fails_to_start(monkeypatch, good: Path) -> None:
    monkeypatch.setattr(probe_mod, "_child_command",
                        lambda path, limit: ["/nonexistent/python-for-the-probe", "-c", "pass"])
    with pytest.raises(MediaReaderError, match=r"^cannot start the media reader: .*No such file"):
        probe(good)
    _child_runs(monkeypatch, "raise SystemExit('the interpreter is broken')")
    with pytest.raises(MediaReaderError,
                       match=r"^cannot start the media reader: the interpreter is broken$"):
        probe(good)


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_crash_before_and_after_loading_pyav(monkeypatch, good: Path) -> None:
    # Before the child said it was ready: the reader itself is broken (a bad FFmpeg build).
    _child_runs(monkeypatch, "import os; os.abort()")
    with pytest.raises(MediaReaderError, match=r"^cannot start the media reader: it crashed \(SIGABRT\)"):
        probe(good)
    # After: the file crashed it (PyAV issue 2344).
    _child_runs(monkeypatch, "import os, signal, sys; print('{\"ready\": \"x\"}', flush=True); "
                             "os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(InputError, match=r"^good.mp4: the file is damaged or truncated \(it crashed "
                                         r"the media reader: SIGSEGV\)$"):
        probe(good)


def test_unexpected_error_in_the_reader_names_the_file(monkeypatch, good: Path) -> None:
    source = probe_mod._CHILD_SOURCE.replace(
        "def _report(path: str, limit: int) -> dict:\n",
        "def _report(path: str, limit: int) -> dict:\n    raise ValueError('odd metadata')\n")
    assert source != probe_mod._CHILD_SOURCE
    monkeypatch.setattr(probe_mod, "_CHILD_SOURCE", source)
    with pytest.raises(InputError, match=r"^good.mp4: the media reader cannot read this file "
                                         r"\(ValueError: odd metadata\)$"):
        probe(good)


def test_hang_before_and_after_loading_pyav(monkeypatch, good: Path) -> None:
    monkeypatch.setattr(probe_mod, "PROBE_TIMEOUT", 0.5)
    _child_runs(monkeypatch, "import time; time.sleep(30)")
    with pytest.raises(MediaReaderError, match="cannot start the media reader: it did not load"):
        probe(good)
    _child_runs(monkeypatch, "import time; print('{\"ready\": \"x\"}', flush=True); time.sleep(30)")
    with pytest.raises(InputError, match=r"good.mp4: opening the file took over 0 s"):
        probe(good)


def test_ffmpeg_rejection_is_about_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 50)
    with pytest.raises(InputError, match="notes.mp4: not a video or image file"):
        probe(bad)


def test_child_ignores_the_current_folder(tmp_path: Path, good: Path, monkeypatch) -> None:
    """A stray av.py in the current folder is not what the child imports."""
    (tmp_path / "av.py").write_text("raise SystemExit('the stray av.py was imported')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), *sys.path])
    assert probe(good).frames == 4


def test_child_ignores_a_package_folder_on_the_path(good: Path, monkeypatch) -> None:
    """OpenCV's loader puts its own package folder on sys.path while `import cv2` runs (on
    another thread: an overlay, a sketch import): a probe started then must not take
    cv2/typing for `typing` (it could not load PyAV: "cannot start the media reader")."""
    import cv2

    package = str(Path(cv2.__file__).parent)
    assert (Path(package) / "typing" / "__init__.py").is_file()  # what shadowed `typing`
    monkeypatch.setattr(sys, "path", [sys.path[0], package, *sys.path[1:]])
    assert probe(good).frames == 4


def test_cli_says_the_reader_cannot_start(monkeypatch, good: Path, capsys, tmp_path: Path) -> None:
    from engine.cli import main

    monkeypatch.setattr(probe_mod, "_child_command",
                        lambda path, limit: ["/nonexistent/python-for-the-probe"])
    assert main(["generate", str(good), "-o", str(tmp_path / "o.mp4"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot start the media reader:") and "\n" not in err


# --- what the probe learns from unusual files (built by tests/hostile_corpus.py) -------------


def test_kind_follows_the_content_not_the_name(tmp_path: Path) -> None:
    from tests import hostile_corpus as hc

    hc.mp4_as(tmp_path / "video.png")
    info = probe(tmp_path / "video.png")
    assert (info.kind, info.frames, info.fps) == ("video", 8, 24)
    hc.png_as(tmp_path / "picture.mp4")
    assert probe(tmp_path / "picture.mp4").kind == "image"


def test_variable_rate_and_alpha_are_noted(tmp_path: Path) -> None:
    from engine.io import read_video
    from tests import hostile_corpus as hc

    hc.variable_rate(tmp_path / "vfr.mkv")
    assert probe(tmp_path / "vfr.mkv").variable_rate
    assert any("variable frame rate" in n for n in read_video(tmp_path / "vfr.mkv").notes)
    hc.good_mp4(tmp_path / "even.mp4")
    info = probe(tmp_path / "even.mp4")
    assert not info.variable_rate and not info.alpha
    hc.alpha_video(tmp_path / "alpha.mov")
    assert probe(tmp_path / "alpha.mov").alpha
    assert any("alpha" in n for n in read_video(tmp_path / "alpha.mov").notes)


@pytest.mark.parametrize("build, message", [
    ("png_bomb", r"bomb: declares frames of 30000x30000 \(900\.0 million pixels\), too large"),
    ("huge_y4m", r"bomb: declares frames of 100000x100000"),
    ("huge_png_header", r"bomb: declares frames of 100000x100000"),
    ("truncated_after_moov", r"bomb: the file is damaged or truncated$"),
])
def test_declared_sizes_and_missing_frames(tmp_path: Path, build: str, message: str) -> None:
    from tests import hostile_corpus as hc

    builder = hc.truncated(None) if build == "truncated_after_moov" else getattr(hc, build)
    builder(tmp_path / "bomb")
    with pytest.raises(InputError, match=message):
        probe(tmp_path / "bomb")


def test_an_unchanged_file_is_probed_once(monkeypatch, tmp_path: Path) -> None:
    """A command checks sizes from the probe and then reads the clip: one child process for
    both, while the file is unchanged; a rewritten file is probed again."""
    path = write_video(gradient(4, 16, 16), tmp_path / "clip.mp4", fps=Fraction(24))
    calls = []
    real = probe_mod.run_child_probe

    def counted(p, limit=0):
        calls.append(p)
        return real(p, limit)

    monkeypatch.setattr(probe_mod, "run_child_probe", counted)
    first = probe(path)
    assert probe(path) == first and len(calls) == 1
    assert probe(path, limit=2).frames == first.frames and len(calls) == 2  # another question
    write_video(gradient(6, 16, 16), tmp_path / "clip.mp4", fps=Fraction(24))
    os.utime(path, ns=(1, 1))  # a new modification time even on a coarse clock
    assert probe(path).frames == 6 and len(calls) == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_refused_at_once_not_after_a_minute(tmp_path):
    """FFmpeg would wait on a named pipe till the probe's time-out, then say "damaged"."""
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="clip.mp4: not a regular file"):
        probe(fifo)


def test_a_project_given_as_a_video_says_where_it_opens(tmp_path):
    project = tmp_path / "trip.vgpnn"
    project.write_bytes(b"PK\x03\x04" + bytes(60))  # a zip, as projects are
    with pytest.raises(InputError, match="trip.vgpnn: is an editor project, not a video; open it "
                                         r"in the editor \(python main.py trip.vgpnn\)"):
        probe(project)


def test_an_animated_webp_is_named_not_called_damaged(tmp_path):
    """FFmpeg has no decoder for an animated WebP's frames: the file is not damaged, and
    the message says what to do."""
    anim = tmp_path / "loop.webp"
    vp8x = b"VP8X" + (10).to_bytes(4, "little") + bytes([0x02]) + bytes(3) + bytes(6)
    chunk = b"ANIM" + (6).to_bytes(4, "little") + bytes(6)
    body = b"WEBP" + vp8x + chunk
    anim.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    with pytest.raises(InputError, match="loop.webp: an animated WebP, which FFmpeg cannot decode"):
        probe(anim)
