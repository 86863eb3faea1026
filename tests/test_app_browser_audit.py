"""Seed browser and export, as a user drives them (audit of 2026-12-06): what the editor
says and does at the edges (a folder that cannot be made, a favourite computed by the
export, a stopped grid)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.workers.exporter import ExportItem
from tests.test_app_support import RUN_TIMEOUT_MS, answer_export_dialog


@pytest.fixture
def window(draft_window):
    return draft_window


def generate(window, qtbot):
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    return window.view.result


def test_an_export_under_a_file_is_refused_without_offering_to_make_the_folder(
        window, qtbot, tmp_path, monkeypatch):
    """A folder typed under a regular file cannot be made: the editor asked "Create the
    folder?" and, once answered, failed with "not a directory"."""
    from app.window import prompts

    generate(window, qtbot)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    target = tmp_path / "notes.txt" / "takes" / "take.mp4"
    answer_export_dialog(monkeypatch, window, target, target.parent)
    asked = []
    monkeypatch.setattr(prompts, "ask_create_folder",
                        lambda parent, folder: asked.append(folder) or True)
    window.exports.export_result()
    assert not asked and not window.exporter.busy
    assert "notes.txt is a file, not a folder" in window.messages.last_error


def test_a_favourite_the_export_computes_shows_its_progress(window, qtbot, tmp_path,
                                                             monkeypatch):
    """A favourite not finished yet is computed by the export: the bar sat still at the
    file's start (and the label on "Computing seed N…") for the whole run, minutes for a
    Full-HD one, with no sign that anything was happening."""
    from dataclasses import dataclass

    from app.workers import exporter

    reports = []  # recorded where they are made, on the export's thread (a spy on the
    # runner's slot, a plain function, was called there too and drew the dialog: a crash)

    @dataclass(frozen=True)
    class Recorded(exporter.ExportProgress):
        def __post_init__(self) -> None:
            reports.append(self)

    monkeypatch.setattr(exporter, "ExportProgress", Recorded)
    result = generate(window, qtbot)
    later = ExportItem(result.seed + 1, replace(result.request, seed=result.seed + 1), None,
                       window.runs.current_selection())
    target = tmp_path / "a_seed0001.gif"
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.start_export([later], [target], crf=18)
    computing = [r for r in reports if r.text.startswith("Computing seed 1")]
    assert len({r.fraction for r in computing}) > 2, [r.text for r in computing]
    assert any("level" in r.text for r in computing)
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions), "the bar never goes back"


def test_stopping_the_grid_says_how_many_variations_are_ready(window, qtbot):
    """"Stopped." alone left the user to count the finished tiles, and did not say that
    Show computes the rest."""
    window.panel.browse_count.setValue(3)
    browser = window.browsers.browse_seeds()
    qtbot.waitUntil(lambda: browser.tiles[0].clip is not None and browser.tiles[0].clip.final,
                    timeout=RUN_TIMEOUT_MS)
    browser.stop.click()
    ready = sum(t.clip is not None and t.clip.final for t in browser.tiles.values())
    if ready < 3:  # (on a fast machine the last ones may be done already)
        assert browser.status.text() == (f"Stopped: {ready} of 3 variations ready (Show "
                                         "computes the rest).")
    browser.regenerate.click()  # Show: the finished ones from the cache, the rest made
    qtbot.waitUntil(lambda: not browser.busy, timeout=RUN_TIMEOUT_MS)
    browser.tiles[0].refine.click()  # a Refine stopped: every variation is still there
    browser.stop.click()
    assert browser.status.text() == "Stopped; all 3 variations are ready."
    browser.close()


def test_a_favourite_the_export_computed_is_not_computed_again(window, qtbot, tmp_path):
    """Export Favourites computes a favourite not finished yet: that video is kept (the
    session's cache), so a second export (GIFs after MP4s) or the seed browser shows it at
    once; it was thrown away, and every later export computed it again."""
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.tiles[1].star.click()  # starred before it is finished: the export computes it
    browser.close()
    (item,) = window.exports.favourite_items()
    assert item.frames is None
    with qtbot.waitSignal(window.exporter.finished, timeout=RUN_TIMEOUT_MS):
        window.exports.start_export([item], [tmp_path / "a_seed0001.gif"], crf=18)
    (again,) = window.exports.favourite_items()
    assert again.frames is not None
    browser = window.browsers.browse_seeds()  # its tile: finished at once, from the cache
    assert browser.tiles[1].clip is not None and browser.tiles[1].clip.final
    assert (browser.tiles[1].clip.frames == again.frames).all()
    browser.close()
