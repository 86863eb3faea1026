"""Menus and keyboard shortcuts of the main window, built from the commands the window
hands in (a name -> callable table), so this module knows no controller.

Playback keys are window-wide, except where the focused control uses the key itself (a
spin box, a slider, a list box: app.widgets.focus_keys). Tab toggles source / result only
while the viewer has the focus, so Tab still moves between the fields of the side panel (F6
moves between the panes). The seed browser, a window of its own, shares the keys of
BROWSER_COMMANDS (lend_actions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

SEP = None
# menu -> entries: (command, text, keys, status tip), SEP, or "@name" for a submenu the
# window fills when it opens (recent files, favourites), or "@edit" for the painter's keys.
MENUS: dict[str, list] = {
    "&File": [
        ("open", "&Open…", ["Ctrl+O"], "Open a video, an image, a folder of images or a project"),
        "@Open &Recent:recent",
        SEP,
        ("new_project", "&New Project", ["Ctrl+N"],
         "Start over on the current clip: no mask, no favourites, untitled"),
        ("open_project", "Open &Project…", ["Ctrl+Shift+O"], "Open a .vgpnn project"),
        "@Open Recent Pro&ject:recent_projects",
        ("save", "&Save Project", ["Ctrl+S"], "Save the clip's mask, settings and favourites"),
        ("save_as", "Save Project &As…", ["Ctrl+Shift+S"], "Save the project under a new name"),
        SEP,
        ("export", "&Export Result…", ["Ctrl+E"], "Write the result as MP4, GIF or PNG frames"),
        ("export_favs", "Export &Favourites…", ["Ctrl+Shift+E"], "Write every starred variation"),
        SEP,
        ("import_masks", "&Import Masks…", [],
         "Load an inpainting mask (white = hole): any frame of a numbered sequence, an image or a video"),
        ("export_masks", "Export &Masks…", [], "Write the inpainting mask as numbered PNG frames"),
        ("import_sketch", "Import S&ketch…", [],
         "Load a sketch (black strokes on white): any frame of a numbered sequence, an image or a video"),
        ("export_sketch", "Export Ske&tch…", [],
         "Write the in/out range's sketch, as a run gets it, as numbered PNG frames"),
        SEP,
        ("quit", "&Quit", ["Ctrl+Q"], ""),
    ],
    "&Edit": ["@edit"],
    "&Playback": [
        ("play", "Play / Pause", ["Space"], ""),
        ("reverse", "Play Backward (faster)", ["J"], ""),
        ("stop", "Stop", ["K"], ""),
        ("forward", "Play Forward (faster)", ["L"], ""),
        SEP,
        ("prev", "Previous Frame", ["Left"], ""),
        ("next", "Next Frame", ["Right"], ""),
        ("back_1s", "Back One Second", ["Shift+Left"], ""),
        ("fwd_1s", "Forward One Second", ["Shift+Right"], ""),
        ("home", "First Frame", ["Home"], ""),
        ("end", "Last Frame", ["End"], ""),
        SEP,
        ("in", "Set In Point", ["I"], ""),
        ("out", "Set Out Point", ["O"], ""),
        ("clear_in_out", "Clear In / Out", ["Alt+X"], ""),
    ],
    "&View": [
        ("toggle", "Source / Result\tTab", [], ""),  # Tab: see tab_areas below
        ("side", "Side by Side", ["\\"], ""),
        ("fit", "Fit to Window", ["F"], ""),
        SEP,
        ("next_pane", "Next Pane (viewer, timeline, panel)", ["F6"], ""),
    ],
    "&Generate": [
        ("generate", "&Generate", ["G", "Ctrl+Return", "Ctrl+Enter"], ""),
        ("cancel", "&Cancel", ["Esc"], ""),
        ("browse", "&Browse Seeds…", ["B"], ""),
        ("new_seed", "New Random Seed", ["Ctrl+R"], ""),
        SEP,
        "@&Favourites:favourites",
    ],
    "&Help": [
        ("keys", "&Keyboard Shortcuts", ["F1"], ""),
        ("about", "&About", [], ""),
    ],
}

# The window's keys that also work while the seed browser is the active window: the files,
# Generate and the key list. Not the playback, view and painting keys (the browser's tiles
# play themselves; a stroke undone from there would change a mask no tile was made with),
# nor Esc, which closes the browser.
BROWSER_COMMANDS = ("open", "new_project", "open_project", "save", "save_as", "export",
                    "export_favs", "quit", "generate", "keys")


def build_menus(win: QMainWindow, commands: Mapping[str, Callable[[], object]],
                fillers: Mapping[str, Callable[[QMenu], None]], edit_actions: list[QAction],
                tab_areas: Iterable[QWidget], sketch_actions: Iterable[QAction] = (),
                ) -> tuple[dict[str, QAction], dict[str, QMenu]]:
    """The menu bar; returns the actions and the submenus, by name. The Edit menu holds
    the mask painter's actions and, hidden until the Sketch task shows them, the sketch
    canvas's (named "sketch_…")."""
    actions: dict[str, QAction] = {}
    submenus: dict[str, QMenu] = {}
    for title, entries in MENUS.items():
        menu = win.menuBar().addMenu(title)
        for entry in entries:
            if entry is SEP:
                menu.addSeparator()
            elif entry == "@edit":  # the mask painter's actions (enabled in the Inpaint task)
                for prefix, group in (("", edit_actions), ("sketch_", list(sketch_actions))):
                    for i, action in enumerate(group):
                        if i == 2:
                            actions[prefix + "edit_separator"] = menu.addSeparator()
                        menu.addAction(action)
                        win.addAction(action)
                        # By its objectName where it has one (Undo's text names the step).
                        name = action.objectName() or action.text().lower().replace(" / ", "_").replace(" ", "_")
                        actions[prefix + name] = action
                for name, action in actions.items():
                    if name.startswith("sketch_"):
                        action.setVisible(False)  # until the Sketch task shows them
            elif isinstance(entry, str):
                text, name = entry[1:].split(":")
                sub = menu.addMenu(text)
                sub.aboutToShow.connect(lambda s=sub, f=fillers[name]: f(s))
                submenus[name] = sub
            else:
                name, text, keys, tip = entry
                actions[name] = _action(win, menu, text, commands[name], keys, tip)
                actions[name].setObjectName(name)  # for lend_actions
    for area in tab_areas:
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Tab), area)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(commands["toggle"])
    return actions, submenus


