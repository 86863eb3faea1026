"""What the editor remembers between starts that is about the user, not a clip: the
window's size and place, the panel's width, the panel's preferences (quality, Update on
change, the browse count, each task's noise) and the last export's choices (format,
quality, folder: what the export dialog offers a new clip). A clip's sizes are not (a new
clip resets them to its own), and a project brings its own settings and export preset
(unless an export made in it since its last save chose others)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from app.state.session import SessionModel
from app.state.settings import ExportPreset, PanelSettings, SettingsError

KEYS = ("quality", "auto_update", "browse_count", "noise")
EXPORT_KEY = "export/preset"
PROJECT_EXPORTS_KEY = "export/projects"  # {project path: [preset, when]}
PROJECT_EXPORTS = 20  # the projects whose last export's choices are kept


def remember_export(settings: QSettings, preset: ExportPreset,
                    project: Path | None = None) -> None:
    """An export's choices, kept at once (an export is no project edit: closing without
    saving must not lose them), and for the project it was made in (`export_since`)."""
    settings.setValue(EXPORT_KEY, json.dumps(preset.to_dict()))
    if project is not None:
        kept = _project_exports(settings)
        kept[str(project)] = [preset.to_dict(), time.time()]
        latest = sorted(kept.items(), key=lambda item: item[1][1])[-PROJECT_EXPORTS:]
        settings.setValue(PROJECT_EXPORTS_KEY, json.dumps(dict(latest)))


def export_since(settings: QSettings, project: Path) -> ExportPreset | None:
    """The choices of an export made in `project` after the file was last saved (then
    closed without saving: the file holds older ones), or None."""
    entry = _project_exports(settings).get(str(project))
    try:
        if entry is not None and float(entry[1]) > project.stat().st_mtime:
            return ExportPreset.from_dict(entry[0])
    except (OSError, TypeError, ValueError, IndexError, SettingsError):
        pass  # a damaged entry, or a project that went: the file's own
    return None


def _project_exports(settings: QSettings) -> dict:
    """{project path: [choices, when]}; damaged entries left out (a hand-edited value made
    every later export's remember_export raise, sorting on it)."""
    try:
        kept = json.loads(str(settings.value(PROJECT_EXPORTS_KEY, "{}")))
    except ValueError:
        return {}
    if not isinstance(kept, dict):
        return {}
    return {path: entry for path, entry in kept.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], dict)
            and isinstance(entry[1], (int, float)) and not isinstance(entry[1], bool)}


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
