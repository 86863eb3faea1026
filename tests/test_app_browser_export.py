"""Seed browser (grid, favourites, Use) and export (result and favourites, read back)."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import av
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from app.window import preferences
from app.workers.exporter import ExportItem
from app.workers.generation import cache_key
from engine.errors import InputError
from engine.io import read_video
from tests.test_app_support import (
    CLIP_H,
    CLIP_T,
    CLIP_W,
    RUN_TIMEOUT_MS,
    answer_export_dialog,
    wait_for_cancel,
)


@pytest.fixture
def window(draft_window):
    return draft_window


def hold_favourites_to_compute(monkeypatch) -> None:
    """A favourite the export must compute waits for the export's cancel (at most a
    minute): a test that cancels or closes while one is made does not race the worker (a
    GUI thread late by one tiny run on a loaded CI let the worker write the next file)."""
    from app.workers import exporter

    real = exporter.engine_levels

    def held(frames, request, cancel):
        wait_for_cancel(cancel)
        return real(frames, request, cancel)

    monkeypatch.setattr(exporter, "engine_levels", held)


def generate(window, qtbot):
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    return window.view.result


def test_seed_browser_grid_star_and_use(window, qtbot):
    window.panel.seed.setValue(5)
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    assert sorted(browser.tiles) == [5, 6, 7]
    # Its title says what the grid is of (the panel may move on to another task).
    assert browser.windowTitle() == (f"Seed browser · Variations · Draft · "
                                     f"{window.session.clip.path.name}, frames 1–{CLIP_T}")
    # Every tile first gets a (coarse) picture, then its finished video.
    qtbot.waitUntil(lambda: all(t.clip is not None for t in browser.tiles.values()),
                    timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: all(t.clip.final for t in browser.tiles.values()),
                    timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)
    frames = [t.clip.frames for t in browser.tiles.values()]
    assert all(f.shape == (CLIP_T, CLIP_H, CLIP_W, 3) for f in frames)
    assert not np.array_equal(frames[0], frames[1]), "different seeds, different videos"

    # Every finished variation carries its realism score, shown on the tile; sorting puts
    # the most realistic first.
    scores = {seed: t.clip.realism.score for seed, t in browser.tiles.items()}
    assert all(t.badge.isVisible() or not t.isVisible() for t in browser.tiles.values())
    assert all(t.badge.text() for t in browser.tiles.values())
    browser.order.setCurrentIndex(1)
    order = browser.ordered_seeds()
    assert [scores[s] for s in order] == sorted(scores.values(), reverse=True)
    first = browser._grid.itemAtPosition(0, 0).widget()
    assert first.seed == order[0]
    browser.order.setCurrentIndex(0)
    assert browser.ordered_seeds() == [5, 6, 7]

    tile = browser.tiles[6]
    tile.star.click()
    assert tile.starred and tile.star.text() == "★"
    assert browser.favourite_seeds() == [6]
    assert browser.export.isEnabled() and "1 favourite" in browser.export.text()
    tile.set_selected(True)
    assert tile.playing  # a selected tile plays

    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow, timeout=5000)
    tile.use.click()
    assert window.view.result is tile.clip and window.panel.seed.value() == 6
    # The editor comes forward with it (the browser covered the video chosen); the browser
    # stays open behind.
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    assert browser.isVisible()
    # The Done line gives the used variation's own figures (its score alone).
    assert f"realism {tile.clip.realism.score:.0f}" in window.panel.timing.text()
    assert f"{100 * tile.clip.realism.new:.0f}% new" in window.panel.timing.text()
    # The same seed and settings reproduce the same video (served from the cache here).
    runs = window.generation.run_count
    result = generate(window, qtbot)
    assert window.generation.run_count == runs
    np.testing.assert_array_equal(result.frames, tile.clip.frames)


def test_seed_browser_scores_a_seed_the_main_viewer_made(window, qtbot):
    """Browse seeds from a seed the main viewer made but whose score never came: the first
    tile comes from the cache unscored and is scored on the browser's worker like the rest
    (judged, sorted, its newness shown), not left without a badge."""
    window.panel.seed.setValue(5)
    with qtbot.waitSignal(window.generation.scored, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    # As if its score had never come (a new run cancelled it): the cache holds it unscored.
    made = replace(blocker.args[0], realism=None)
    window.cache.put(cache_key(window.runs.current_selection(), made.request), made)
    runs = window.generation.run_count
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(t.clip is not None and t.clip.final and t.clip.realism is not None
                                for t in browser.tiles.values()), timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)
    tile = browser.tiles[5]
    assert tile.badge.text() and tile.judged is not None and tile.new_label.text().endswith("% new")
    assert made.seams is not None and tile.judged.seams == made.seams  # the run's seam measure kept
    assert window.generation.run_count == runs  # scored from the cache, not made again
    # The score went into the cache: browsing again does not score it again.
    cached = window.cache.get(cache_key(browser.selection, browser.request))
    assert cached is not None and cached.realism is not None


def hold_the_editors_runs(monkeypatch):
    """The editor's own run waits at its last level till the returned event is set (or it
    is cancelled); the grid's runs are counted: the seeds whose whole run it made."""
    import threading

    from app.workers import generation, seed_queue

    real, gate, grid_finals = generation.engine_levels, threading.Event(), []

    def editors(frames, request, cancel):
        for level in real(frames, request, cancel):
            while level.final and not gate.wait(0.05) and not cancel():
                pass
            yield level

    def grids(frames, request, cancel):
        for level in real(frames, request, cancel):
            if level.final:
                grid_finals.append(request.seed)
            yield level

    monkeypatch.setattr(generation, "engine_levels", editors)
    monkeypatch.setattr(seed_queue, "engine_levels", grids)
    return gate, grid_finals


