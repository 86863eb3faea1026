"""Menus and keyboard shortcuts of the main window.

Playback keys are window-wide, except while typing in a spin box (Qt lets a text field
keep the keys it uses). Tab toggles source / result only while the viewer or timeline has
the focus, so Tab still moves between the fields of the side panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

if TYPE_CHECKING:
    from app.window.main_window import MainWindow

SHORTCUT_HELP = """\
<table cellspacing=4>
<tr><td><b>Space</b></td><td>play / pause</td></tr>
<tr><td><b>J / K / L</b></td><td>play backward / stop / forward (press J or L again: 2×, 4×, 8×)</td></tr>
<tr><td><b>← / →</b></td><td>one frame back / forward</td></tr>
<tr><td><b>Shift+← / →</b></td><td>one second back / forward</td></tr>
<tr><td><b>Home / End</b></td><td>first / last frame</td></tr>
<tr><td><b>I / O</b></td><td>set the in / out point (only that range is used)</td></tr>
<tr><td><b>Tab</b></td><td>source / result (when the viewer has the focus)</td></tr>
<tr><td><b>\\</b></td><td>side by side</td></tr>
<tr><td><b>F</b></td><td>fit the picture; the wheel zooms, dragging pans</td></tr>
<tr><td><b>G</b> or <b>Ctrl+Enter</b></td><td>generate</td></tr>
<tr><td><b>Esc</b></td><td>cancel the running generation</td></tr>
<tr><td><b>B</b></td><td>browse seeds</td></tr>
<tr><td colspan=2><br><b>Inpaint</b> (painting on the Source view)</td></tr>
<tr><td><b>Left-drag / right-drag</b></td><td>paint / erase the mask</td></tr>
<tr><td><b>[ / ]</b> or <b>Shift+drag</b></td><td>smaller / larger brush</td></tr>
<tr><td><b>E</b></td><td>brush / eraser</td></tr>
<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b></td><td>undo / redo a stroke</td></tr>
<tr><td><b>Wheel / middle-drag</b></td><td>zoom / pan while painting</td></tr>
</table>"""


def _action(win: MainWindow, menu, text: str, slot, keys=(), tip: str = "") -> QAction:
    action = QAction(text, win)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    win.addAction(action)  # shortcuts work even while the menu bar is hidden
    return action


def build_menus(win: MainWindow) -> dict[str, QAction]:
    bar = win.menuBar()
    pb = win.playback
    a: dict[str, QAction] = {}

    file = bar.addMenu("&File")
    a["open"] = _action(win, file, "&Open…", win.choose_file, ["Ctrl+O"],
                        "Open a video, an image or a folder of images")
    win.recent_menu = file.addMenu("Open &Recent")
    win.recent_menu.aboutToShow.connect(lambda: fill_recent_menu(win))
    file.addSeparator()
    a["export"] = _action(win, file, "&Export Result…", win.export_result, ["Ctrl+E"],
                          "Write the result as MP4, GIF or PNG frames")
    a["export_favs"] = _action(win, file, "Export &Favourites…", win.export_favourites,
                               ["Ctrl+Shift+E"], "Write every starred variation")
    file.addSeparator()
    a["import_masks"] = _action(win, file, "&Import Masks…", win.import_masks, (),
                                "Load an inpainting mask: numbered PNG frames, white = hole")
    a["export_masks"] = _action(win, file, "Export &Masks…", win.export_masks, (),
                                "Write the inpainting mask as numbered PNG frames")
    file.addSeparator()
    a["quit"] = _action(win, file, "&Quit", win.close, ["Ctrl+Q"])

    edit = bar.addMenu("&Edit")  # the mask painter's keys (enabled in the Inpaint task)
    for i, action in enumerate(win.inpaint.panel.window_actions()):
        if i == 2:
            edit.addSeparator()
        edit.addAction(action)
        win.addAction(action)
        a[action.text().lower().replace(" / ", "_").replace(" ", "_")] = action

    play = bar.addMenu("&Playback")
    a["play"] = _action(win, play, "Play / Pause", pb.toggle_play, ["Space"])
    a["reverse"] = _action(win, play, "Play Backward (faster)", pb.reverse, ["J"])
    a["stop"] = _action(win, play, "Stop", pb.stop, ["K"])
    a["forward"] = _action(win, play, "Play Forward (faster)", pb.forward, ["L"])
    play.addSeparator()
    a["prev"] = _action(win, play, "Previous Frame", lambda: pb.step(-1), ["Left"])
    a["next"] = _action(win, play, "Next Frame", lambda: pb.step(1), ["Right"])
    a["back_1s"] = _action(win, play, "Back One Second", lambda: pb.step_seconds(-1),
                           ["Shift+Left"])
    a["fwd_1s"] = _action(win, play, "Forward One Second", lambda: pb.step_seconds(1),
                          ["Shift+Right"])
    a["home"] = _action(win, play, "First Frame", pb.home, ["Home"])
    a["end"] = _action(win, play, "Last Frame", pb.end, ["End"])
    play.addSeparator()
    a["in"] = _action(win, play, "Set In Point", win.set_in_point, ["I"])
    a["out"] = _action(win, play, "Set Out Point", win.set_out_point, ["O"])
    a["clear_in_out"] = _action(win, play, "Clear In / Out", win.clear_in_out, ["Alt+X"])

    view = bar.addMenu("&View")
    toggle = QAction("Source / Result\tTab", win)
    toggle.triggered.connect(win.toggle_source_result)
    view.addAction(toggle)
    a["toggle"] = toggle
    for area in (win.viewer, win.timeline):
        sc = QShortcut(QKeySequence(Qt.Key.Key_Tab), area)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(win.toggle_source_result)
    a["side"] = _action(win, view, "Side by Side", win.toggle_side_by_side, ["\\"])
    a["fit"] = _action(win, view, "Fit to Window", win.viewer.fit, ["F"])

    gen = bar.addMenu("&Generate")
    a["generate"] = _action(win, gen, "&Generate", win.generate,
                            ["G", "Ctrl+Return", "Ctrl+Enter"])
    a["cancel"] = _action(win, gen, "&Cancel", win.cancel_generation, ["Esc"])
    a["browse"] = _action(win, gen, "&Browse Seeds…", win.browse_seeds, ["B"])
    a["new_seed"] = _action(win, gen, "New Random Seed", win.panel.randomize_seed, ["Ctrl+R"])

    help_menu = bar.addMenu("&Help")
    a["keys"] = _action(win, help_menu, "&Keyboard Shortcuts", win.show_shortcuts, ["F1"])
    a["about"] = _action(win, help_menu, "&About", win.show_about)
    return a


def fill_recent_menu(win: MainWindow) -> None:
    menu = win.recent_menu
    menu.clear()
    paths = win.recent.paths()
    for path in paths:
        action = menu.addAction(Path(path).name)
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _=False, p=path: win.open_path(p))
    if not paths:
        menu.addAction("(none)").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear List").triggered.connect(win.recent.clear)
