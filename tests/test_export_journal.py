"""An export killed mid-write (kill -9) leaves the writer's hidden temporary beside its
target; the next editor removes it, and only what a dead editor's journal names."""

from __future__ import annotations

import json
from pathlib import Path

from app.state.export_journal import ExportJournal, clean_after_dead_editors
from app.state.recovery import RecoveryStore
from app.workers.exporter import ExportItem
from engine.io.partials import side_names
from engine.io.paths import side_name
from tests.test_app_support import RUN_TIMEOUT_MS


def leftovers(target: Path) -> list[Path]:
    """The writer's hidden side names of `target`: a file or folder being written, a frames
    folder being replaced."""
    return [p for tag in ("partial", "old") for p in side_names(target, tag)]


def die(store: RecoveryStore) -> None:
    """As a kill -9 leaves it: the files stay, the lock is let go."""
    store._lock_file.close()
    store._lock_file = None


def test_a_dead_editors_half_written_exports_are_removed(tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    video, frames = out / "trip [1]_seed0003.mp4", out / "trip_seed0004_frames"
    partial = side_name(video, "partial", "0a1b2c3d")
    partial.write_bytes(b"half an mp4")
    folder = side_name(frames, "partial", "deadbeef")
    folder.mkdir()
    (folder / "frame_0001.png").write_bytes(b"png")
    # Not the writer's, or not of a target the journal names: kept.
    keep = [out / ".trip [1]_seed0003.notes-0a1b2c3d.mp4", side_name(out / "other.mp4", "partial", "12345678"),
            out / ".trip [1]_seed0003.partial-xyz.mp4", video]
    for p in keep:
        p.write_bytes(b"x")

    dead = RecoveryStore(tmp_path / "data")
    ExportJournal(dead).begin([video, str(frames) + "/"])
    assert sorted(leftovers(video)) == [partial] and leftovers(frames) == [folder]
    alive = RecoveryStore(tmp_path / "data")
    ExportJournal(alive).begin([out / "other.mp4"])
    try:
        assert clean_after_dead_editors(dead.folder) == []  # its editor still runs
        die(dead)
        removed = clean_after_dead_editors(dead.folder)
        assert sorted(removed) == sorted([partial, folder, dead.path.with_suffix(".lock")])
        assert not partial.exists() and not folder.exists()
        assert all(p.exists() for p in keep)
        # Its journal and lock are gone; the live editor's stay.
        assert sorted(p.name for p in dead.folder.iterdir()) == sorted(
            [alive.path.with_suffix(".exports").name, alive.path.with_suffix(".lock").name])
    finally:
        alive.close()


def test_a_recovery_write_killed_midway_is_cleared_but_its_file_still_offered(tmp_path):
    store = RecoveryStore(tmp_path / "data")
    assert store.claim()
    store.path.write_text("{}")  # the recovery file it had written before
    tmp = side_name(store.path.with_suffix(".vgpnn.tmp"), "save", "4242")
    tmp.write_bytes(b"half")
    die(store)
    assert clean_after_dead_editors(store.folder) == [tmp]
    assert store.path.exists() and store.path.with_suffix(".lock").exists()


def test_an_export_notes_its_targets_while_it_runs(draft_window, qtbot, tmp_path):
    window = draft_window
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    result = window.view.result
    journal = window.exports.journal
    target = tmp_path / "a.gif"
    noted = []
    window.exporter.finished.connect(lambda *a: noted.append(journal.path.exists()))
    window.exports.start_export([ExportItem(result.seed, result.request, result.frames)],
                                [target], crf=18)
    assert json.loads(journal.path.read_text()) == [str(target)]
    qtbot.waitUntil(lambda: bool(noted), timeout=60_000)
    assert target.exists() and not journal.path.exists() and noted == [False]
    assert Path(journal.store.path).with_suffix(".lock").exists()  # held while it runs
