"""Retarget's output size and duration controls, as a user drives them (an audit's finds)."""

from __future__ import annotations


def _group(qtbot, width=160, height=96, frames=16, fps=8.0):
    from app.widgets.size_controls import OutputSizeGroup

    group = OutputSizeGroup()
    qtbot.addWidget(group)
    group.set_source(width, height, frames, fps)
    return group


def test_a_chosen_duration_survives_a_one_frame_range(qtbot):
    """A duration typed by the user outlives an in/out range too short to hold it: a range
    of one frame (frames greyed at 1) and back gave a one-frame still where 32 were asked."""
    group = _group(qtbot)
    group.out_frames.set_value(32)  # as if typed: twice the clip
    group.set_range_length(1)
    assert group.values()[2] == 1 and not group.out_frames.isEnabled()
    group.set_range_length(16)
    assert group.values()[2] == 32
    assert group.seconds.value() == 32 / 8.0
    assert group.scale_label.text().endswith("×2.00 T")
    # A range that holds less: the most it allows, then the choice again when it is back.
    group.set_range_length(4)
    assert group.values()[2] == 16
    group.set_range_length(16)
    assert group.values()[2] == 32


def test_a_following_duration_still_follows_the_range(qtbot):
    group = _group(qtbot)
    group.set_range_length(1)
    group.set_range_length(10)
    assert group.values()[2] == 10
    group.out_frames.set_value(10)  # the range's own length: still following
    group.set_range_length(12)
    assert group.values()[2] == 12


def test_a_source_under_the_minimum_side_keeps_its_own_size(qtbot):
    """A tiny image (24x10) opens at its own size: the 16 px floor made it 24x16, a stretch
    the user never asked for, shown as "Custom" and ×1.60 H."""
    group = _group(qtbot, 24, 10, 1, 25.0)
    assert group.values() == (24, 10, 1)
    assert group.preset.currentText() == "Source"
    assert group.scale_label.text() == "×1.00 W · ×1.00 H · ×1.00 T"
    group.out_width.set_value(48)  # the lock keeps its aspect, 4x at most
    assert group.values()[:2] == (48, 20)
    group.out_width.set_value(1)
    assert group.values()[:2] == (24, 10)  # no smaller than the source, where that is under 16
    # 9:16 of a 10 px height is under the width's floor: the height gives way instead.
    group.preset.setCurrentText("9:16")
    group.preset.activated.emit(group.preset.currentIndex())
    w, h, _ = group.values()
    assert abs(w / h - 9 / 16) < 0.05 and group.preset.currentText() == "9:16"


def test_custom_unlocks_the_aspect_for_typing(qtbot):
    """"Custom" in the Aspect menu did nothing: choosing it now takes the lock off and puts
    the cursor in the width box, so any width and height can be typed."""
    group = _group(qtbot)
    group.show()
    qtbot.waitExposed(group)
    assert group.lock.isChecked()
    group.preset.setCurrentText("Custom")
    group.preset.activated.emit(group.preset.currentIndex())
    assert not group.lock.isChecked()
    assert group.values() == (160, 96, 16)  # nothing changed by the choice itself
    group.out_width.set_value(300)
    assert group.values()[:2] == (300, 96)  # the height stays: no aspect kept
    assert group.preset.currentText() == "Custom"


def test_a_one_frame_range_says_why_the_duration_is_greyed(qtbot):
    group = _group(qtbot)
    group.set_range_length(1)
    assert not group.out_frames.isEnabled()
    assert "one-frame source makes a still" in group.out_frames.spin.toolTip()
    assert "one-frame source" in group.seconds.toolTip()
    group.set_range_length(16)
    assert "one-frame" not in group.out_frames.spin.toolTip()


def test_aspect_presets_give_even_sides(qtbot):
    """9:16 of a 144-pixel-high clip was 81 wide: the MP4 export padded it to 82 (H.264
    needs even sides), so the file was not the size the panel showed."""
    group = _group(qtbot, 256, 144, 16, 25.0)
    for name, width, shown in (("9:16", 82, "9:16"), ("4:5", 116, "4:5"), ("1:1", 144, "1:1"),
                               ("16:9", 256, "Source")):  # (the source's own size)
        group.preset.setCurrentText(name)
        group.preset.activated.emit(group.preset.currentIndex())
        assert group.values()[:2] == (width, 144) and group.preset.currentText() == shown


def test_the_output_boxes_are_one_width(qtbot):
    """Width, Height and Frames boxes sized each to its own range made their sliders three
    lengths (a ragged column in every screenshot)."""
    group = _group(qtbot, 1920, 1080, 16, 25.0)
    group.show()
    qtbot.waitExposed(group)
    widths = {c.spin.width() for c in (group.out_width, group.out_height, group.out_frames)}
    sliders = {c.slider.width() for c in (group.out_width, group.out_height, group.out_frames)}
    assert len(widths) == 1 and len(sliders) == 1, (widths, sliders)