def test_the_grid_takes_the_editors_run_of_its_seed(window, qtbot, monkeypatch):
    """Browse seeds while the editor makes the first seed: that tile waits for the
    editor's video (and its realism) instead of computing it beside it; the others are
    computed meanwhile. A run cancelled before it ends leaves the tile to the grid."""
    gate, grid_finals = hold_the_editors_runs(monkeypatch)
    window.panel.seed.setValue(5)
    window.panel.browse_count.setValue(3)
    window.runs.generate()
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(browser.tiles[s].clip is not None and browser.tiles[s].clip.final
                                for s in (6, 7)), timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)
    assert sorted(grid_finals) == [6, 7] and not browser.tiles[5].clip.final
    assert "Waiting for the editor's run of seed 5" in browser.status.text()
    assert browser.tiles[5].state.text() == "in editor's run"
    with qtbot.waitSignal(window.generation.scored, timeout=RUN_TIMEOUT_MS) as blocker:
        gate.set()
    tile = browser.tiles[5]
    qtbot.waitUntil(lambda: tile.clip.final and tile.clip.realism is not None, timeout=10_000)
    np.testing.assert_array_equal(tile.clip.frames, blocker.args[0].frames)
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)
    assert sorted(grid_finals) == [6, 7] and browser.status.text() == "All variations ready."

    # Cancelled: the grid computes the seed itself.
    gate.clear()
    window.panel.seed.setValue(8)
    window.runs.generate()
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(browser.tiles[s].clip is not None and browser.tiles[s].clip.final
                                for s in (9, 10)), timeout=RUN_TIMEOUT_MS)
    window.generation.cancel()
    qtbot.waitUntil(lambda: browser.tiles[8].clip.final, timeout=RUN_TIMEOUT_MS)
    assert 8 in grid_finals


def test_an_export_of_favourites_makes_a_starred_tile_once(window, qtbot, tmp_path,
                                                            monkeypatch):
    """Export Favourites while the grid runs, a starred tile not yet made: the tile waits
    for the export's video instead of being computed beside it (both computed it, 9 s of
    rework in an audit), and takes it when the export has made it."""
    import threading

    from app.workers import exporter, seed_queue

    real, gate, grid_finals, exported = seed_queue.engine_levels, threading.Event(), [], []

    def grids(frames, request, cancel):
        for level in real(frames, request, cancel):
            if level.final:
                gate.wait(60)  # the first final waits till the export has started
                grid_finals.append(request.seed)
            yield level

    def exports(frames, request, cancel):
        exported.append(request.seed)
        return real(frames, request, cancel)

    monkeypatch.setattr(seed_queue, "engine_levels", grids)
    monkeypatch.setattr(exporter, "engine_levels", exports)
    window.panel.seed.setValue(5)
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(t.clip is not None for t in browser.tiles.values()),
                    timeout=RUN_TIMEOUT_MS)
    browser.tiles[7].star.click()
    items = window.exports.favourite_items()
    assert [(item.seed, item.frames) for item in items] == [(7, None)]
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.start_export(items, [tmp_path / "clip_seed0007.mp4"], crf=18)
        assert browser.tiles[7].state.text() == "in the export"
        # One export at a time: the browser's button waits (pressed, its "already running"
        # box covered the export's Cancel, an audit).
        assert not browser.export.isEnabled() and "running" in browser.export.toolTip()
        gate.set()
    qtbot.waitUntil(browser.export.isEnabled, timeout=10_000)
    tile = browser.tiles[7]
    qtbot.waitUntil(lambda: tile.clip.final and tile.clip.realism is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not browser.busy, timeout=RUN_TIMEOUT_MS)
    assert exported == [7] and sorted(grid_finals) == [5, 6]
    made = window.cache.get(cache_key(browser.selection, tile.clip.request))
    np.testing.assert_array_equal(tile.clip.frames, made.frames)
    assert browser.status.text() == "All variations ready."


