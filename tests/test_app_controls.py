"""Side panel: sliders, spin boxes, presets and the request they build; the debounce that
never starts a run mid-drag; and the small pure helpers behind the widgets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QToolTip, QWidget

from app.state.in_out import InOutRange
from app.state.request_builder import Choices, build_request, quality_tooltip, scale_text
from app.state.result_clip import result_index_for_source
from app.widgets.frames import fit_size, resize_nearest, thumbnail_strip
from app.widgets.playback import Playback
from app.workers.eta import RatePriors, format_estimate, format_seconds
from app.workers.exporter import normalize_target, output_name
from engine.config import KEEP_WHOLE_ALPHA, QUALITY_PRESETS, Settings
from tests.test_app_support import (
    CLIP_FPS,
    CLIP_H,
    CLIP_T,
    CLIP_W,
)


def test_defaults_follow_the_source(window):
    r = window.runs.current_request()
    assert (r.task, r.width, r.height, r.frames) == ("generate", CLIP_W, CLIP_H, CLIP_T)
    assert r.noise is None and r.settings.noise_scale == Settings().noise_scale and r.seed == 0
    assert r.settings.max_side == QUALITY_PRESETS["normal"]["max_side"]
    assert window.panel.output.scale_label.text() == "×1.00 W · ×1.00 H · ×1.00 T"


def test_width_with_aspect_lock_and_presets(window):
    out = window.panel.output
    assert out.lock.isChecked()
    out.out_width.set_value(96)  # as if typed into the spin box
    r = window.runs.current_request()
    assert (r.width, r.height) == (96, 64)
    out.lock.setChecked(False)
    out.out_width.set_value(72)
    r = window.runs.current_request()
    assert (r.width, r.height) == (72, 64)
    assert out.preset.currentText() == "Custom"
    assert out.scale_label.text().startswith("×1.50 W · ×2.00 H")
    out.preset.setCurrentText("1:1")
    out.preset.activated.emit(out.preset.currentIndex())
    r = window.runs.current_request()
    assert (r.width, r.height) == (CLIP_H, CLIP_H)
    out.preset.setCurrentText("16:9")
    out.preset.activated.emit(out.preset.currentIndex())
    assert window.runs.current_request().width == 56  # 56.9: a preset's sides are even
    out.preset.setCurrentText("Source")
    out.preset.activated.emit(out.preset.currentIndex())
    r = window.runs.current_request()
    assert (r.width, r.height) == (CLIP_W, CLIP_H)


def test_the_lock_keeps_the_aspect_at_a_sides_limit(qtbot):
    """A side dragged past where the other can follow stops there: 9:16 stays 9:16 at the
    width's top, the source's aspect at the smallest width."""
    from app.widgets.size_controls import MIN_SIDE, OutputSizeGroup

    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.set_source(160, 96, 16, 8.0)
    group.preset.setCurrentText("9:16")
    group.preset.activated.emit(group.preset.currentIndex())
    group.out_width.set_value(group.out_width.maximum())
    w, h, _ = group.values()
    assert h == group.out_height.maximum() and abs(w / h - 9 / 16) < 0.01
    group.preset.setCurrentText("Source")
    group.preset.activated.emit(group.preset.currentIndex())
    group.out_width.set_value(MIN_SIDE)
    w, h, _ = group.values()
    assert h == MIN_SIDE and abs(w / h - 160 / 96) < 0.05
    # Seconds typed between two frames show the whole frames' time that will be made.
    group.seconds.setValue(0.3)
    assert group.values()[2] == 2 and group.seconds.value() == pytest.approx(0.25)


def test_duration_in_frames_and_seconds(window):
    out = window.panel.output
    out.out_frames.set_value(12)
    assert out.seconds.value() == pytest.approx(12 / CLIP_FPS)
    out.seconds.setValue(0.5)
    assert window.runs.current_request().frames == 5
    assert "×0.62 T" in out.scale_label.text() or "×0.63 T" in out.scale_label.text()


def test_seed_noise_quality_and_task(window, qtbot):
    panel = window.panel
    panel.seed.setValue(42)
    panel.current_page().noise.set_value(3.5)
    panel.set_quality("draft")
    r = window.runs.current_request()
    assert (r.seed, r.noise, r.settings.noise_scale) == (42, None, 3.5)
    assert r.settings.max_side == QUALITY_PRESETS["draft"]["max_side"]
    assert r.settings.em_iters == QUALITY_PRESETS["draft"]["em_iters"]
    panel.set_quality("best")
    assert window.runs.current_request().settings.max_side is None
    panel.set_task("Retarget")
    r = window.runs.current_request()
    assert r.task == "retarget" and r.noise == 0.0  # the retarget page's own default
    panel.new_seed.click()
    assert window.runs.current_request().seed == panel.seed.value()
    qtbot.waitUntil(lambda: panel.device.text() == "Device: CPU" or "Device: " in
                    panel.device.text() and "…" not in panel.device.text(), timeout=30_000)


def test_blend_seams_choice_for_variations_and_retarget(window):
    """Blend seams reaches the engine for variations and retargets (Where they show by
    default), is hidden (and off) for the other tasks, and a project keeps it."""
    panel = window.panel
    assert panel.seams_row.isVisible() and panel.seams_mode() == "auto"
    assert panel.blend_seams.currentText() == "Where they show"
    assert window.runs.current_request().settings.blend_seams == "auto"
    panel.set_seams_mode("on")
    assert panel.blend_seams.currentText() == "Always"
    assert window.runs.current_request().settings.blend_seams == "on"
    panel.set_task("Retarget")
    assert panel.seams_row.isVisible() and window.runs.current_request().settings.blend_seams == "on"
    panel.set_task("Inpaint")
    assert not panel.seams_row.isVisible()
    assert panel.choices().blend_seams == "off" and panel.settings().choices().blend_seams == "off"
    saved = panel.settings()
    assert saved.blend_seams == "on"
    panel.set_task("Variations")
    panel.set_seams_mode("off")
    assert window.runs.current_request().settings.blend_seams == "off"
    panel.apply_settings(saved.with_(task="generate"))
    assert panel.seams_mode() == "on"
    panel.set_seams_mode("sometimes")  # not a mode: the default, never a blank box
    assert panel.seams_mode() == "auto" and panel.blend_seams.currentText() == "Where they show"


def test_keep_bars_box_for_variations_and_retargets(window):
    """Keep bars (black bars, bars of one colour and blurred sides; on by default) reaches the engine as Settings.keep_edges
    for variations and retargets, is hidden (and ignored) for the other tasks, and a
    project keeps it."""
    panel = window.panel
    assert panel.keep_edges.isVisible() and panel.keep_edges.isChecked()
    assert window.runs.current_request().settings.keep_edges
    panel.keep_edges.setChecked(False)
    assert not window.runs.current_request().settings.keep_edges
    panel.set_task("Retarget")
    assert panel.keep_edges.isVisible() and not window.runs.current_request().settings.keep_edges
    panel.set_task("Inpaint")
    assert not panel.keep_edges.isVisible()
    saved = panel.settings()
    assert not saved.keep_edges and saved.choices().keep_edges  # (not a setting of inpainting)
    panel.set_task("Variations")
    panel.keep_edges.setChecked(True)
    panel.apply_settings(saved.with_(task="generate"))
    assert not panel.keep_edges.isChecked()


def test_keep_subjects_whole_box_for_variations_only(window):
    """Keep subjects whole reaches the engine as the coarse levels' completeness weighting
    for variations, is hidden (and ignored) for the other tasks, and a project keeps it."""
    panel = window.panel
    assert panel.keep_whole.isVisible() and not panel.keep_whole.isChecked()
    assert window.runs.current_request().settings.coarse_completeness_alpha is None
    panel.keep_whole.setChecked(True)
    assert window.runs.current_request().settings.coarse_completeness_alpha == KEEP_WHOLE_ALPHA
    assert window.runs.current_request().settings.completeness_alpha is None  # finer levels: off
    for task in ("Retarget", "Inpaint"):
        panel.set_task(task)
        assert not panel.keep_whole.isVisible()
        assert window.runs.current_request().settings.coarse_completeness_alpha is None
    saved = panel.settings()
    assert saved.keep_whole and not saved.choices().keep_whole
    panel.set_task("Variations")
    panel.keep_whole.setChecked(False)
    panel.apply_settings(saved.with_(task="generate"))
    assert panel.keep_whole.isChecked()


def test_no_run_while_a_slider_is_dragged(window, qtbot):
    panel = window.panel
    calls = []
    panel.choices_changed.connect(lambda: calls.append(1))
    slider = panel.output.out_width.slider
    slider.setSliderDown(True)
    slider.setValue(slider.value() + 10)  # dragging: labels update, nothing runs
    assert panel.output.out_width.int_value() == CLIP_W + 10
    qtbot.wait(600)  # longer than the debounce: make sure nothing fired
    assert calls == []
    with qtbot.waitSignal(panel.choices_changed, timeout=3000):
        slider.setSliderDown(False)  # release commits
        slider.sliderReleased.emit()
    assert calls == [1]


def test_every_control_has_a_tooltip(window):
    panel = window.panel
    missing = []
    for widget in panel.findChildren(QWidget) + panel.footer.findChildren(QWidget):
        cls = type(widget).__name__
        if cls in ("QSpinBox", "QDoubleSpinBox", "QComboBox", "QPushButton", "QToolButton",
                   "QSlider", "QCheckBox") and not widget.toolTip():
            missing.append(cls + ":" + (widget.objectName() or widget.parent().objectName()))
    for widget in window.transport.findChildren(QWidget):
        if type(widget).__name__ == "QToolButton" and not widget.toolTip():
            missing.append("transport:" + widget.text())
    assert not missing
    QToolTip.hideText()


# -- pure helpers -------------------------------------------------------------------------
def test_playback_model_loops_and_clamps(qtbot):
    pb = Playback()
    pb.set_clip(5, 25.0)
    pb.step(10)
    assert pb.frame == 4
    pb.step(-10)
    assert pb.frame == 0
    pb.reverse()
    assert pb.rate == -1
    qtbot.waitUntil(lambda: pb.frame == 4 or pb.frame == 3, timeout=2000)  # wrapped around
    pb.stop()
    assert not pb.playing


def test_in_out_range_rules():
    r = InOutRange()
    r.reset(10)
    r.set_out(3)
    r.set_in(6)  # after the out point: out moves to the end
    assert (r.in_point, r.out_point) == (6, 9)
    r.set_out(2)  # before the in point: in moves to the start
    assert (r.in_point, r.out_point) == (0, 2)
    r.set_range(8, 4)
    assert (r.in_point, r.out_point, r.count) == (4, 8, 5)


def test_request_and_scale_text():
    c = Choices(task="retarget", width=120, height=48, frames=4, seed=3, noise=0.0,
                quality="draft")
    r = build_request(c)
    assert (r.task, r.width, r.height, r.frames, r.seed, r.noise) == ("retarget", 120, 48, 4,
                                                                       3, 0.0)
    assert hash(r) == hash(build_request(c))  # usable as a cache key
    assert scale_text(c, 80, 48, 5) == "×1.50 W · ×1.00 H · ×0.80 T"


def test_quality_tooltips_say_the_em_iterations():
    """Normal's finest levels run 3 EM iterations; Best runs the paper's 5 on every level."""
    assert "5 EM iterations per level (3 on the finest)" in quality_tooltip("normal")
    assert "5 EM iterations per level," in quality_tooltip("best")
    assert "2 EM iterations per level," in quality_tooltip("draft")
    assert build_request(Choices(quality="best")).settings.fine_em_iters is None


def test_eta_text_and_stored_rates(tmp_path):
    """An estimate is said as roughly as it is known (engine.eta has the model); the rates
    a finished run taught are kept per device and quality, and a damaged value is none."""
    from PySide6.QtCore import QSettings

    from engine.eta import Rates

    assert format_seconds(75) == "1 min 15 s" and format_seconds(None) == "–"
    assert [format_estimate(s) for s in (0.2, 7.4, 23, 58, 63, 124, 3599)] == [
        "1 s", "7 s", "25 s", "1 min", "1 min", "2 min", "60 min"]
    assert format_estimate(95) == "1 min 40 s"
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    priors = RatePriors(settings)
    assert priors.get("CPU", "Normal") is None
    priors.learn("CPU", "Normal", Rates(0.1, {17: 2e-6}))
    priors.learn("CPU", "Normal", Rates(0.3, {17: 4e-6}))
    assert RatePriors(settings).get("CPU", "Normal") == Rates(0.2, {17: 3e-6})
    assert priors.get("CPU", "Best") is None and priors.get("cuda:0", "Normal") is None
    settings.setValue(RatePriors._key("CPU", "Best"), "{not json")
    assert priors.get("CPU", "Best") is None
    memory = RatePriors()
    memory.learn("CPU", "Draft", Rates(0.1, {10: 1e-6}))
    assert memory.get("CPU", "Draft") == Rates(0.1, {10: 1e-6})


def test_display_helpers():
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    big = resize_nearest(img, 12, 8)
    assert big.shape == (8, 12, 3) and (big[::2, ::2] == img).all()
    strip = thumbnail_strip(np.stack([img] * 5), 3, 2)
    assert strip.shape == (2, 9, 3)
    assert fit_size(256, 144, 240, 150) == (240, 135)
    assert result_index_for_source(7, 2, 3) == 2  # (7 - 2) % 3


def test_export_names():
    assert output_name("walk", 7, "mp4") == "walk_seed0007.mp4"
    assert output_name("walk", 12, "png") == "walk_seed0012_frames"
    assert normalize_target("/x/out", "mp4") == Path("/x/out.mp4")
    assert normalize_target("/x/out.gif", "gif") == Path("/x/out.gif")
    assert normalize_target("/x/frames.png", "png") == Path("/x/frames")


def test_none_is_protected_from_the_pyside_refcount_leak():
    import sys

    from PySide6.QtCore import QObject

    from app.qt_fixes import void_calls_leak_none

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("x")  # a void call; leaks a None reference on PySide6 6.12/3.11
    if void_calls_leak_none():
        assert sys.getrefcount(None) > 2**40  # app/__init__ made None effectively immortal
    else:
        assert sys.getrefcount(None) >= before - 10


def test_style_sheet_is_found_and_applied():
    """The editor's look comes from resources/style.qss (it was once looked for in the wrong
    folder after a move, and the editor silently ran unstyled)."""
    from app.widgets.style import STYLE_SHEET

    assert STYLE_SHEET.exists()
    assert "realismBadge" in STYLE_SHEET.read_text(encoding="utf-8")


def test_realism_badge_names_a_band_cut(qtbot):
    """A tile says why it is flagged: a band cut (and where), faint seams or artifacts."""
    from app.state.result_clip import ResultClip
    from app.widgets.seed_tile import SeedTile
    from engine.realism import Realism
    from engine.request import Request

    frames = np.zeros((2, 16, 24, 3), np.uint8)
    tile = SeedTile(3, (24, 16), 25.0)
    qtbot.addWidget(tile)
    cases = {
        "cut near the bottom": Realism(0.5, 20.0, True, False, (0, 0, 0), layout=12.0, layout_row=0.9),
        "artifacts": Realism(1.3, 30.0, True, False, (0, 0, 0), layout=0.5, layout_row=0.2),
        "No likely artifacts": Realism(0.5, 80.0, False, False, (0, 0, 0), layout=0.5, layout_row=0.2),
        "faint seams": Realism(0.5, 30.0, True, False, (0, 0, 0), layout=0.5, seams=11.0),
    }
    for words, r in cases.items():
        clip = ResultClip(frames, 1, 1, Request(seed=3), (24, 16), 2, realism=r)
        tile.set_clip(clip, "done")
        assert words in tile.badge.toolTip()
        assert tile.badge.text().startswith("⚠" if r.flagged else "✓")


def test_seed_browser_judges_finished_tiles_among_themselves(qtbot):
    """Once four variations are scored, the browser flags the one that stands out among
    them, though it passes alone, and says so in its badge's tooltip."""
    from app.state.result_cache import ResultCache
    from app.state.result_clip import ResultClip
    from app.widgets.seed_browser import SeedBrowser
    from app.widgets.seed_tile import SeedTile
    from engine.realism import FLAG_AT, Realism
    from engine.request import Request

    browser = SeedBrowser(ResultCache())
    qtbot.addWidget(browser)
    frames = np.zeros((2, 16, 24, 3), np.uint8)
    ratios = {0: 0.5, 1: 0.45, 2: 0.9, 3: 0.55, 4: 0.5}
    browser.request = Request(seed=0)
    for seed in ratios:
        browser.tiles[seed] = SeedTile(seed, (24, 16), 25.0)
    for seed, ratio in ratios.items():
        r = Realism(ratio, 100 / (1 + (ratio / FLAG_AT) ** 3), False, False, (0, 0, 0))
        browser._offer("final", seed, ResultClip(frames, 2, 2, Request(seed=seed), (24, 16), 2, realism=r),
                       "ready")
        if seed == 2:  # alone so far (three scored): it passes
            assert browser.tiles[2].badge.text().startswith("✓")
            assert browser.whole_hint.isHidden()
    tile = browser.tiles[2]
    assert tile.badge.text().startswith("⚠") and "Stands out among these 5" in tile.badge.toolTip()
    assert "Keep subjects whole" in tile.badge.toolTip()
    assert not browser.whole_hint.isHidden()  # the grid's hint line says it too
    whole = Request(seed=2, settings=Settings(coarse_completeness_alpha=KEEP_WHOLE_ALPHA))
    browser.request = whole
    tile.clip = replace(tile.clip, request=whole)
    browser._judge()
    assert browser.whole_hint.isHidden()  # made with the box ticked: nothing to suggest
    assert tile.badge.text().startswith("⚠") and "Keep subjects whole" not in tile.badge.toolTip()
    assert tile.realism_score < 50 < browser.tiles[3].realism_score
    assert all(browser.tiles[s].badge.text().startswith("✓") for s in (0, 1, 3, 4))
    browser.order.setCurrentIndex(1)
    assert browser.ordered_seeds()[-1] == 2


