"""Project files at the edges (a review, 2026-12-07): a project reached through a symbolic
link, a name glob reads as a pattern, a damaged member name or a JSON nested too deep, a
folder source beside other files, a Save As queued behind a save that fails."""

from __future__ import annotations

import json
import os
import threading
import time
import zipfile
from pathlib import Path

import cv2
import pytest

from app.state import atomic
from app.state.atomic import write_atomic
from app.state.fingerprint import fingerprint
from app.state.project_file import ProjectError, load_project
from app.window import projects as projects_module
from app.window import prompts
from tests.test_app_support import moving_texture


def _save_to(window, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *a, **k: path)
    assert window.projects.save_as() and window.projects.wait()


def test_a_project_reached_through_a_link_is_saved_into_the_file_it_points_to(tmp_path):
    """The link itself was replaced by a file: the project split in two, silently."""
    real = tmp_path / "store" / "walk.vgpnn"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "walk.vgpnn"
    link.symlink_to(real)
    write_atomic(link, lambda f: f.write(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_killed_saves_temporary_is_swept_whatever_the_name(tmp_path):
    """"take [1]" is a character class to glob: its temporaries stayed for good."""
    path = tmp_path / "take [1].vgpnn"
    killed = tmp_path / ".take [1].vgpnn.save-999999.tmp"  # a process long gone
    killed.write_bytes(b"x" * 10)
    old = time.time() - 2 * atomic.STALE_TEMP_S
    os.utime(killed, (old, old))
    assert not atomic.pid_running(999999)
    other = tmp_path / ".take 1.vgpnn.save-999999.tmp"  # another project's: not this one's
    other.write_bytes(b"y")
    os.utime(other, (old, old))
    write_atomic(path, lambda f: f.write(b"new"))
    assert not killed.exists() and other.exists()


def _project_with(tmp_path: Path, doc: bytes, member: str = "project.json") -> Path:
    path = tmp_path / "p.vgpnn"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, doc)
    return path


def test_a_json_nested_too_deep_is_called_damaged_not_an_unreadable_zip(tmp_path):
    deep = b'{"format": "vgpnn-project", "version": 2, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ProjectError, match="p.vgpnn is damaged: project.json cannot be read"):
        load_project(_project_with(tmp_path, deep))


def test_a_member_name_that_is_not_utf8_is_a_damaged_file(tmp_path):
    """ZipFile() raised UnicodeDecodeError: "Unexpected error", the file not named."""
    path = _project_with(tmp_path, json.dumps({"format": "x"}).encode())
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")  # the central directory's entry
    raw[at + 9] |= 0x08  # its name is UTF-8 (flag bit 11)...
    raw[at + 46] = 0xAE  # ...and is not
    path.write_bytes(bytes(raw))
    with pytest.raises(ProjectError, match="p.vgpnn is not a VGPNN project, or the file is damaged"):
        load_project(path)


def test_a_folder_source_is_known_by_its_images_alone(tmp_path):
    """A project saved into the frames' folder, or a Thumbs.db there, changed the hash:
    every open said the source had changed since the project was saved."""
    frames = tmp_path / "shot01"
    frames.mkdir()
    for i, rgb in enumerate(moving_texture()):
        cv2.imwrite(str(frames / f"frame_{i:04d}.png"), rgb[..., ::-1])
    before = fingerprint(frames)
    (frames / "shot.vgpnn").write_bytes(b"a project")
    (frames / "Thumbs.db").write_bytes(b"\0" * 100)
    (frames / ".DS_Store").write_bytes(b"\0" * 10)
    assert fingerprint(frames) == before
    (frames / "frame_0003.png").write_bytes((frames / "frame_0004.png").read_bytes())
    assert fingerprint(frames) != before  # a frame that changed still counts


def test_a_save_as_queued_behind_a_failing_save_is_written(window, qtbot, tmp_path, monkeypatch):
    """Save As to another place while a save to a failing disk was written: it was dropped
    with the failure, unsaid (the README says a save asked for meanwhile follows)."""
    bad = tmp_path / "usb" / "p.vgpnn"
    good = tmp_path / "home" / "q.vgpnn"
    bad.parent.mkdir()
    good.parent.mkdir()
    real, gate = projects_module.save_project, threading.Event()

    def save(data, path):
        if Path(path) == bad:
            gate.wait(10)
            raise OSError(5, "Input/output error")
        return real(data, path)

    monkeypatch.setattr(projects_module, "save_project", save)
    errors = []
    window.messages.error_reported.connect(errors.append)
    window.session.in_out.set_out(3)
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *a, **k: bad)
    assert window.projects.save_as()
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *a, **k: good)
    assert window.projects.save_as()
    gate.set()
    qtbot.waitUntil(lambda: not window.projects.saving, timeout=10_000)
    assert good.exists() and not bad.exists()
    assert len(errors) == 1 and "p.vgpnn" in errors[0]
    assert window.session.project_path == good.resolve() and not window.session.dirty


def test_a_project_saved_through_a_linked_folder_keeps_one_name(window, tmp_path, monkeypatch):
    """Saved as link/p.vgpnn, reopened as real/p.vgpnn: the last export's choices, the
    recent list and recovery were kept under the first and looked for under the second."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    window.session.in_out.set_out(3)
    _save_to(window, monkeypatch, link / "p.vgpnn")
    assert window.session.project_path == (real / "p.vgpnn").resolve()


def test_an_analogys_clip_a_moved_with_its_project_is_found_beside_it(qtbot, tmp_path, monkeypatch):
    """A folder holding the project, its clip and its clip A, copied elsewhere: the source
    was found beside the project, clip A was not ("not found", the analogy unusable)."""
    import shutil
    from fractions import Fraction

    from engine.io import write_video
    from tests.test_app_guided import choose_motion, moving_square
    from tests.test_app_support import close_and_check_threads, make_window

    first = tmp_path / "first"
    first.mkdir()
    clip = write_video(moving_texture(), first / "look.mp4", fps=Fraction(10), crf=10)
    motion = write_video(moving_square(t=6, h=24, w=32, side=8, step=2), first / "a.mp4",
                         fps=Fraction(10), crf=10)
    window = make_window(qtbot, tmp_path / "w1", clip)
    try:
        window.panel.set_task("Analogy")
        choose_motion(window, qtbot, motion)
        window.sync.commit()
        _save_to(window, monkeypatch, first / "p.vgpnn")
    finally:
        close_and_check_threads(qtbot, window)
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    window = make_window(qtbot, tmp_path / "w2")
    try:
        with qtbot.waitSignal(window.source_loaded, timeout=30_000):
            window.projects.open_project(moved / "p.vgpnn")
        qtbot.waitUntil(lambda: window.session.motion is not None and not window.guided.loading,
                        timeout=30_000)
        assert window.session.motion.path == moved / "a.mp4"
    finally:
        close_and_check_threads(qtbot, window)