def lend_actions(win: QWidget, other: QWidget, names: Iterable[str] = BROWSER_COMMANDS) -> None:
    """`other`, a window of its own, takes the shortcuts of `win`'s actions named `names`:
    the same actions (a window shortcut works in every window its action is added to), so
    the keys and what they do are defined once."""
    for action in win.actions():
        if action.objectName() in names:
            other.addAction(action)


def fill_paths(menu: QMenu, paths: list[str], open_path: Callable[[str], None],
               clear: Callable[[], None]) -> None:
    """A recent-files submenu: one entry per path, then Clear List."""
    menu.clear()
    for path in paths:
        action = menu.addAction(Path(path).name.replace("&", "&&"))  # "&" is no mnemonic
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _=False, p=path: open_path(p))
    if not paths:
        menu.addAction("(none)").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear List").triggered.connect(clear)


def _action(win: QMainWindow, menu: QMenu, text: str, slot, keys=(), tip: str = "") -> QAction:
    action = QAction(text, win)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setStatusTip(tip)
    # triggered(bool) would hand `checked` to a command's optional first argument (Open
    # Project's path, once False): commands take no arguments.
    action.triggered.connect(lambda _checked=False, command=slot: command())
    menu.addAction(action)
    win.addAction(action)  # shortcuts work even while the menu bar is hidden
    return action