def test_an_export_that_ends_without_a_tiles_video_leaves_it_to_the_grid(window, qtbot,
                                                                         tmp_path, monkeypatch):
    """A cancelled export brings no video: the tile that waited for it is computed by the
    grid after all."""
    hold_favourites_to_compute(monkeypatch)
    window.panel.seed.setValue(5)
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.tiles[6].star.click()
    window.exports.start_export(window.exports.favourite_items(),
                                [tmp_path / "clip_seed0006.mp4"], crf=18)
    qtbot.waitUntil(lambda: browser.tiles[6].clip is not None and not browser.busy,
                    timeout=RUN_TIMEOUT_MS)
    assert browser.tiles[6].state.text() == "in the export" and not browser.tiles[6].clip.final
    assert browser.status.text() == "Waiting for the export of seed 6…"
    with qtbot.waitSignal(window.exporter.cancelled, timeout=RUN_TIMEOUT_MS):
        window.exporter.cancel()
    qtbot.waitUntil(lambda: browser.tiles[6].clip.final, timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not browser.busy, timeout=RUN_TIMEOUT_MS)
    assert browser.status.text() == "All variations ready."


def test_export_result_mp4_and_read_back(window, qtbot, tmp_path):
    result = generate(window, qtbot)
    target = tmp_path / "out" / "tiny_seed0000.mp4"
    target.parent.mkdir()
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000) as blocker:
        window.exports.start_export([ExportItem(result.seed, result.request, result.frames)], [target],
                            crf=18)
    assert blocker.args[0] == [target]
    back = read_video(target)
    assert back.frames.shape == result.frames.shape
    assert float(back.fps) == pytest.approx(window.session.clip.fps)
    err = np.abs(back.frames.astype(int) - result.frames.astype(int)).mean()
    assert err < 20
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")], "no partials"


