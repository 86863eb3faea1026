"""Running the engine from the editor: progressive previews, cancel, latest request wins,
the cache, and engine errors reaching the user as messages."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.widgets.timeline import MAX_THUMBS
from app.workers import generation, jobs
from app.workers.exporter import ExportItem
from engine.errors import InputError
from engine.io import read_video, write_video
from engine.request import LevelResult, Request
from tests.test_app_support import (
    CLIP_H,
    CLIP_T,
    CLIP_W,
    RUN_TIMEOUT_MS,
    close_and_check_threads,
    make_window,
    moving_texture,
    open_and_wait,
    wait_for_cancel,
)


@pytest.fixture
def window(draft_window):
    return draft_window


def hold_the_wide_run(monkeypatch) -> None:
    """The longer run (CLIP_W * 3 wide) that a test cancels keeps running until it is
    cancelled: its last level waits for the cancel (at most a minute). A tiny run's levels
    come within a fraction of a second; a GUI thread late by that much (a loaded CI) got
    them all, the final one included, in the batch that ended `waitSignal(preview)`, and
    found nothing left to cancel."""
    real = generation.engine_levels

    def held(frames, request, cancel):
        for level in real(frames, request, cancel):
            if level.final and request.width == CLIP_W * 3:
                wait_for_cancel(cancel)
            yield level

    monkeypatch.setattr(generation, "engine_levels", held)


def test_a_finished_variation_is_scored_while_the_editor_is_free(window, qtbot):
    """After the result is out, its realism and how new it looks come on the Done line; the
    editor is not busy meanwhile, and the cache keeps the scored clip (the seed browser finds
    it scored)."""
    scored = []
    window.generation.scored.connect(scored.append)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert not window.generation.busy and window.panel.generate.isEnabled()
    qtbot.waitUntil(lambda: bool(scored), timeout=RUN_TIMEOUT_MS)
    clip = scored[0]
    assert clip.final and clip.realism is not None and clip.realism.new is not None
    assert window.panel.status.text().startswith("Done")
    timing = window.panel.timing.text()
    assert f"realism {clip.realism.score:.0f}" in timing and "% new" in timing
    assert "judged alone" in window.panel.timing.toolTip()
    key = generation.cache_key(window.runs.current_selection(), clip.request)
    assert window.cache.get(key).realism == clip.realism
    # From the cache, the score comes with it; a cached result without one is scored.
    runs = window.generation.run_count
    for held in (clip, replace(clip, realism=None)):
        window.cache.put(key, held)
        scored.clear()
        window.runs.generate()
        qtbot.waitUntil(lambda: bool(scored), timeout=RUN_TIMEOUT_MS)
        assert scored[0].realism == clip.realism and "realism" in window.panel.timing.text()
    assert window.generation.run_count == runs and window.cache.get(key).realism == clip.realism
    # Cancelled (a browser tile's Use shows another result), a score to come is dropped.
    window.cache.put(key, replace(clip, realism=None))
    scored.clear()
    window.runs.generate()
    window.generation.cancel()
    qtbot.wait(500)
    assert not scored


def test_generate_shows_each_level_then_the_result(window, qtbot):
    shown = []
    window.result_shown.connect(shown.append)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        qtbot.keyClick(window.viewer.source.view, Qt.Key.Key_G)
    final = shown[-1]
    assert final.final and final.level == final.levels
    previews = [c for c in shown if not c.final]
    assert len(previews) >= 2, "coarse previews should arrive before the result"
    assert [c.level for c in shown] == sorted(c.level for c in shown)
    assert final.frames.shape == (CLIP_T, CLIP_H, CLIP_W, 3)
    assert window.view.mode == "result" and window.viewer.result.has_frame()
    assert window.view.result is final
    assert window.playback.length == CLIP_T
    assert window.panel.status.text().startswith("Done")
    assert window.panel.progress.value() == window.panel.progress.maximum()
    qtbot.waitUntil(lambda: not window.generation.busy, timeout=5000)
    assert not window.panel.cancel.isEnabled()

    # Same seed and settings: served from the cache, no new engine run.
    runs = window.generation.run_count
    with qtbot.waitSignal(window.generation.finished, timeout=5000) as blocker:
        window.runs.generate()
    assert window.generation.run_count == runs
    np.testing.assert_array_equal(blocker.args[0].frames, final.frames)


def test_cancel_mid_run_leaves_the_editor_ready(window, qtbot, monkeypatch):
    hold_the_wide_run(monkeypatch)
    window.panel.output.out_width.set_value(CLIP_W * 3)  # a longer run to cancel
    with qtbot.waitSignal(window.generation.preview, timeout=RUN_TIMEOUT_MS):
        window.panel.generate.click()
    job = window.generation.job
    assert window.generation.busy and window.panel.cancel.isEnabled()
    with qtbot.waitSignal(window.generation.cancelled, timeout=1000):
        qtbot.keyClick(window.viewer.result.view, Qt.Key.Key_Escape)
    assert not window.generation.busy
    assert not window.panel.cancel.isEnabled() and window.panel.generate.isEnabled()
    assert window.panel.status.text() == "Cancelled"
    qtbot.waitUntil(lambda: job not in jobs.running_jobs(), timeout=15_000)
    # The first run stopped: no result, not its coarse preview under a "Preview" title.
    assert window.view.result is None and window.viewer.result.title.text() == "Result"
    assert not window.viewer.result.has_frame()
    # Ready again: a new run works.
    window.panel.output.out_width.set_value(CLIP_W)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()


def test_latest_request_wins(window, qtbot):
    window.panel.seed.setValue(1)
    window.runs.generate()
    window.panel.seed.setValue(2)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    assert blocker.args[0].seed == 2
    qtbot.waitUntil(lambda: not jobs.running_jobs(), timeout=15_000)
    assert window.view.result.seed == 2


def test_engine_error_reaches_the_user(window, qtbot, monkeypatch):
    def bad_levels(frames, request, cancel):
        raise InputError("output width must be at least 1, got 0")

    monkeypatch.setattr(generation, "engine_levels", bad_levels)
    with qtbot.waitSignal(window.error_reported, timeout=10_000) as blocker:
        window.runs.generate()
    assert "width must be at least 1" in blocker.args[0]
    assert [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert window.panel.status.text() == "Failed"
    assert "width must be at least 1" in window.statusBar().currentMessage()


def test_unexpected_exception_becomes_a_message(window, qtbot, monkeypatch):
    def broken(frames, request, cancel):
        yield from ()
        raise RuntimeError("boom")

    monkeypatch.setattr(generation, "engine_levels", broken)
    with qtbot.waitSignal(window.error_reported, timeout=10_000) as blocker:
        window.runs.generate()
    assert "RuntimeError" in blocker.args[0] and "boom" in blocker.args[0]
    qtbot.waitUntil(lambda: not window.generation.busy, timeout=5000)


def test_generate_without_a_clip(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    try:
        with qtbot.waitSignal(window.error_reported, timeout=2000):
            window.runs.generate()
        assert "Open a video" in window.messages.last_error
    finally:
        close_and_check_threads(qtbot, window)


def test_output_over_the_limits_is_refused_before_any_work(window, qtbot, monkeypatch):
    from engine import limits

    out = window.panel.output
    assert out.out_width.maximum() <= limits.MAX_SIDE
    assert out.out_height.maximum() <= limits.MAX_SIDE
    assert out.out_frames.maximum() <= limits.MAX_FRAMES
    monkeypatch.setattr(limits, "free_memory", lambda: 1000)  # a machine out of memory
    runs = window.generation.run_count
    with qtbot.waitSignal(window.error_reported, timeout=2000) as blocker:
        window.runs.generate()
    assert "memory" in blocker.args[0] and "--width" not in blocker.args[0]
    assert window.generation.run_count == runs and not window.generation.busy
    assert [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert window.panel.status.text() == "Too large"
    assert window.browsers.browse_seeds() is None  # the seed browser asks the same


def test_a_one_frame_retarget_is_a_still_and_exports_as_png(window, qtbot, tmp_path):
    window.panel.set_task("Retarget")
    out = window.panel.output
    assert out.out_frames.minimum() == 1
    out.out_frames.set_value(1)
    assert window.runs.current_request().frames == 1
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    result = window.view.result
    assert result.frames.shape == (1, CLIP_H, CLIP_W, 3)
    assert any("output has 1 frame" in n for n in result.notes)
    assert result.label().endswith("· 1 frame") and result.label().startswith("Result · Retarget · seed")
    target = tmp_path / "still.png"
    with qtbot.waitSignal(window.exporter.finished, timeout=60_000):
        window.exports.start_export([ExportItem(result.seed, result.request, result.frames)], [target], crf=18)
    np.testing.assert_array_equal(read_video(target).frames, result.frames)


@pytest.mark.parametrize("shape", [(6, 16, 400), (6, 400, 16)], ids=["wide strip", "tall strip"])
def test_strips_generate_and_fill_the_timeline(window, qtbot, tmp_path, shape):
    t, h, w = shape
    big = moving_texture(t, max(h, 48), max(w, 48))
    path = write_video(big[:, :h, :w], tmp_path / "strip.mp4", fps=Fraction(10))
    open_and_wait(qtbot, window, path)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    out = window.view.result.frames  # Draft: the longer side at most 320 px
    assert out.shape[0] == t and max(out.shape[1:3]) == 320 and min(out.shape[1:3]) == 13
    strip = window.timeline._strip.image
    assert strip is not None and strip.shape[1] <= MAX_THUMBS * max(1, round(w * strip.shape[0] / h))


def test_cancel_brings_back_the_finished_result(window, qtbot, monkeypatch):
    hold_the_wide_run(monkeypatch)
    with qtbot.waitSignal(window.generation.scored, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    finished = window.view.result
    assert finished.realism is not None  # the scored copy is the one kept
    # Stopped before its first preview: the finished result never left; its Done line
    # comes back.
    window.panel.seed.setValue(7)
    window.runs.generate()
    window.runs.cancel()
    assert window.view.result is finished and window.panel.status.text().startswith("Done")
    assert "realism" in window.panel.timing.text()
    window.panel.output.out_width.set_value(CLIP_W * 3)  # another, longer run
    with qtbot.waitSignal(window.generation.preview, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert window.generation.busy and not window.view.result.final
    # Export meanwhile says how to get the finished one back, not "generate a result first".
    with qtbot.waitSignal(window.error_reported, timeout=5000) as said:
        window.exports.export_result()
    assert f"finished one (seed {finished.seed}), cancel the run (Esc)" in said.args[0]
    with qtbot.waitSignal(window.generation.cancelled, timeout=1000):
        window.runs.cancel()
    # The stopped run's coarse preview gives way to the last finished video, which can be
    # exported again.
    assert window.view.result is finished
    assert window.panel.status.text().startswith("Done") and "realism" in window.panel.timing.text()
    assert "previous result" in window.statusBar().currentMessage()
    # ... marked as made with settings other than the panel's now.
    badge = window.viewer.result.badge
    assert not badge.isHidden() and "made with seed" in badge.toolTip()
    window.view.show_clip()  # (the clip opened again): the pane's title and mark go too
    assert window.viewer.result.title.text() == "Result" and badge.isHidden()


def test_a_still_exports_as_one_png_image_from_the_dialog(qtbot, tmp_path):
    from app.widgets.export_dialog import ExportDialog
    from app.workers.exporter import normalize_target

    dialog = ExportDialog("clip", [3], tmp_path, single=True, still=True)
    qtbot.addWidget(dialog)
    assert dialog.kind == "still" and dialog.targets() == [tmp_path / "clip_seed0003.png"]
    assert normalize_target(tmp_path / "frame", "still") == tmp_path / "frame.png"
    assert normalize_target(tmp_path / "x.mp4", "still") == tmp_path / "x.png"
    dialog.format.setCurrentIndex(dialog.format.findText("MP4 video (H.264)"))
    assert dialog.targets() == [tmp_path / "clip_seed0003.mp4"]
    moving = ExportDialog("clip", [3], tmp_path, single=True)  # a moving result: no image
    qtbot.addWidget(moving)
    assert moving.format.findText("PNG image (one frame)") == -1


def test_out_of_date_names_the_setting_that_changed():
    """The mark's tooltip names what differs as the panel does, not only "other settings"."""
    from types import SimpleNamespace

    from app.state.request_builder import Choices, build_request
    from app.window.freshness import differences

    base = dict(task="generate", quality="normal", device="auto", seed=0, noise=0.6, frames=0,
                height=0, width=0, blend_seams="auto", keep_whole=False)

    def why(**changed) -> list[str]:
        made = SimpleNamespace(request=build_request(Choices(**base)), token=("c", 0, 9))
        return differences(made, ("c", 0, 9), build_request(Choices(**{**base, **changed})))

    assert why() == []
    assert why(frames=26) == ["it was made at the clip's duration"]
    assert why(width=384, height=216) == ["it was made at the clip's size"]
    assert why(noise=0.8) == ["it was made with Variation 0.6"]
    assert why(quality="draft") == ["it was made at Normal quality"]
    assert why(blend_seams="on") == ["it was made with Blend seams: Where they show"]
    assert why(keep_whole=True) == ["it was made without Keep subjects whole"]
    assert why(keep_edges=False) == ["it was made with Keep bars"]
    assert why(device="cpu") == ["it was made on the device chosen automatically"]
    assert why(frames=26, blend_seams="off") == ["it was made at the clip's duration",
                                                 "it was made with Blend seams: Where they show"]
    longer = SimpleNamespace(request=build_request(Choices(**{**base, "frames": 26})),
                             token=("c", 0, 9))
    assert differences(longer, ("c", 0, 9), build_request(Choices(**base))) == [
        "it was made 26 frames long"]
    # An analogy's size and duration are clip A's: another clip A is named once, as itself.
    guided = {**base, "task": "analogy", "noise": 0.0}
    a1, a2 = np.zeros((5, 32, 48, 3), np.uint8), np.zeros((7, 40, 40, 3), np.uint8)
    made = SimpleNamespace(request=build_request(Choices(**guided), guide=a1),
                           token=("c", 0, 9, "A1"))
    assert differences(made, ("c", 0, 9, "A2"), build_request(Choices(**guided), guide=a2)) == [
        "clip A has changed since"]