def test_seed_browser_sorts_most_new_first_with_the_broken_last(qtbot):
    """Most new first: the finished variations by how new they look (shown on each tile),
    those flagged as broken after the rest however new; unmeasured ones follow in seed
    order. Most realistic first puts the near-copies on top instead."""
    from app.state.result_cache import ResultCache
    from app.state.result_clip import ResultClip
    from app.widgets.seed_browser import ORDERS, SeedBrowser
    from app.widgets.seed_tile import SeedTile
    from engine.realism import FLAG_AT, SEAMS_FLAG_AT, Realism
    from engine.request import Request

    browser = SeedBrowser(ResultCache())
    qtbot.addWidget(browser)
    frames = np.zeros((2, 16, 24, 3), np.uint8)
    unblended = Settings().with_(blend_seams="off")  # the grid's hint and the tile's name it
    browser.request = Request(seed=0, settings=unblended)
    # seed: (patch ratio, layout term, newness); seed 2 a near-copy, seed 4 a band cut,
    # seed 5 stands out among the rest, seed 6 not finished, seed 7 not measured, seed 8 has
    # faint seams.
    cases = {0: (0.5, 1.0, 0.45), 1: (0.55, 1.0, 0.7), 2: (0.15, 0.5, 0.1), 3: (0.5, 1.0, 0.6),
             4: (0.5, 12.0, 0.8), 5: (1.4, 1.0, 0.9), 6: None, 7: (0.5, 1.0, None), 8: (0.5, 1.0, 0.95)}
    for seed in cases:
        browser.tiles[seed] = SeedTile(seed, (24, 16), 25.0)
    for seed, case in cases.items():
        if case is None:
            continue
        ratio, layout, new = case
        r = Realism(ratio, 100 / (1 + (ratio / FLAG_AT) ** 3), False, ratio < 0.2, (0, 0, 0),
                    layout=layout, new=new, seams=SEAMS_FLAG_AT + 3 if seed == 8 else 1.0)
        made = Request(seed=seed, settings=unblended)
        browser._offer("final", seed, ResultClip(frames, 2, 2, made, (24, 16), 2, realism=r), "ready")
    assert browser.tiles[1].new_label.text() == "70% new"
    assert "differs from the input" in browser.tiles[1].new_label.toolTip()
    assert browser.tiles[6].new_label.isHidden() and browser.tiles[7].new_label.isHidden()
    assert browser.tiles[7].badge.text()  # scored, with no newness (another size or length)
    browser.order.setCurrentIndex(ORDERS.index("Most new first"))
    assert browser.ordered_seeds() == [1, 3, 0, 2, 8, 5, 4, 6, 7]
    assert browser.tiles[8].judged.verdict == "seams"
    assert "Blend seams (Where they show) softens them" in browser.tiles[8].badge.toolTip()
    assert not browser.seams_hint.isHidden()  # made without Blend seams: the grid says what helps
    browser.request = Request(seed=0)  # the default blends the seeds the measure flags: no hint
    browser._judge()
    assert browser.seams_hint.isHidden()
    from engine.request import SEAMS_BLENDED

    blended = replace(browser.tiles[3].clip, notes=(SEAMS_BLENDED,))  # blended by the default
    browser._offer("final", 3, blended, "ready")
    assert "were found and blended" in browser.tiles[3].badge.toolTip()
    assert "blended" not in browser.tiles[1].badge.toolTip()
    browser.request = Request(seed=0, settings=unblended)
    browser._judge()
    assert browser._grid.itemAtPosition(0, 0).widget().seed == 1
    browser.order.setCurrentIndex(ORDERS.index("Most realistic first"))
    assert browser.ordered_seeds()[0] == 2