def test_export_refuses_the_source_file(window, qtbot, clip):
    result = generate(window, qtbot)
    before = clip.read_bytes()
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        ok = window.exports.start_export([ExportItem(result.seed, result.request, result.frames)],
                                 [clip], crf=18)
    assert not ok and "source" in blocker.args[0]
    assert [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert clip.read_bytes() == before


def test_export_favourites_named_by_seed(window, qtbot, tmp_path):
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.tiles[1].star.click()  # starred before it is finished: export computes it
    browser.cancel()
    items = window.exports.favourite_items()
    assert [item.seed for item in items] == [1]
    targets = [tmp_path / "tiny_seed0001.gif"]
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.start_export(items, targets, crf=18)
    back = read_video(targets[0])
    assert back.frames.shape[0] == CLIP_T and back.frames.shape[1:3] == (CLIP_H, CLIP_W)


def test_seed_browser_never_passes_the_largest_seed(window, qtbot):
    # Tiles past 2**31 - 1 once crashed the editor (a seed too large for a Qt signal).
    from app.state.settings import MAX_SEED

    window.panel.seed.setValue(MAX_SEED - 1)
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    browser.cancel()
    assert sorted(browser.tiles) == [MAX_SEED - 2, MAX_SEED - 1, MAX_SEED]
    assert browser.first_seed.value() == MAX_SEED - 2
    browser.tiles[MAX_SEED].star.click()  # the largest seed travels through the signals
    assert browser.favourite_seeds() == [MAX_SEED]
    assert [f.seed for f in window.session.favourites] == [MAX_SEED]
    browser.close()


def test_a_new_grid_shows_the_sessions_stars(window, qtbot):
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.cancel()
    browser.tiles[1].star.click()
    browser.first_seed.setValue(100)
    browser.regenerate.click()
    browser.cancel()
    assert browser.favourite_seeds() == []
    browser.first_seed.setValue(0)
    browser.regenerate.click()
    browser.cancel()
    assert browser.favourite_seeds() == [1] and browser.tiles[1].star.text() == "★"
    browser.close()


def test_use_waits_for_a_finished_tile_and_brings_back_its_settings(window, qtbot):
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    tile = browser.tiles[1]
    qtbot.waitUntil(lambda: tile.clip is not None, timeout=RUN_TIMEOUT_MS)
    if not tile.clip.final:  # a coarse preview is no result to use (or export)
        assert not tile.use.isEnabled()
    qtbot.waitUntil(lambda: tile.clip.final, timeout=RUN_TIMEOUT_MS)
    assert tile.use.isEnabled()
    # The panel changed after the grid was made: Use brings back what made the tile.
    made_from = (window.session.in_out.in_point, window.session.in_out.out_point)
    window.panel.set_quality("normal")
    window.panel.set_seams_mode("on")
    window.session.in_out.set_range(2, 5)
    window.panel.browse_count.setValue(5)  # the panel's own preference: kept
    tile.use.click()
    settings = window.session.settings
    assert settings.quality == "draft" and settings.seed == 1 and settings.blend_seams == "auto"
    assert window.panel.seams_mode() == "auto" and window.panel.browse_count.value() == 5
    assert (window.session.in_out.in_point, window.session.in_out.out_point) == made_from
    assert window.runs.current_request() == tile.clip.request
    browser.close()


def test_export_takes_the_sound_of_the_range_the_result_was_made_from(window, qtbot):
    window.session.in_out.set_range(2, 6)
    result = generate(window, qtbot)
    window.session.in_out.set_range(0, 3)
    made = window.exports._made_from(result)
    assert made is not None and (made.in_point, made.length) == (2, 5)


def test_export_says_when_the_sound_is_left_out(qtbot, tmp_path):
    from fractions import Fraction

    from app.state.media import Selection
    from app.workers.exporter import export_job
    from engine.request import Request
    from tests.test_io import make_file

    src = make_file(tmp_path / "src.mp4", np.zeros((10, 32, 48, 3), np.uint8), fps=10, audio="aac")
    selection = Selection(np.zeros((10, 32, 48, 3), np.uint8), (0, 0, 9), Fraction(10), src, 0,
                          has_audio=True)
    frames = np.zeros((5, 32, 48, 3), np.uint8)  # half the source's length: no sound fits
    job = export_job([ExportItem(0, Request(), frames)], [tmp_path / "out.mp4"], selection)
    with qtbot.waitSignal(job.succeeded, timeout=60_000) as blocker:
        from app.workers import jobs

        jobs.start(job)
    paths, notes = blocker.args[1]
    assert paths == [tmp_path / "out.mp4"]
    assert notes == ["out.mp4: audio dropped: output is 0.50 s, source is 1.00 s"]
    # A GIF has no sound by choice: nothing to say.
    job = export_job([ExportItem(0, Request(), frames)], [tmp_path / "out.gif"], selection)
    with qtbot.waitSignal(job.succeeded, timeout=60_000) as blocker:
        jobs.start(job)
    assert blocker.args[1][1] == []


def test_export_leaves_out_the_sound_of_a_source_changed_or_deleted_on_disk(qtbot, tmp_path):
    """The sound is read from the file at export: once it is another recording of that
    name, or gone, the video is written without sound, and the notes say why."""
    import os

    from app.state.media import read_source
    from app.workers import jobs
    from app.workers.exporter import export_job
    from engine.request import Request
    from tests.test_io import make_file

    src = make_file(tmp_path / "take.mp4", np.zeros((10, 32, 48, 3), np.uint8), fps=10,
                    audio="aac")
    selection = read_source(src).selection(0, 9)
    frames = np.zeros((10, 32, 48, 3), np.uint8)

    def export(name):
        job = export_job([ExportItem(0, Request(), frames)], [tmp_path / name], selection)
        with qtbot.waitSignal(job.succeeded, timeout=60_000) as blocker:
            jobs.start(job)
        with av.open(str(tmp_path / name)) as c:
            return bool(c.streams.audio), blocker.args[1][1]

    assert export("same.mp4") == (True, [])
    other = make_file(tmp_path / "other.mp4", np.full((10, 32, 48, 3), 90, np.uint8), fps=10,
                      audio="aac")
    os.replace(other, src)  # another take of that name
    assert export("changed.mp4") == (False, ["changed.mp4: audio dropped: take.mp4 has "
                                             "changed on disk since it was opened"])
    src.unlink()
    assert export("gone.mp4") == (False, ["gone.mp4: audio dropped: take.mp4 is no longer "
                                          "on disk"])


def test_export_asks_before_replacing_a_file(window, qtbot, tmp_path, monkeypatch):
    from app.window import prompts

    result = generate(window, qtbot)
    target = tmp_path / "taken.mp4"
    target.write_bytes(b"an earlier export")

    answer_export_dialog(monkeypatch, window, target, tmp_path)
    asked, dialogs = [], []
    real = window.exports._dialog
    monkeypatch.setattr(window.exports, "_dialog",
                        lambda *a, **k: dialogs.append(real(*a, **k)) or dialogs[-1])
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: asked.append(there) or False)
    window.exports.export_result()
    assert asked == [[target]] and target.read_bytes() == b"an earlier export"
    assert not window.exporter.busy
    # "No" went back to the dialog as it was filled in (it closed it: the export began again).
    assert dialogs[0].shown == 2
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: True)
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.export_result()
    assert read_video(target).frames.shape == result.frames.shape
    # A PNG-frames folder holding other files is refused before any question.
    target = tmp_path / "mine"
    target.mkdir()
    answer_export_dialog(monkeypatch, window, target, tmp_path, kind="png")
    (target / "notes.txt").write_text("keep me")
    monkeypatch.setattr(prompts, "ask_replace", lambda parent, there: asked.append(there) or True)
    with qtbot.waitSignal(window.error_reported, timeout=5000) as blocker:
        window.exports.export_result()
    assert "other files" in blocker.args[0] and asked == [[tmp_path / "taken.mp4"]]
    assert (target / "notes.txt").read_text() == "keep me"