def test_the_result_says_when_the_panel_no_longer_makes_it(window, qtbot):
    """Another seed, task or in/out range leaves the result on screen marked Out of date,
    with why in the badge's tooltip; back to what made it, the mark goes."""
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    badge = window.viewer.result.badge
    assert badge.isHidden()
    seed = window.panel.seed.value()
    window.panel.seed.setValue(seed + 1)
    window.sync.commit()
    qtbot.waitUntil(lambda: not badge.isHidden(), timeout=2000)
    assert badge.text() == "Out of date" and f"made with seed {seed}" in badge.toolTip()
    window.panel.seed.setValue(seed)
    window.sync.commit()
    qtbot.waitUntil(badge.isHidden, timeout=2000)
    # Another in/out range, then another task: each named.
    window.session.in_out.set_range(1, CLIP_T - 1)
    assert window.freshness.check() == [f"it was made from frames 1–{CLIP_T} ({CLIP_T} frames)"]
    window.session.in_out.reset(CLIP_T)
    window.panel.set_task("Retarget")
    window.sync.commit()
    assert window.freshness.check() == ["it was made in Variations"]
    window.panel.set_task("Variations")
    window.sync.commit()
    assert window.freshness.check() == [] and badge.isHidden()
    # Generate with the new settings brings the mark down at once (first preview).
    window.panel.seed.setValue(seed + 2)
    window.sync.commit()
    assert window.freshness.check()
    with qtbot.waitSignal(window.result_shown, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert badge.isHidden()
    window.generation.cancel()


def test_side_by_side_plays_all_of_a_result_longer_than_the_clip(window, qtbot):
    """A retarget twice as long as the clip: beside the looping source, the result plays
    on through its second half (it had looped over its first half only)."""
    window.panel.set_task("Retarget")
    window.panel.output.out_frames.set_value(2 * CLIP_T)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    result = window.view.result
    assert len(result.frames) == 2 * CLIP_T
    # At Noise 0 the second half replays the clip (the loop point is a clean cut), so it is
    # marked (inverted) to tell which half the result's side shows.
    frames = result.frames.copy()
    frames[CLIP_T:] = 255 - frames[CLIP_T:]
    result = replace(result, frames=frames)
    window.view.show_result(result)
    window.view.set_view_mode("side")
    window.playback.seek(0)

    def shown() -> bool:  # a frame of the second half, on the result's side
        at = window.playback.unwrapped
        return (CLIP_T <= at < len(result.frames)
                and np.array_equal(window.viewer.result.image.image, result.frames[at]))

    window.playback.toggle_play()
    qtbot.waitUntil(shown, timeout=5000)  # the clip (0.8 s at 10 fps) looped, the result on
    window.playback.stop()
    assert window.viewer.result.counter.text() == \
        f"{window.playback.unwrapped + 1} / {2 * CLIP_T}"
    assert window.playback.frame < CLIP_T and window.playback.unwrapped >= CLIP_T
    window.playback.home()  # by hand: the laps are forgotten, the result starts again
    image = window.viewer.result.image.image
    assert window.playback.unwrapped == 0 and np.array_equal(image, result.frames[0])
    # The transport counts the source's frames; the result's pane says which of its own it
    # shows (the transport said "3 / 8" beside a result frame 11 of 16), Result mode not.
    counter = window.viewer.result.counter
    window.playback.seek(3)
    assert counter.isVisibleTo(window) and counter.text() == f"4 / {2 * CLIP_T}"
    window.view.set_view_mode("result")
    assert not counter.isVisibleTo(window)


def test_the_time_left_shows_from_the_first_levels_and_earlier_runs_prime_it(window, qtbot,
                                                                             monkeypatch):
    """"about N s left" comes with the third level of a first run (levels of a known model,
    engine.eta, whose third level takes over twice the fixed cost in work), and with the
    first one once a finished run's rates are remembered in the settings (per device and
    quality); never on the final level."""
    plan = tuple((int(1000 * 2.5**n), 3) for n in range(6))

    def scripted(frames, request, cancel):
        t = 0.2
        for n, (voxels, iters) in enumerate(plan):
            t += 0.015 + 2e-6 * voxels * iters
            yield LevelResult(level=n + 1, levels=len(plan), frames=frames, elapsed=t,
                              timings={}, device="cpu", plan=plan)

    monkeypatch.setattr(generation, "engine_levels", scripted)
    texts: list[tuple[int, bool, str]] = []
    window.generation.progress.connect(
        lambda p: texts.append((p.level, p.primed, window.panel.timing.text())))
    for seed in (1, 2):  # another seed: not served from the cache
        window.panel.seed.setValue(seed)
        with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
            window.runs.generate()
    first, second = texts[:len(plan)], texts[len(plan):]
    left = [level for level, _, text in first if " left" in text]
    assert left == [3, 4, 5], first
    assert all("about" in text for level, _, text in first if level in left)
    assert [level for level, _, text in second if " left" in text] == [1, 2, 3, 4, 5], second
    assert all(primed for _, primed, _ in second) and not any(p for _, p, _ in first)
    assert any(key.startswith("eta/") for key in window.settings.allKeys())


def test_a_runs_seam_blend_is_not_learned_as_its_last_levels_rate(window, qtbot, monkeypatch):
    """The time-left model learns each size's rate from finished runs; a seam blend's
    seconds sit in the last level's time (engine/seams.py), so a blended run teaches the
    rates of the levels before it only."""
    from engine.eta import bucket
    from engine.request import SEAMS_BLENDED

    plan = tuple((int(1000 * 2.5**n), 3) for n in range(6))

    def scripted(blended: bool):
        def levels(frames, request, cancel):
            t = 0.2
            for n, (voxels, iters) in enumerate(plan):
                t += 0.015 + 2e-6 * voxels * iters + (0.5 if blended and n == len(plan) - 1 else 0)
                notes = [SEAMS_BLENDED] if blended and n == len(plan) - 1 else []
                yield LevelResult(level=n + 1, levels=len(plan), frames=frames, elapsed=t,
                                  timings={}, device="blendtest", notes=notes, plan=plan)
        return levels

    last = bucket(plan[-1][0])
    for seed, blended in ((11, True), (12, False)):
        monkeypatch.setattr(generation, "engine_levels", scripted(blended))
        window.panel.seed.setValue(seed)
        with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
            window.runs.generate()
        learned = window.generation.priors.get("blendtest", window.panel.quality.currentText())
        assert learned is not None and bucket(plan[-2][0]) in learned.per_size
        assert (last in learned.per_size) == (not blended)


def test_the_done_line_says_the_time_the_progress_line_counted(window, qtbot, monkeypatch):
    """The progress line counts from Generate; the Done line and "Result ready in" said the
    engine's own clock, which starts later (a user saw "Level 13 of 13 · 6.3 s elapsed"
    and then "Result ready in 5.4 s")."""
    import time

    from app.workers.eta import format_seconds

    def late_start(frames, request, cancel):
        time.sleep(0.6)  # the worker starting, PyTorch's import: not on the engine's clock
        yield LevelResult(level=1, levels=1, frames=frames, elapsed=0.01, timings={},
                          device="cpu")

    monkeypatch.setattr(generation, "engine_levels", late_start)
    counted = []
    window.generation.progress.connect(lambda p: counted.append(p.elapsed))
    window.panel.seed.setValue(5)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.generate()
    assert blocker.args[0].elapsed == counted[-1] >= 0.6
    said = format_seconds(counted[-1])
    assert window.statusBar().currentMessage().startswith(f"Result ready in {said}")
    assert window.panel.timing.text().startswith(f"{said} on ")


def test_a_number_still_being_typed_is_what_generate_makes(window, qtbot):
    """The panel's boxes take typed text on Enter or when the focus leaves, and a click on
    Generate takes no focus: Generate takes the typed number itself, and the auto-update
    that the box's change would start after it is not another run of the same."""
    from app.widgets.control_panel import DEBOUNCE_MS

    window.panel.auto_update.setChecked(True)
    window.activateWindow()
    box = window.panel.seed
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=5000)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "9")
    assert box.value() == 0  # not taken yet
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.panel.generate.click()
    assert blocker.args[0].seed == 9 and window.session.settings.seed == 9
    runs = window.generation.run_count
    qtbot.wait(DEBOUNCE_MS * 3)
    assert window.generation.run_count == runs and not window.generation.busy