def test_seed_browser_tiles_wait_for_their_siblings_while_the_grid_is_made(qtbot):
    """While more seeds are being computed, the first finished tiles of a clip whose clean
    variations all score over the single threshold (birds) are not flagged but wait to be
    judged among the grid; stopped short of four, they are judged alone."""
    from app.state.result_cache import ResultCache
    from app.state.result_clip import ResultClip
    from app.widgets.seed_browser import SeedBrowser
    from app.widgets.seed_tile import SeedTile
    from engine.realism import FLAG_AT, Realism
    from engine.request import Request

    frames = np.zeros((2, 16, 24, 3), np.uint8)

    class Running:  # stands in for the grid's worker
        def cancel(self) -> None:
            pass

    def grid() -> SeedBrowser:
        browser = SeedBrowser(ResultCache())
        qtbot.addWidget(browser)
        for seed in range(6):
            browser.tiles[seed] = SeedTile(seed, (24, 16), 25.0)
        browser._arrange()  # the grid owns its tiles
        browser._job = Running()
        browser._finals_due = set(range(6))  # as _rebuild queues them
        return browser

    def finish(browser: SeedBrowser, seed: int, ratio: float) -> None:
        r = Realism(ratio, 100 / (1 + (ratio / FLAG_AT) ** 3), ratio > FLAG_AT, False, (0, 0, 0))
        browser._offer("final", seed, ResultClip(frames, 2, 2, Request(seed=seed), (24, 16), 2, realism=r),
                       "ready")

    browser = grid()
    for seed, ratio in ((0, 1.05), (1, 1.2), (2, 1.1)):
        finish(browser, seed, ratio)
    badge = browser.tiles[1].badge
    assert badge.text() == "judging…" and "once 1 more is done" in badge.toolTip()
    finish(browser, 3, 1.15)  # four: judged among themselves, none stands out
    assert all(browser.tiles[s].badge.text().startswith("✓") for s in range(4))

    short = grid()
    finish(short, 0, 1.05)
    finish(short, 1, 1.2)
    assert short.tiles[0].badge.text() == "judging…"
    short.cancel()  # stopped with two: nothing more is coming, each judged alone
    assert short.tiles[0].badge.text().startswith("⚠") and short.tiles[1].badge.text().startswith("⚠")