def test_an_export_into_a_folder_not_there_yet_makes_it_once_asked(window, qtbot, tmp_path,
                                                                    monkeypatch):
    # A new folder typed for the favourites (or a file's) was refused: "does not exist".
    from app.window import prompts

    result = generate(window, qtbot)
    target = tmp_path / "exports" / "balloons" / "take.mp4"
    answer_export_dialog(monkeypatch, window, target, target.parent)
    asked = []
    monkeypatch.setattr(prompts, "ask_create_folder", lambda parent, folder: asked.append(folder) or False)
    window.exports.export_result()
    assert asked == [target.parent] and not (tmp_path / "exports").exists()
    assert not window.exporter.busy
    monkeypatch.setattr(prompts, "ask_create_folder", lambda parent, folder: True)
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.export_result()
    assert read_video(target).frames.shape == result.frames.shape


def test_an_export_is_not_an_unsaved_change(window, qtbot, tmp_path, monkeypatch):
    """Saved, then exported: closing asks nothing. The export's choices are kept: in the
    session (saved with the project's next save) and as the editor's preference."""
    from app.window import prompts
    from tests.test_app_support import make_window

    generate(window, qtbot)
    project = tmp_path / "shot.vgpnn"
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *a, **k: project)
    assert window.projects.save() and window.projects.wait() and not window.session.dirty
    target = tmp_path / "out" / "shot.gif"
    target.parent.mkdir()
    answer_export_dialog(monkeypatch, window, target, target.parent, kind="gif")
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.export_result()
    s = window.session
    assert not s.dirty and not window.windowTitle().startswith("shot*")
    assert (s.export.format, s.export.folder) == ("gif", str(target.parent))
    assert s.snapshot().export == s.export  # what the next save writes
    window.projects.ask_to_save = True
    asked = []
    monkeypatch.setattr(prompts, "ask_save_changes", lambda *a: asked.append(a) or prompts.CANCEL)
    assert window.close() and asked == []
    # The next editor offers the last export's choices for a new clip.
    other = make_window(qtbot, tmp_path)  # the same settings file
    try:
        assert (other.session.export.format, other.session.export.folder) == \
            ("gif", str(target.parent))
        # The project opened again offers them too, not the older ones its file holds.
        other.session.set_export(replace(other.session.export, format="mp4"))
        other.projects.open_project(project)
        qtbot.waitUntil(lambda: other.session.project_path == project.resolve()
                        and not other.clips.loading, timeout=60_000)
        assert other.session.export.format == "gif" and not other.session.dirty
        # Saved after that export: the file's own choices.
        os.utime(project, (time.time() + 60, time.time() + 60))
        assert preferences.export_since(other.settings, project.resolve()) is None
    finally:
        other.close()


