"""What the editor remembers between starts that is about the user, not a clip: the
window's size and place, the panel's width, and the panel's preferences (quality, Update on
change, the browse count, each task's noise). A clip's sizes are not (a new clip resets
them to its own), and a project brings its own settings."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from app.state.session import SessionModel
from app.state.settings import PanelSettings, SettingsError

KEYS = ("quality", "auto_update", "browse_count", "noise")


def save(settings: QSettings, window: QMainWindow, splitter: QSplitter,
         session: SessionModel) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/splitter", splitter.saveState())
    chosen = session.settings.to_dict()
    settings.setValue("panel/preferences", json.dumps({k: chosen[k] for k in KEYS}))


def restore(settings: QSettings, window: QMainWindow, splitter: QSplitter,
            session: SessionModel) -> bool:
    """Bring back what `save` kept (anything unreadable is skipped); True when the window's
    geometry was restored (the caller keeps it on a screen)."""
    placed = False
    geometry, state = settings.value("window/geometry"), settings.value("window/splitter")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        placed = window.restoreGeometry(geometry)
    if isinstance(state, QByteArray) and not state.isEmpty():
        splitter.restoreState(state)
    try:
        kept = json.loads(str(settings.value("panel/preferences", "{}")))
        if isinstance(kept, dict):
            values = {**session.settings.to_dict(), **{k: kept[k] for k in KEYS if k in kept}}
            session.set_settings(PanelSettings.from_dict(values))
    except (ValueError, SettingsError):
        pass  # a damaged or older entry: the defaults
    return placed