def test_a_late_score_leaves_a_newer_panel_line(window, qtbot):
    """A score arriving after the panel moved on (a task switch's "Draw a sketch first", a
    new run) does not put the old "Done: …" line back."""
    scored = []
    window.generation.scored.connect(scored.append)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    qtbot.waitUntil(lambda: bool(scored), timeout=RUN_TIMEOUT_MS)
    window.panel.set_progress(0, 1, "Draw a sketch first")
    window.generation.scored.emit(scored[0])
    assert window.panel.status.text() == "Draw a sketch first"


def test_choosing_retarget_does_not_update_to_the_input_itself(window, qtbot):
    """With Update on change, choosing Retarget started a run at the clip's own size,
    duration and Variation 0, whose result is the input itself: the panel asks for a new size
    instead, and the first change of size runs."""
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    window.panel.auto_update.setChecked(True)
    runs = window.generation.run_count
    window.panel.set_task("Retarget")
    window.panel._emit_changed()  # the debounced change, now
    assert window.generation.run_count == runs and not window.generation.busy
    assert window.panel.status.text() == "Set a new size or duration"
    window.panel.output.out_frames.set_value(CLIP_T + 4)
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.panel._emit_changed()
    assert len(window.view.result.frames) == CLIP_T + 4


def test_the_result_view_before_any_result_shows_no_timeline(window, qtbot):
    """With no result, the Result view's timeline showed a one-frame scale (ticks of 0.01 s)
    and a playhead, or a stopped run's thumbnails: it shows nothing until a result."""
    timeline = window.view.timeline
    window.view.set_view_mode("result")
    assert not timeline.playhead.isVisible() and timeline._frames is None
    # A first run stopped at a preview: its strip goes with it.
    with qtbot.waitSignal(window.generation.preview, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    with qtbot.waitSignal(window.generation.cancelled, timeout=RUN_TIMEOUT_MS):
        window.generation.cancel()
    assert window.view.result is None
    assert not timeline.playhead.isVisible() and timeline._frames is None
    with qtbot.waitSignal(window.generation.finished, timeout=RUN_TIMEOUT_MS):
        window.runs.generate()
    assert timeline.playhead.isVisible() and timeline._frames is not None


def test_the_done_line_names_faint_seams_and_what_softens_them(window):
    """A result flagged for faint seams or a band cut (thresholds that hold judged alone,
    unlike the patch ratio's) says so on the Done line; for seams its tooltip points at
    Blend seams when the result was made without it."""
    from app.state.result_clip import ResultClip
    from engine.config import Settings
    from engine.verdict import Realism

    frames = np.zeros((2, 16, 24, 3), np.uint8)
    seamy = Realism(0.5, 30.0, True, False, (0, 0, 0), seams=11.0)
    unblended = Request(seed=1, settings=Settings().with_(blend_seams="off"))
    window.runs.show_done(ResultClip(frames, 3, 3, unblended, (24, 16), 2, realism=seamy))
    assert "⚠\u00a0faint\u00a0seams" in window.panel.timing.text()  # one phrase when it wraps
    assert "Blend seams (Where they show) softens them" in window.panel.timing.toolTip()
    for mode in ("auto", "on"):  # blended already, by the default or always
        blended = Request(seed=1, settings=Settings().with_(blend_seams=mode))
        window.runs.show_done(ResultClip(frames, 3, 3, blended, (24, 16), 2, realism=seamy))
        assert "Blend seams" not in window.panel.timing.toolTip()
    # The default blended this one's seams: its Done line says so, and its score is clean.
    from engine.request import SEAMS_BLENDED

    clean = Realism(0.5, 30.0, True, False, (0, 0, 0), seams=4.0)
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2, realism=clean,
                                     notes=(SEAMS_BLENDED,)))
    assert "seams\u00a0blended" in window.panel.timing.text() and "⚠" not in window.panel.timing.text()
    assert "were found and blended" in window.panel.timing.toolTip()
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2, realism=clean))
    assert "blended" not in window.panel.timing.text()
    # Known from the run's notes before its score arrives.
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2,
                                     notes=(SEAMS_BLENDED,)))
    assert window.panel.timing.text().endswith("seams\u00a0blended")
    assert "were found and blended" in window.panel.timing.toolTip()
    cut = Realism(0.5, 30.0, True, False, (0, 0, 0), layout=12.0)
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2, realism=cut))
    assert "⚠\u00a0band\u00a0cut" in window.panel.timing.text()
    broken_alone = Realism(1.3, 30.0, True, False, (0, 0, 0))  # the patch ratio: Browse seeds judges it
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2, realism=broken_alone))
    assert "⚠" not in window.panel.timing.text()
    both = replace(broken_alone, seams=11.0)  # its seams are flagged whatever its patches say
    window.runs.show_done(ResultClip(frames, 3, 3, Request(seed=1), (24, 16), 2, realism=both))
    assert "faint\u00a0seams" in window.panel.timing.text()