def _wheel(widget, steps: int = -3) -> None:
    """A mouse wheel turned over `widget` (down for negative steps), as Qt delivers it."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_the_panel_scrolls_it_without_changing_settings(window, qtbot):
    """Scrolling down the side panel, Quality passed under the pointer and the wheel made it
    Best; over Variation it moved the slider and started a run (Update on change): settings
    have no undo. A control the user clicked or tabbed into still takes the wheel."""
    from app.widgets.control_panel import PanelScroll

    panel = window.panel
    scroll = window.findChild(PanelScroll).verticalScrollBar()
    window.resize(1000, 560)  # short: the panel scrolls
    window.show()
    qtbot.waitUntil(lambda: scroll.maximum() > 0, timeout=5000)
    quality, variation = panel.quality.currentText(), panel.current_page().noise.value()
    for control in (panel.quality, panel.seed, panel.output.out_width.slider,
                    panel.output.out_width.spin, panel.current_page().noise.slider):
        _wheel(control)
    assert panel.quality.currentText() == quality and not panel.quality.hasFocus()
    assert panel.output.values()[0] == CLIP_W and panel.seed.value() == 0
    assert panel.current_page().noise.value() == variation
    assert scroll.value() > 0  # the panel scrolled instead
    panel.seed.setFocus()  # clicked or tabbed into: the wheel is the control's
    qtbot.waitUntil(panel.seed.hasFocus, timeout=2000)
    _wheel(panel.seed, 2)
    assert panel.seed.value() == 2


def test_draft_says_the_size_it_makes(window):
    """At Draft the result is at most 320 px on its longer side, smaller than the panel's
    Width and Height: said under Quality (only a passing status line said it)."""
    panel = window.panel
    note = panel.draft_note
    panel.set_quality("draft")
    assert note.isHidden()  # the test clip is under 320 px: Draft keeps its size
    panel.output.set_source(640, 360, 10, 25.0)  # as a larger clip's
    assert not note.isHidden() and note.text() == "Draft makes it 320×180 (Normal: 640×360)"
    panel.output.out_width.set_value(960)  # the lock keeps the aspect
    assert note.text() == "Draft makes it 320×180 (Normal: 960×540)"
    panel.output.preset.setCurrentText("9:16")  # a preset too
    panel.output.preset.activated.emit(panel.output.preset.currentIndex())
    assert note.text() == "Draft makes it 101×180 (Normal: 202×360)"  # (one scale: the source too)
    panel.set_task("Inpaint")  # made at the clip's size at Draft too: nothing to say
    assert note.isHidden()
    panel.set_task("Variations")
    assert not note.isHidden()
    panel.set_quality("normal")
    assert note.isHidden()


def test_a_grid_flagged_throughout_does_not_say_a_tile_stands_out(qtbot):
    """Every variation over the fixed limit: each was told it "stands out among these 8" at
    1.0x the typical one, even one under the grid's median."""
    from app.widgets.seed_tile import SeedTile
    from engine.realism import Realism
    from engine.verdict import judge_among

    ratios = [1.6, 1.7, 1.62, 2.3, 1.58]  # median 1.62: 2.3 is 1.4x it, the others 1.05x
    judged = judge_among([Realism(r, 50.0, False, False, (0, 0, 0)) for r in ratios])
    assert all(r.verdict == "stands_out" for r in judged)
    tips = []
    for seed, r in enumerate(judged):
        tile = SeedTile(seed, (24, 16), 25.0)
        qtbot.addWidget(tile)
        tile.show_realism(r)
        tips.append(tile.badge.toolTip())
        assert tile.badge.text().startswith("⚠")
    assert ["Stands out" in tip for tip in tips] == [False, False, False, True, False]
    assert "as in most of these 5 variations" in tips[0]


def test_settings_of_other_tasks_leave_a_favourite_the_same_video():
    """A Variations favourite after the Analogy page's levels changed, an Inpaint one after
    the output size changed: each lost its star in the next grid, and starring it again
    made a second favourite of one video. What the task's request is made of still counts."""
    from app.state.settings import PanelSettings

    variation = PanelSettings(task="generate", width=96, height=64, frames=8)
    assert variation.same_result(variation.with_(guide_levels=3, look_levels=5))
    assert not variation.same_result(variation.with_(width=128))
    inpaint = PanelSettings(task="inpaint", width=96, height=64, frames=8)
    assert inpaint.same_result(inpaint.with_(width=128, height=80, frames=4, guide_levels=3))
    assert not inpaint.same_result(inpaint.with_(quality="best"))
    sketch = PanelSettings(task="sketch", width=96, height=64, frames=8)
    assert sketch.same_result(sketch.with_(width=128))
    assert not sketch.same_result(sketch.with_(look_levels=3))