def test_the_export_progress_text_does_not_overlap_its_bar(window, qtbot, tmp_path,
                                                           monkeypatch):
    """The editor's style draws progress bars 8 px high: the percentage is said in the
    dialog's label, not drawn over the thin bar."""
    from PySide6.QtWidgets import QApplication, QProgressBar

    from app.widgets.style import style_sheet

    app = QApplication.instance()
    before = app.styleSheet()
    app.setStyleSheet(style_sheet(app.font().pointSizeF()))
    try:
        hold_favourites_to_compute(monkeypatch)
        result = generate(window, qtbot)
        later = ExportItem(result.seed + 1, replace(result.request, seed=result.seed + 1),
                           None, window.runs.current_selection())
        window.exports.start_export([later], [tmp_path / "c_seed0001.gif"], crf=18)
        dialog = window.exporter._dialog
        qtbot.waitUntil(lambda: dialog.labelText().startswith("Computing"), timeout=10_000)
        bar = dialog.findChild(QProgressBar)
        assert bar.isVisible()
        assert not bar.isTextVisible() or bar.height() >= bar.fontMetrics().height()
        assert dialog.labelText() == "Computing seed 1… · 0%"  # the percentage, said here
        assert (bar.minimum(), bar.maximum()) == (0, 1000)  # the bar still shows it
        with qtbot.waitSignal(window.exporter.cancelled, timeout=RUN_TIMEOUT_MS):
            window.exporter.cancel()
    finally:
        app.setStyleSheet(before)


def test_closing_during_an_export_asks_first(window, qtbot, tmp_path, monkeypatch):
    from app.window import prompts

    result = generate(window, qtbot)
    window.projects.ask_to_save = True
    monkeypatch.setattr(prompts, "ask_save_changes", lambda *a: prompts.DISCARD)
    asked = []
    monkeypatch.setattr(prompts, "ask_quit_during_export", lambda parent: asked.append(1) or False)
    # Held busy: an export whose job has not ended (a favourite still to compute, held
    # until the cancel: nothing is written, however late this thread gets to close()).
    hold_favourites_to_compute(monkeypatch)
    item = ExportItem(result.seed, result.request, None, window.runs.current_selection())
    window.exports.start_export([item] * 20, [tmp_path / f"f{i}.gif" for i in range(20)], crf=18)
    assert window.exporter.busy
    window.close()
    assert asked == [1] and window.isVisible() and window.exporter.busy
    monkeypatch.setattr(prompts, "ask_quit_during_export", lambda parent: True)
    window.close()
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not window.exporter.busy, timeout=30_000)
    assert not list(tmp_path.glob("f*.gif"))


