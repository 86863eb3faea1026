"""A write killed midway leaves a hidden partial output; the next write of the same target
removes it, unless a live writer still holds it."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from engine.io import write_video
from engine.io.partials import fcntl, side_names, sweep_stale

pytestmark = pytest.mark.skipif(fcntl is None, reason="no flock on this system")

FRAMES = np.zeros((3, 16, 16, 3), np.uint8)


def test_a_dead_writers_partials_go_with_the_next_write(tmp_path):
    target = tmp_path / "out.mp4"
    dead_file = tmp_path / ".out.partial-0123abcd.mp4"
    dead_file.write_bytes(b"half an mp4")
    other = tmp_path / ".other.partial-0123abcd.mp4"  # another target's: not ours to touch
    other.write_bytes(b"x")
    lookalike = tmp_path / ".out.partial-nothex00.mp4"
    lookalike.write_bytes(b"x")
    write_video(FRAMES, target, fps=Fraction(10))
    assert target.is_file()
    assert not dead_file.exists()
    assert other.exists() and lookalike.exists()

    frames_target = tmp_path / "frames"
    dead_folder = tmp_path / ".frames.partial-00ff00ff"
    dead_folder.mkdir()
    (dead_folder / "frame_00001.png").write_bytes(b"x")
    write_video(FRAMES, str(frames_target) + "/", fps=Fraction(10))
    assert len(list(frames_target.glob("*.png"))) == 3
    assert not dead_folder.exists()


def test_a_partial_being_written_is_held_and_kept(tmp_path):
    target = tmp_path / "out.mp4"
    seen = []

    def progress(done, total):
        # mid-write: the writer's own partial is there, and a sweep leaves it alone
        if not seen:
            seen.append(side_names(target, "partial"))
            seen.append(sweep_stale(target))

    write_video(FRAMES, target, fps=Fraction(10), progress=progress)
    assert len(seen[0]) == 1 and seen[1] == []
    assert target.is_file() and side_names(target, "partial") == []


def test_another_live_processes_partial_is_kept_until_it_dies(tmp_path):
    part = tmp_path / ".out.partial-abcdef01.mp4"
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from engine.io.partials import held\n"
         f"with held(Path({str(part)!r}), folder=False):\n"
         "    print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert sweep_stale(tmp_path / "out.mp4") == []
        assert part.exists()
    finally:
        child.kill()
        child.wait()
    assert sweep_stale(tmp_path / "out.mp4") == [part]
    assert not part.exists()
