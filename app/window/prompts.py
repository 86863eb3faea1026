"""Questions the window must wait for: save the changes?, recover?, where did the source
go?, and the project file dialogs. Kept in one module so tests can answer them
(monkeypatch these functions) without a dialog ever blocking."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.state.fingerprint import SourceInfo
from app.state.project_file import SUFFIX
from app.state.recovery import Recoverable

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
SEQUENCE, IMAGE = "sequence", "image"
RECOVER, LATER = "recover", "later"
PROJECT_FILTER = f"VGPNN projects (*{SUFFIX});;All files (*)"
B = QMessageBox.StandardButton


def ask_save_changes(parent: QWidget, name: str, before: str, why: str = "") -> str:
    """Save / Discard / Cancel, before `before` ("closing", "opening another clip"...);
    `why`: a sentence before the usual note (why it is asked now)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"Save the changes to “{name}” before {before}?",
                      B.Save | B.Discard | B.Cancel, parent)
    box.setInformativeText((why + " " if why else "") + "The mask, sketch, settings and "
                           "favourites you changed are lost if you do not save them.")
    box.setDefaultButton(B.Save)
    box.button(B.Discard).setText("Don't Save")
    answer = box.exec()
    return {B.Save: SAVE, B.Discard: DISCARD}.get(B(answer), CANCEL)


def ask_recover(parent: QWidget, item: Recoverable, others: int) -> str:
    """Recover / Not now / Discard for a recovery file left by a crash."""
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                      "The editor did not close normally last time. Recover your work?",
                      B.NoButton, parent)
    more = (f"\n\n{others} older recovery file{'s' if others > 1 else ''}: offered after "
            "this one, or at the next start." if others else "")
    box.setInformativeText(item.describe() + "." + more)
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    later = box.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(recover)
    box.exec()
    clicked = box.clickedButton()
    return RECOVER if clicked is recover else LATER if clicked is later else DISCARD


def find_moved_source(parent: QWidget, source: SourceInfo, start: Path) -> Path | None:
    """The project's source clip is not where it was: ask where it is now."""
    answer = QMessageBox.question(
        parent, "Source clip not found",
        f"The project's source clip “{source.name}” is no longer at\n{source.path}\n\n"
        "Locate it to open the project (the mask and settings are kept).",
        B.Open | B.Cancel, B.Open)
    if answer != B.Open:
        return None
    path, _ = QFileDialog.getOpenFileName(parent, f"Where is “{source.name}”?", str(start))
    return Path(path) if path else None


def choose_project_to_open(parent: QWidget, start: Path) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open project", str(start), PROJECT_FILTER)
    return Path(path) if path else None


def choose_project_to_save(parent: QWidget, suggested: Path,
                           caption: str = "Save project as") -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, str(suggested), PROJECT_FILTER)
    if not path:
        return None
    path = Path(path)
    return path if path.suffix.lower() == SUFFIX else path.with_name(path.name + SUFFIX)


def replace_words(there: list[Path]) -> tuple[str, str, str]:
    """(title, text, informative text) of ask_replace: singular for one file, each name
    quoted on its own ("Replace existing files?" for one file, and "and 2 more" inside the
    quotes, before)."""
    one = len(there) == 1
    kind = "folder" if all(p.is_dir() for p in there) else "file"  # PNG frames: folders
    names = ", ".join(f"“{p.name}”" for p in there[:3]) + (
        f" and {len(there) - 3} more" if len(there) > 3 else "")
    title = f"Replace the existing {kind}?" if one else f"Replace existing {kind}s?"
    text = (f"{names} already exist{'s' if one else ''} in {there[0].parent}. Replace "
            f"{'it' if one else 'them'}?")
    informative = (f"The old {kind} is replaced only once the new one is complete." if one
                   else f"Each old {kind} is replaced only once its new one is complete.")
    return title, text, informative


def ask_replace(parent: QWidget, there: list[Path]) -> bool:
    """True to write over these existing files or folders (an export's targets)."""
    title, text, informative = replace_words(there)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, B.NoButton, parent)
    box.setInformativeText(informative)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(B.Cancel)
    box.setDefaultButton(B.Cancel)
    box.exec()
    return box.clickedButton() is replace


def ask_create_folder(parent: QWidget, folder: Path) -> bool:
    """True to make `folder` (and the folders above it that are missing) for an export."""
    box = QMessageBox(QMessageBox.Icon.Question, "Create the folder?",
                      f"The folder “{folder.name}” does not exist in {folder.parent}. Create it "
                      "and export there?", B.NoButton, parent)
    create = box.addButton("Create", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(B.Cancel)
    box.setDefaultButton(create)
    box.exec()
    return box.clickedButton() is create


def ask_quit_during_export(parent: QWidget) -> bool:
    """True to close the editor while an export is being written (it is then cancelled)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Export in progress",
                      "An export is still being written. Quit anyway?", B.NoButton, parent)
    box.setInformativeText("The export is cancelled: the file being written is not left "
                           "half-written, and the files already finished stay.")
    quit_ = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep Exporting", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)  # Enter must not end the export (Quit had the focus)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is quit_


def ask_sequence_or_image(parent: QWidget, name: str, folder: str, count: int) -> str | None:
    """SEQUENCE, IMAGE or None (cancelled): a frame of a numbered sequence was picked."""
    box = QMessageBox(QMessageBox.Icon.Question, "Open a sequence?",
                      f"{name} is one of {count} numbered images in “{folder}”.", B.NoButton,
                      parent)
    box.setInformativeText("Open them all as one clip, or this image alone (a still)?")
    sequence = box.addButton(f"All {count} Frames", QMessageBox.ButtonRole.AcceptRole)
    image = box.addButton("This Image", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(B.Cancel)
    box.setDefaultButton(sequence)
    box.exec()
    return {sequence: SEQUENCE, image: IMAGE}.get(box.clickedButton())
