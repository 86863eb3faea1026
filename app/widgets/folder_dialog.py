"""Naming a folder to write (a folder of PNG frames), where the name may be that of an
earlier export.

Qt's Save dialog treats a typed name of an existing folder as a place to go: Save opened
it instead of choosing it. Writing again to the folder an earlier export made (the name the
dialog offers) then needed a detour. Here such a folder is taken as the answer (the caller
asks before replacing it); any other folder is still entered, as a Save dialog does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLineEdit, QWidget


class FolderNameDialog(QFileDialog):
    def __init__(self, parent: QWidget | None, caption: str, start: Path,
                 takes: Callable[[Path], bool]) -> None:
        super().__init__(parent, caption, str(start.parent))
        self.setObjectName("folderNameDialog")
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.setFileMode(QFileDialog.FileMode.AnyFile)
        # Qt's own dialog: a platform's native one never asks this class about Save.
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setOption(QFileDialog.Option.DontConfirmOverwrite, True)  # the caller asks
        self._takes = takes
        self.chosen: Path | None = None
        # Qt names its button "Open" while the name is a folder's: for ours, "Save" still.
        # (Connected after Qt's own updates of the button, so this runs after them.)
        name = self.findChild(QLineEdit, "fileNameEdit")
        if name is not None:
            name.textChanged.connect(self._name_button)
        self.currentChanged.connect(self._name_button)
        self.selectFile(start.name)
        self._name_button()

    def _name_button(self, *_: object) -> None:
        box = self.findChild(QDialogButtonBox, "buttonBox")
        files = self.selectedFiles()
        if box is None or not files:
            return
        path = Path(files[0])
        if path.is_dir() and self._takes(path):
            for button in box.buttons():
                if box.buttonRole(button) == QDialogButtonBox.ButtonRole.AcceptRole:
                    button.setText("&Save")

    def accept(self) -> None:
        files = self.selectedFiles()
        path = Path(files[0]) if files else None
        if path is not None and path.is_dir() and self._takes(path):
            self.chosen = path
            self.done(QFileDialog.DialogCode.Accepted)
            return
        super().accept()  # a new name is chosen; another folder is entered
        if self.result() == QFileDialog.DialogCode.Accepted and files:
            self.chosen = Path(self.selectedFiles()[0])


def choose_folder_to_write(parent: QWidget | None, caption: str, start: Path,
                           takes: Callable[[Path], bool]) -> Path | None:
    """The folder to write, named in a Save dialog that starts at `start`; an existing
    folder for which `takes` is true (an earlier export) is chosen, not entered."""
    dialog = FolderNameDialog(parent, caption, start, takes)
    try:
        return dialog.chosen if dialog.exec() == QFileDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
