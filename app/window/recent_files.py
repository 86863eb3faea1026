"""File ▸ Open Recent and Open Recent Project, stored in QSettings (tests pass their own)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

KEY = "recentFiles"
LIMIT = 10


class RecentFiles:
    def __init__(self, settings: QSettings, limit: int = LIMIT, key: str = KEY) -> None:
        self._settings = settings
        self._limit = limit
        self._key = key

    def paths(self) -> list[str]:
        self._settings.sync()  # another editor open on these settings may have added one
        value = self._settings.value(self._key, [])
        if isinstance(value, str):  # QSettings returns a lone string for a 1-item list
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str | Path) -> None:
        text = str(Path(path).expanduser().resolve())
        items = [p for p in self.paths() if p != text]
        self._settings.setValue(self._key, [text, *items][: self._limit])
        self._settings.sync()

    def remove(self, path: str | Path) -> None:
        text = str(path)
        self._settings.setValue(self._key, [p for p in self.paths() if p != text])
        self._settings.sync()

    def clear(self) -> None:
        self._settings.setValue(self._key, [])
        self._settings.sync()
