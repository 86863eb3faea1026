"""What the editor remembers between starts that is about the user, not a clip: the
window's size and place, the panel's width, the panel's preferences (quality, Update on
change, the browse count, each task's noise) and the last export's choices (format,
quality, folder: what the export dialog offers a new clip). A clip's sizes are not (a new
clip resets them to its own), and a project brings its own settings and export preset."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from app.state.session import SessionModel
from app.state.settings import ExportPreset, PanelSettings, SettingsError

KEYS = ("quality", "auto_update", "browse_count", "noise")
EXPORT_KEY = "export/preset"


def remember_export(settings: QSettings, preset: ExportPreset) -> None:
    """An export's choices, kept at once (an export is no project edit: closing without
    saving must not lose them)."""
    settings.setValue(EXPORT_KEY, json.dumps(preset.to_dict()))


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
    try:
        kept = settings.value(EXPORT_KEY)
        if kept is not None:
            session.set_export(ExportPreset.from_dict(json.loads(str(kept))))
    except (ValueError, SettingsError):
        pass
    return placed
