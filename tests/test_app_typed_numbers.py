"""Numbers typed in the side panel, and what it shows after a project, a favourite or a
recovery fills it (a review, 2026-12-07)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale

from app.widgets.control_panel import ControlPanel
from app.widgets.size_controls import OutputSizeGroup


def _type(qtbot, box, text: str) -> None:
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    box.interpretText()  # what Enter, a focus change or take_typed() do


@pytest.fixture
def group(qtbot):
    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.show()
    group.set_source(64, 48, 10, 10.0)  # width up to 256, frames up to 40
    return group


@pytest.mark.parametrize("text", ["300", "1000"])
def test_a_number_typed_past_the_top_is_the_top_not_its_first_digits(group, qtbot, text):
    """Qt refused the keystroke that passed the maximum and kept the digits before it:
    "300" in a width box of at most 256 made 30 px, "60" frames of at most 40 made 6."""
    _type(qtbot, group.out_width.spin, text)
    assert group.values()[0] == group.out_width.maximum() == 256
    _type(qtbot, group.out_frames.spin, "6" + text[1:])
    assert group.values()[2] == 40


@pytest.mark.parametrize("locale", ["en_US", "de_DE"])
@pytest.mark.parametrize("text", ["1,5", "1.5"])
def test_seconds_take_either_decimal_mark(qtbot, locale, text):
    """"1,5" in an English locale was read as a thousands group: 15 s, 150 frames."""
    QLocale.setDefault(QLocale(locale))
    try:
        group = OutputSizeGroup()
        qtbot.addWidget(group)
        group.show()
        group.set_source(64, 64, 40, 10.0)
        _type(qtbot, group.seconds, text)
        assert group.values()[2] == 15
    finally:
        QLocale.setDefault(QLocale("C"))


@pytest.mark.parametrize("fps", [120.0, 240.0])
def test_seconds_name_every_frame_at_high_rates(qtbot, fps):
    """Two decimals named 0.03 s for frames 3 and 4 at 120 fps: typed back, the value the
    box showed gave another frame count, and steps skipped frames."""
    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.set_source(64, 64, 40, fps)
    for frames in range(1, 20):
        group.out_frames.set_value(frames)
        shown = group.seconds.text()
        _type(qtbot, group.seconds, shown.replace(" s", ""))
        assert group.values()[2] == frames, (frames, shown)
    group.out_frames.set_value(1)
    for frames in range(2, 12):
        group.seconds.stepUp()
        assert group.values()[2] == frames


def test_the_lock_keeps_the_sources_shape_after_the_panel_is_filled(qtbot):
    """Rebuilt from rounded sides (100x56 of 256x144), the lock drifted: 1024 gave 573."""
    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.set_source(256, 144, 10, 25.0)
    group.out_width.set_value(1024)
    before = group.values()
    group.out_width.set_value(100)
    group.set_values(*group.values())  # as an opened project or a favourite fills it
    group.out_width.set_value(1024)
    assert group.values() == before == (1024, 576, 10)


def test_drafts_size_line_follows_settings_that_come_in(qtbot):
    """Quality and size came in quietly: the line stayed hidden, or said the old size."""
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.output.set_source(640, 360, 10, 25.0)
    panel.apply_settings(panel.settings().with_(quality="draft", width=640, height=360, frames=10))
    assert not panel.draft_note.isHidden()
    assert panel.draft_note.text() == "Draft makes it 320×180 (Normal: 640×360)"
    panel.apply_settings(panel.settings().with_(width=1280, height=720))
    assert "1280×720" in panel.draft_note.text()


def test_a_side_following_an_even_one_is_even(qtbot):
    """A locked 300 wide of a 256x144 clip gave 169 high, which the MP4 export padded to
    170: the file was not the size the panel showed. Presets were even already."""
    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.set_source(256, 144, 10, 25.0)
    group.out_width.set_value(300)
    assert group.values()[:2] == (300, 168)
    group.out_height.set_value(100)
    assert group.values()[:2] == (178, 100)  # 177.8 to the even 178
    group.out_width.set_value(301)  # an odd side typed: the other to the nearest, as before
    assert group.values()[:2] == (301, 169)


def test_an_odd_side_says_the_mp4_export_adds_a_pixel(qtbot):
    """An odd side typed on purpose is padded by the MP4 writer; the panel said nothing of
    it until the export's status line."""
    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.show()
    group.set_source(256, 144, 10, 25.0)
    assert group.odd_note.isHidden()
    group.out_width.set_value(301)
    group.out_width.committed.emit()
    assert not group.odd_note.isHidden()
    assert group.odd_note.text() == ("Odd width 301 and height 169: an MP4 export adds one "
                                     "pixel (302×170).")
    group.out_width.set_value(300)
    group.out_width.committed.emit()
    assert group.odd_note.isHidden()