def test_a_cancelled_export_names_the_files_it_kept(window, qtbot, tmp_path, monkeypatch):
    """Favourites written before a cancel stay (each is complete); the status bar said
    "nothing was written" while they were on disk."""
    hold_favourites_to_compute(monkeypatch)  # the second one is made until the cancel
    result = generate(window, qtbot)
    selection = window.runs.current_selection()
    done = ExportItem(result.seed, result.request, result.frames, selection)
    later = ExportItem(result.seed + 1, replace(result.request, seed=result.seed + 1), None,
                       selection)  # still to compute: the cancel comes while it is made
    targets = [tmp_path / "a_seed0000.gif", tmp_path / "a_seed0001.gif"]
    window.exports.start_export([done, later], targets, crf=18)
    qtbot.waitUntil(lambda: targets[0].exists(), timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(window.exporter.cancelled, timeout=RUN_TIMEOUT_MS) as blocker:
        window.exporter.cancel()
    assert blocker.args[0] == [targets[0]] and not targets[1].exists()
    message = window.statusBar().currentMessage()
    assert message.startswith("Export cancelled; 1 file written before it was cancelled was kept")
    assert "a_seed0000.gif" in message


def test_an_export_window_hidden_by_esc_cancels_the_export(window, qtbot, tmp_path, monkeypatch):
    """Esc reaching the progress window while another is active rejects (hides) it without
    its Cancel: the export must not go on out of sight, refusing the next as running."""
    hold_favourites_to_compute(monkeypatch)
    result = generate(window, qtbot)
    later = ExportItem(result.seed + 1, replace(result.request, seed=result.seed + 1), None,
                       window.runs.current_selection())
    window.exports.start_export([later], [tmp_path / "b_seed0001.gif"], crf=18)
    with qtbot.waitSignal(window.exporter.cancelled, timeout=RUN_TIMEOUT_MS):
        window.exporter._dialog.reject()
    assert not window.exporter.busy and not (tmp_path / "b_seed0001.gif").exists()


def test_a_cancel_just_after_a_file_is_renamed_still_names_it(qtbot, tmp_path, monkeypatch):
    """The cancel can come between a file's rename and the progress report that named it
    (a report after a cancel is dropped): the kept files come from the job, not reports."""
    import engine.io
    from app.state.media import Selection
    from app.workers import jobs
    from app.workers.export_runner import ExportRunner
    from engine.request import Request

    real = engine.io.write_video
    runner = ExportRunner(None)

    def write_then_cancel(*args, **kwargs):
        written = real(*args, **kwargs)
        runner._job.cancel()  # the user's cancel lands at once after the rename (the
        # job's own cancel: thread-safe, where the runner's also relabels its dialog)
        return written

    monkeypatch.setattr(engine.io, "write_video", write_then_cancel)
    frames = np.zeros((4, 32, 48, 3), np.uint8)
    selection = Selection(frames, (0, 0, 3), 10, None, 0)
    targets = [tmp_path / "a.gif", tmp_path / "b.gif"]
    items = [ExportItem(0, Request(), frames), ExportItem(1, Request(), frames)]
    with qtbot.waitSignal(runner.cancelled, timeout=60_000) as blocker:
        runner.start(items, targets, selection, crf=18)
    assert blocker.args[0] == [targets[0]] and targets[0].exists() and not targets[1].exists()
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=10_000)


def _browse_finished(window, qtbot, count=2):
    window.panel.browse_count.setValue(count)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: all(t.clip is not None and t.clip.final
                                for t in browser.tiles.values()), timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not browser.busy, timeout=10_000)
    return browser


def test_a_refined_tile_is_starred_and_exported_as_its_best_video(window, qtbot):
    """☆ means the video on the tile: a refined tile's favourite is the Best one, and Export
    Favourites writes the frames the tile shows (it had written the grid's quality)."""
    browser = _browse_finished(window, qtbot)
    tile = browser.tiles[1]
    tile.refine.click()
    assert tile.use.isEnabled()  # refining: the finished video stays usable meanwhile
    qtbot.waitUntil(lambda: tile.refined and tile.clip.request.settings.em_iters == 5,
                    timeout=RUN_TIMEOUT_MS)
    tile.star.click()
    (fav,) = window.session.favourites
    assert fav.settings.quality == "best"
    (item,) = window.exports.favourite_items()
    np.testing.assert_array_equal(item.frames, tile.clip.frames)
    # The other tile, not refined, keeps the grid's quality; a new grid shows both stars.
    browser.tiles[0].star.click()
    assert sorted(f.settings.quality for f in window.session.favourites) == ["best", "draft"]
    browser.regenerate.click()
    qtbot.waitUntil(lambda: browser.tiles[1].refined, timeout=RUN_TIMEOUT_MS)
    assert browser.favourite_seeds() == [0, 1]
    browser.close()


def test_refining_a_starred_tile_moves_its_star_to_the_best_video(window, qtbot):
    """A starred tile refined keeps its star lit, and the favourite is now the Best video
    it shows (the Draft one was hidden yet still exported)."""
    browser = _browse_finished(window, qtbot)
    tile = browser.tiles[0]
    tile.star.click()
    assert [f.settings.quality for f in window.session.favourites] == ["draft"]
    tile.refine.click()
    qtbot.waitUntil(lambda: tile.refined and tile.clip.request.settings.em_iters == 5,
                    timeout=RUN_TIMEOUT_MS)
    assert [(f.seed, f.settings.quality) for f in window.session.favourites] == [(0, "best")]
    assert tile.star.isChecked() and browser.favourite_seeds() == [0]
    (item,) = window.exports.favourite_items()
    np.testing.assert_array_equal(item.frames, tile.clip.frames)
    browser.close()


