"""The editor from the keyboard: a focused control keeps the keys it uses (the video's
←/→/Home/End do not steal them), Tab follows the screen on every task page, and the seed
browser takes the window's file keys, Generate and F1."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.state.request_builder import TASKS

Key = Qt.Key


def focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)


def open_browser(window, qtbot, count: int, size: tuple[int, int] | None = None):
    """The seed browser of `count` Draft tiles, stopped, the active window."""
    window.panel.set_quality("draft")
    window.panel.auto_update.setChecked(False)
    window.panel.browse_count.setValue(count)
    browser = window.browsers.browse_seeds()
    browser.cancel()
    if size is not None:
        browser.resize(*size)
    qtbot.waitUntil(lambda: browser.activateWindow() or browser.isActiveWindow(), timeout=5000)
    return browser


def pressed(qtbot, window, widget: QWidget, key) -> int:
    """The frame after `key` is pressed on focused `widget`, from frame 3."""
    window.playback.seek(3)
    focus(qtbot, widget)
    qtbot.keyClick(widget, key)
    return window.playback.frame


def test_a_focused_slider_list_box_or_row_of_choices_keeps_its_keys(window, qtbot):
    """←/→/Home/End move a focused slider (Hardness, Opacity, a slider clicked beside its
    box), not the video; a list box takes Home/End, a row of choices ←/→. Elsewhere (a
    check box, the viewer) the keys still step the video."""
    window.panel.set_task("Inpaint")
    tools = window.inpaint.panel
    for slider in (tools.hardness, tools.opacity):
        slider.setValue(50)
        for key, value in ((Key.Key_Left, 49), (Key.Key_Right, 50), (Key.Key_Home, 0),
                           (Key.Key_End, 100)):
            assert pressed(qtbot, window, slider, key) == 3
            assert slider.value() == value
    # A slider beside its number box is no Tab stop, but a click gives it the focus.
    noise = window.panel.current_page().noise
    qtbot.mouseClick(noise.slider, Qt.MouseButton.LeftButton, pos=QPoint(4, noise.slider.height() // 2))
    assert noise.slider.hasFocus()
    before = noise.slider.value()
    window.playback.seek(3)
    qtbot.keyClick(noise.slider, Key.Key_Right)
    assert noise.slider.value() == before + 1 and window.playback.frame == 3

    quality = window.panel.quality
    assert pressed(qtbot, window, quality, Key.Key_End) == 3
    assert quality.currentIndex() == quality.count() - 1
    window.panel.set_quality("normal")
    # Remove / Hint and the tools are rows of choices: → moves to the next one and takes it.
    assert pressed(qtbot, window, tools.remove_kind, Key.Key_Right) == 3
    assert tools.hint_kind.isChecked() and tools.hint_kind.hasFocus()
    tools.remove_kind.setChecked(True)
    brush = tools.tools.buttons()[0]
    assert pressed(qtbot, window, brush, Key.Key_Right) == 3
    assert tools.overlay.tool == "eraser"
    tools.overlay.set_tool("brush")

    assert pressed(qtbot, window, tools.show_mask, Key.Key_Right) == 4  # a check box: video
    assert pressed(qtbot, window, tools.show_mask, Key.Key_Home) == 0
    assert pressed(qtbot, window, window.viewer.source.view, Key.Key_Left) == 2
    # A spin box keeps its keys, as it always did.
    assert pressed(qtbot, window, tools.size_spin, Key.Key_End) == 3


def tab_walk(qtbot, window) -> list[QWidget]:
    """The controls Tab visits from the Task box until the focus leaves the side panel."""
    panel = window.panel
    focus(qtbot, panel.task)
    walk = [panel.task]
    for _ in range(80):
        qtbot.keyClick(QApplication.focusWidget(), Key.Key_Tab)
        now = QApplication.focusWidget()
        if not (panel.isAncestorOf(now) or panel.footer.isAncestorOf(now)) or now is panel.task:
            return walk
        walk.append(now)
    raise AssertionError("Tab never left the side panel")


def screen_place(window, widget: QWidget) -> tuple[int, int, int, int]:
    """(pane, top, bottom, left): the settings above the pinned footer, each in its own
    coordinates (the settings scroll while Tab goes through them)."""
    footer = window.panel.footer
    pane = footer if footer.isAncestorOf(widget) else window.panel
    at = widget.mapTo(pane, QPoint(0, 0))
    return pane is footer, at.y(), at.y() + widget.height(), at.x()


def test_tab_follows_the_screen_on_every_task_page(window, qtbot):
    """Top to bottom, a row left to right, Generate's row last: the painting tools came
    after Generate (they join the panel later), clip A's and B's Open… after the levels,
    and Hardness and Opacity were no Tab stops at all."""
    for label in TASKS:
        window.panel.set_task(label)
        qtbot.wait(20)  # the page just shown laid out
        walk = tab_walk(qtbot, window)
        for a, b in pairwise(walk):
            pa, pb = screen_place(window, a), screen_place(window, b)
            same_row = pa[0] == pb[0] and pb[1] < pa[2] and pa[1] < pb[2]
            assert (pb[3] > pa[3]) if same_row else pb[:2] > pa[:2], (
                f"{label}: Tab went from {a.metaObject().className()} {a.toolTip()[:40]!r} "
                f"to {b.metaObject().className()} {b.toolTip()[:40]!r}")
        if label == "Inpaint":
            tools = window.inpaint.panel
            assert tools.hardness in walk and tools.opacity in walk
            assert walk.index(tools.hardness) == walk.index(tools.size_spin) + 1
        if label == "Variations":  # as it always was
            p, out = window.panel, window.panel.output
            assert walk == [p.task, p.current_page().noise.spin, out.preset, out.lock,
                            out.out_width.spin, out.out_height.spin, out.out_frames.spin,
                            out.seconds, p.seed, p.new_seed, p.quality, p.blend_seams,
                            p.keep_whole, p.keep_edges, p.auto_update, p.generate, p.browse,
                            p.browse_count]


def test_the_seed_browser_takes_the_windows_file_keys_and_f1(window, qtbot, tmp_path,
                                                              monkeypatch):
    """With the seed browser the active window, F1 lists the keys and Ctrl+S saves the
    project (they did nothing there); its arrows and Esc stay its own."""
    from app.window import prompts

    browser = open_browser(window, qtbot, 2)
    focus(qtbot, browser.first_seed)

    qtbot.keyClick(browser.first_seed, Key.Key_F1)
    shown = [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog)
             and d.objectName() == "longText" and d.isVisible()]
    assert len(shown) == 1 and shown[0].parent() is browser  # over the browser, not behind it
    shown[0].accept()
    qtbot.waitUntil(lambda: browser.activateWindow() or browser.isActiveWindow(), timeout=5000)
    focus(qtbot, browser.first_seed)

    target = tmp_path / "from the browser.vgpnn"
    monkeypatch.setattr(prompts, "choose_project_to_save", lambda *args: target)
    qtbot.keyClick(browser.first_seed, Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.projects.wait()  # written on a worker
    assert target.exists() and window.session.project_path == target

    window.playback.seek(3)
    focus(qtbot, browser.regenerate)
    qtbot.keyClick(browser.regenerate, Key.Key_Right)  # no frame step of the window's video
    assert window.playback.frame == 3
    browser.cancel()
    qtbot.keyClick(browser.regenerate, Key.Key_Escape)
    assert not browser.isVisible()


def test_tab_in_the_seed_browser_goes_from_its_bar_to_the_tiles_and_scrolls_to_them(window, qtbot):
    # Room for a row of tiles: the others are below, scrolled to.
    browser = open_browser(window, qtbot, 8, size=(560, 420))
    focus(qtbot, browser.first_seed)
    chain = [QApplication.focusWidget()]
    for _ in range(30):
        qtbot.keyClick(chain[-1], Key.Key_Tab)
        chain.append(QApplication.focusWidget())
    assert all(w.window() is browser for w in chain)
    kinds = [type(w).__name__ for w in chain[:8]]
    # The bar's fields, then the first tile's buttons: no stop of the grid's scroll area,
    # which showed no focus (Tab seemed lost there once).
    assert "QScrollArea" not in kinds and kinds.count("QToolButton") >= 2, kinds
    last = [w for w in chain if getattr(w, "text", lambda: "")() == "☆"][-1]
    viewport = browser._scroll.viewport()
    at = last.mapTo(viewport, last.rect().center())
    assert viewport.rect().contains(at), "a tile reached with Tab is scrolled into view"


def test_a_focused_slider_takes_shift_arrows_as_its_bigger_step(window, qtbot):
    """Shift+←/→ jumped the video a second while a slider had the focus; there they move
    the slider by its page step, as Shift makes the video's step bigger."""
    window.panel.set_task("Inpaint")
    tools = window.inpaint.panel
    for slider in (tools.size, tools.hardness):
        slider.setValue(50)
        step = slider.pageStep()
        for key, value in ((Key.Key_Left, 50 - step), (Key.Key_Right, 50)):
            window.playback.seek(3)
            focus(qtbot, slider)
            qtbot.keyClick(slider, key, Qt.KeyboardModifier.ShiftModifier)
            assert (window.playback.frame, slider.value()) == (3, value)
    # A row of choices keeps Shift+→ too (Qt moves along it as without Shift).
    window.playback.seek(3)
    focus(qtbot, tools.remove_kind)
    qtbot.keyClick(tools.remove_kind, Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert window.playback.frame == 3 and tools.hint_kind.isChecked()
    tools.remove_kind.setChecked(True)
    # A number box keeps Shift+← as it always did (its text field selects).
    window.playback.seek(3)
    focus(qtbot, tools.size_spin)
    qtbot.keyClick(tools.size_spin, Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert window.playback.frame == 3
    # Elsewhere Shift+→ still jumps the video.
    window.playback.seek(3)
    focus(qtbot, tools.show_mask)
    qtbot.keyClick(tools.show_mask, Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert window.playback.frame > 3


def test_a_focused_list_box_takes_left_and_right_as_previous_and_next(window, qtbot):
    """←/→ stepped the video while a list box (Quality, the brush's Scope…) had the focus;
    there they pick the previous / next entry, as ↑/↓ do and as in a row of choices."""
    window.panel.set_task("Inpaint")
    for box in (window.panel.quality, window.inpaint.panel.scope):
        box.setCurrentIndex(1)
        assert pressed(qtbot, window, box, Key.Key_Right) == 3
        assert box.currentIndex() == 2
        assert pressed(qtbot, window, box, Key.Key_Left) == 3
        assert box.currentIndex() == 1
        window.playback.seek(3)
        qtbot.keyClick(box, Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
        assert (window.playback.frame, box.currentIndex()) == (3, 0)


def test_a_letter_on_a_focused_list_box_picks_its_entry_not_the_windows_key(window, qtbot):
    """B on a focused Quality opened the seed browser and G started a run, where a user
    typed the entry's first letter (a keyboard audit); I on Task set the in point."""
    window.panel.auto_update.setChecked(False)
    quality, task = window.panel.quality, window.panel.task
    window.panel.set_quality("normal")
    focus(qtbot, quality)
    qtbot.keyClick(quality, Key.Key_B)
    assert quality.currentText() == "Best" and window.browsers.browser is None
    qtbot.keyClick(quality, Key.Key_G)
    assert not window.generation.busy
    window.playback.seek(3)
    in_before = window.session.in_out.in_point
    focus(qtbot, task)
    qtbot.keyClick(task, Key.Key_I)
    assert task.currentText() == "Inpaint" and window.session.in_out.in_point == in_before
    # Elsewhere the letters are the window's keys still.
    window.viewer.focus_view()
    qtbot.keyClick(QApplication.focusWidget(), Key.Key_I)
    assert window.session.in_out.in_point == 3


def test_enter_on_a_tiles_button_presses_it_without_rebuilding_the_grid(window, qtbot):
    """The browser is a dialog: Enter went to its default button, Show, which made every
    tile again and threw the focus to the top of the grid."""
    browser = open_browser(window, qtbot, 2)
    tiles = dict(browser.tiles)
    star = tiles[0].star
    focus(qtbot, star)
    qtbot.keyClick(star, Key.Key_Return)
    assert star.isChecked() and browser.tiles == tiles and star.hasFocus()
    qtbot.keyClick(star, Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert not star.isChecked() and browser.tiles == tiles
    browser.close()


def test_quitting_during_an_export_defaults_to_keep_exporting(window, qtbot):
    """Enter on the question ended the export: Quit had the focus."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from app.window import prompts

    seen = {}

    def answer():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen["default"] = box.defaultButton().text()
        seen["escape"] = box.escapeButton().text()
        qtbot.keyClick(box, Key.Key_Return)

    QTimer.singleShot(0, answer)
    assert prompts.ask_quit_during_export(window) is False
    assert seen == {"default": "Keep Exporting", "escape": "Keep Exporting"}


def test_after_cancel_the_focus_goes_back_to_generate(window, qtbot):
    """Cancel greys once the run stops, and Qt passed its focus on to Browse seeds… (a
    second Space opened the browser)."""
    panel = window.panel
    panel.set_busy(True)
    focus(qtbot, panel.cancel)
    panel.set_busy(False)
    assert panel.generate.hasFocus()


def test_every_control_a_screen_reader_reaches_has_a_name(window, qtbot):
    """A form's label named no control inside a composite field (a slider beside its number
    box, a row of boxes): a screen reader said "spin box" (an accessibility audit). Every
    focusable control of the panel on every task page, of the export dialog and of the
    seed browser's bar has a name or a text of its own."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
    )

    from app.widgets.export_dialog import ExportDialog

    controls = (QAbstractSpinBox, QAbstractSlider, QComboBox, QLineEdit, QAbstractButton)

    def nameless(root):
        return [f"{type(w).__name__} {w.toolTip()[:40]!r}" for w in root.findChildren(QWidget)
                if isinstance(w, controls) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
                and not w.accessibleName()
                and not (isinstance(w, QAbstractButton) and w.text())
                and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))]  # their own parts

    missing = []
    for task in TASKS:
        window.panel.set_task(task)
        missing += [f"{task}: {n}" for n in nameless(window.panel)]
    dialog = ExportDialog("result", [0], window.session.clip.path.parent, single=True)
    missing += [f"export: {n}" for n in nameless(dialog)]
    window.panel.set_task("Variations")
    window.panel.auto_update.setChecked(False)
    window.panel.set_quality("draft")
    window.panel.browse_count.setValue(2)
    browser = window.browsers.browse_seeds()
    browser.cancel()
    missing += [f"browser: {n}" for n in nameless(browser)]
    browser.close()
    assert not sorted(set(missing)), "\n".join(sorted(set(missing)))


def test_enter_presses_a_focused_button_as_space_does(window, qtbot):
    """Outside a dialog Enter did nothing on a focused button (only Space pressed it)."""
    panel = window.panel
    panel.seed.setValue(5)
    for key, modifiers in ((Key.Key_Return, Qt.KeyboardModifier.NoModifier),
                           (Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)):
        before = panel.seed.value()
        focus(qtbot, panel.new_seed)
        qtbot.keyClick(panel.new_seed, key, modifiers)
        qtbot.waitUntil(lambda b=before: panel.seed.value() != b, timeout=2000)  # animateClick


def test_arrows_move_between_the_seed_tiles_as_the_grid_stands(window, qtbot):
    """A tile's ☆ took ←/→/↑/↓ along the Tab chain (three presses a tile; ↑ did not go up):
    they go to the same button of the tile beside, above or below."""
    browser = open_browser(window, qtbot, 8)
    columns = browser._columns
    assert columns > 1
    order = browser.ordered_seeds()
    star = browser.tiles[order[0]].star
    focus(qtbot, star)
    window.playback.seek(3)
    qtbot.keyClick(star, Key.Key_Right)
    assert browser.tiles[order[1]].star.hasFocus() and window.playback.frame == 3
    qtbot.keyClick(QApplication.focusWidget(), Key.Key_Down)
    assert browser.tiles[order[1 + columns]].star.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Key.Key_Up)
    qtbot.keyClick(QApplication.focusWidget(), Key.Key_Left)
    assert star.hasFocus()
    qtbot.keyClick(star, Key.Key_Left)  # the first tile: stays
    assert star.hasFocus()
    refine = browser.tiles[order[0]].refine
    focus(qtbot, refine)
    qtbot.keyClick(refine, Key.Key_Right)  # the same button of the next tile
    assert browser.tiles[order[1]].refine.hasFocus()
    browser.close()


def test_the_result_pane_that_takes_the_keys_has_a_name(window, qtbot):
    """Before any result, Tab in the viewer puts the keys on the Result pane itself (its
    placeholder shows): a screen reader said nothing there."""
    window.view.set_view_mode("result")
    window.viewer.focus_view()
    qtbot.wait(10)
    pane = window.viewer.result
    assert pane.accessibleName() == "Result viewer"
    assert pane.accessibleDescription().startswith("No result yet")


def test_a_number_box_leaves_the_window_its_letters(window, qtbot):
    """A seed typed, then G: the Seed box took G (and Space, B, I, \\ ...) and nothing
    happened. Its digits stay its own."""
    from PySide6.QtTest import QTest

    fired = []
    for name in ("generate", "play", "browse"):
        action = window.actions_by_name[name]
        action.triggered.disconnect()
        action.triggered.connect(lambda _=False, n=name: fired.append(n))
    box = window.panel.seed
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=2000)
    box.selectAll()
    QTest.keyClicks(box, "12")
    for key in (Qt.Key.Key_G, Qt.Key.Key_Space, Qt.Key.Key_B):
        QTest.keyClick(box, key)
    assert box.text().startswith("12") and fired == ["generate", "play", "browse"]
