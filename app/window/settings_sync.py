"""Keeps the side panel and the session's settings the same: committed edits in the panel
go to the session; settings the session takes from elsewhere (a project, a favourite, a
recovery file) are shown in the panel."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.state.session import SessionModel
from app.state.settings import PanelSettings
from app.widgets.control_panel import ControlPanel


class SettingsSync(QObject):
    def __init__(self, session: SessionModel, panel: ControlPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.panel = session, panel
        self._pulling = False
        panel.edited.connect(self.commit)
        session.settings_changed.connect(self._show)

    def commit(self) -> PanelSettings:
        """Take what the panel shows into the session (also before a save or a run, which
        must not miss an edit still inside the panel's debounce)."""
        self._pulling = True
        try:
            self.session.set_settings(self.panel.settings())
        finally:
            self._pulling = False
        return self.session.settings

    def commit_typed(self) -> PanelSettings:
        """commit(), with the number being typed in a box of the panel taken first: for
        what the user asks for now (Generate, Browse, Save, closing). Not for autosave, which
        must not take "2" of a "25" still being typed."""
        self.panel.take_typed()
        return self.commit()

    def _show(self, settings: PanelSettings) -> None:
        if not self._pulling:
            self.panel.apply_settings(settings)