def test_a_stopped_refine_leaves_the_finished_video(window, qtbot):
    browser = _browse_finished(window, qtbot)
    tile = browser.tiles[0]
    finished = tile.clip
    tile.refine.click()
    qtbot.waitUntil(lambda: tile.state.text().startswith("refining "), timeout=RUN_TIMEOUT_MS)
    assert tile.clip is finished and tile.use.isEnabled()
    browser.stop.click()
    assert tile.clip is finished and tile.state.text() == "ready" and tile.use.isEnabled()
    browser.close()


def test_stopping_the_grid_says_which_tiles_were_left(window, qtbot, monkeypatch):
    gate, _ = hold_the_editors_runs(monkeypatch)  # (the editor makes nothing here)
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: browser.tiles[0].clip is not None, timeout=RUN_TIMEOUT_MS)
    browser.stop.click()
    left = [t for t in browser.tiles.values() if t.clip is None or not t.clip.final]
    assert left and all(t.state.text() == "stopped" for t in left)
    browser.close()


def test_one_failed_seed_does_not_stop_the_grid(window, qtbot, monkeypatch):
    """A seed whose run fails says so on its tile; the others are made (one failure had
    ended the grid's worker, leaving every other tile waiting)."""
    from app.widgets import seed_browser
    from app.workers import seed_queue
    from app.workers.generation import engine_levels

    def failing(frames, request, cancel):
        if request.seed == 1:
            raise InputError("an output of 8 frames needs about 9 GB of memory but 1 GB is "
                             "free (--width/--height, or --max-side for the input)")
        return engine_levels(frames, request, cancel)

    monkeypatch.setattr(seed_queue, "engine_levels", failing)
    errors = []
    monkeypatch.setattr(seed_browser, "show_error", lambda *a: errors.append(a[2]))
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: not browser.busy and browser.tiles[2].clip is not None
                    and browser.tiles[2].clip.final, timeout=RUN_TIMEOUT_MS)
    assert browser.tiles[0].clip.final and browser.tiles[1].state.text() == "failed"
    assert "9 GB" in browser.tiles[1].state.toolTip() and "--max-side" not in errors[0]
    assert len(errors) == 1 and browser.status.text().startswith("Seed 1:")
    browser.close()


def test_a_closed_browser_lets_go_of_its_tiles(window, qtbot):
    browser = _browse_finished(window, qtbot)
    browser.tiles[0].set_selected(True)
    browser.close()
    assert not browser.tiles and browser.selection is None and not browser.busy
    again = window.browsers.browse_seeds()  # opened again: the grid comes back (cached)
    assert again is browser and sorted(browser.tiles) == [0, 1]
    assert all(t.clip is not None and t.clip.final for t in browser.tiles.values())
    # No worker runs for a grid all from the cache; the status says it is ready, not "Stopped."
    assert not browser.busy and browser.status.text() == "All variations ready."
    browser.close()


def test_browsing_a_retarget_at_noise_0_says_its_seeds_look_alike(window, qtbot):
    window.panel.set_task("Retarget")
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    assert not browser.noise_hint.isHidden() and "Variation" in browser.noise_hint.text()
    browser.close()
    window.panel.set_task("Variations")
    browser = window.browsers.browse_seeds()
    assert browser.noise_hint.isHidden()
    browser.close()


def test_the_grids_footer_counts_the_finished_variations(window, qtbot):
    """ "Computing…" alone said nothing of how far the grid was (eight Normal seeds of the
    sample take about two minutes): it counts the finished ones."""
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    said, set_text = [], browser.status.setText
    # (Called by the browser on the GUI thread only: a plain wrapper records every line.)
    browser.status.setText = lambda text: said.append(text) or set_text(text)
    qtbot.waitUntil(lambda: not browser.busy, timeout=RUN_TIMEOUT_MS)
    counted = [s for s in said if s.startswith("Computing… ")]
    assert counted and all(s.endswith(" of 3 ready") for s in counted), said
    assert browser.status.text() == "All variations ready."
