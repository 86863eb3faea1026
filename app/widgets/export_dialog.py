"""The export options dialog: format, H.264 quality and where to write."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QWidget,
)

from app.widgets.accessible import name_form_fields
from app.workers.exporter import DEFAULT_CRF, FORMATS, KNOWN_SUFFIXES, STILL, output_name
from engine.io.clip import VIDEO_OUT_EXTS


class ExportDialog(QDialog):
    """Choose a format, an H.264 quality and where to write.

    single: one result to a file (or PNG folder); otherwise favourites into a folder, each
    named with its seed. still: the result is one frame, so a PNG image is offered (first).
    """

    def __init__(self, stem: str, seeds: list[int], folder: Path, single: bool,
                 parent: QWidget | None = None, kind: str = "mp4",
                 crf: int = DEFAULT_CRF, still: bool = False, sound: str = "") -> None:
        super().__init__(parent)
        many = f"{len(seeds)} favourite{'s' if len(seeds) != 1 else ''}"
        self.setWindowTitle("Export result" if single else f"Export {many}")
        self._stem, self._seeds, self._single = stem, seeds, single
        self.format = QComboBox()
        labels = [label for label, (k, _) in FORMATS.items() if k != "still"]
        self.format.addItems([STILL, *labels] if still and single else labels)
        self.format.setToolTip("MP4 (H.264) keeps the sound when the duration is unchanged; "
                               "GIF loops in browsers; PNG frames are lossless"
                               + ("; a PNG image holds the one frame." if still else "."))
        self.crf = QSlider(Qt.Orientation.Horizontal)
        self.crf.setRange(12, 35)
        self.crf.setValue(crf)
        self.crf.setInvertedAppearance(True)  # right = better quality = lower CRF
        self.crf.setToolTip("H.264 quality (CRF): lower numbers are better and make bigger "
                            "files; 18 is visually lossless.")
        self.crf_label = QLabel()
        self.target = QLineEdit()
        self.target.setToolTip("The file to write." if single else "The folder to write into.")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.names = QLabel()
        self.names.setObjectName("hint")
        self.names.setWordWrap(True)
        # What becomes of the clip's sound (said for a video; a GIF or PNG has none): it was
        # only in the format's tooltip and a status line after the export (an audit).
        self._sound = sound
        self.sound = QLabel()
        self.sound.setObjectName("hint")
        self.sound.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        crf_row = QHBoxLayout()
        crf_row.addWidget(self.crf, 1)
        crf_row.addWidget(self.crf_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Video quality", crf_row)  # (not the panel's Quality: Draft, Normal, Best)
        form.addRow("File" if single else "Folder", row)
        form.addRow("", self.names)
        form.addRow("", self.sound)
        form.addRow(buttons)
        name_form_fields(self)  # "Video quality" and "File" name the controls in their rows
        self._folder = folder
        labels = [label for label, (k, _) in FORMATS.items() if k == kind]
        if labels and not still:  # a still starts on the PNG image
            self.format.setCurrentText(labels[0])
        self.format.currentIndexChanged.connect(self._refresh)
        self.crf.valueChanged.connect(self._show_crf)  # the quality leaves the name alone
        self.target.textEdited.connect(self._follow_typed_suffix)
        self._refresh()
        # Sized once the file names are in (sized before, the list of names was cut off).
        self.resize(520, self.sizeHint().height())

    @property
    def kind(self) -> str:
        return FORMATS[self.format.currentText()][0]

    def targets(self) -> list[Path]:
        """Where each seed goes."""
        text = self.target.text().strip()
        # A name typed without a folder goes where the dialog showed, not into the folder
        # the editor happened to start in.
        typed = self._folder / Path(text).expanduser() if text else None
        if self._single:
            return [typed] if typed else []
        folder = typed or self._folder
        names: list[str] = []
        for seed in self._seeds:  # favourites of other settings may share a seed
            name, n = output_name(self._stem, seed, self.kind), 2
            while name in names:
                name, n = output_name(f"{self._stem}_{n}", seed, self.kind), n + 1
            names.append(name)
        return [folder / name for name in names]

    def _free_name(self, seed: int) -> str:
        """The first name for `seed` not taken in the folder: name_seed0002.mp4, else
        name_2_seed0002.mp4, ... (a retarget and a variation of one seed were offered one
        name, and the second export asked to replace the first)."""
        name, n = output_name(self._stem, seed, self.kind), 2
        while _taken(self._folder / name) and n < 1000:
            name, n = output_name(f"{self._stem}_{n}", seed, self.kind), n + 1
        return name

    def folder(self) -> Path:
        """The folder written into (remembered for the next export)."""
        targets = self.targets()
        return targets[0].parent if targets else self._folder

    def _show_crf(self) -> None:
        self.crf_label.setText(f"CRF {self.crf.value()}")
        self.crf.setEnabled(self.kind == "mp4")
        self.sound.setText(self._sound if self.kind == "mp4" else
                           "No sound: a GIF or PNG holds pictures only." if self._sound else "")
        self.sound.setVisible(bool(self.sound.text()))

    def _follow_typed_suffix(self, text: str) -> None:
        """A file name typed with a format's suffix picks that format (x.gif: GIF), so the
        file written is the one named; the name itself is left as typed."""
        if not self._single:
            return
        suffix = Path(text.strip()).suffix.lower()
        kind = ("mp4" if suffix in VIDEO_OUT_EXTS else "gif" if suffix == ".gif" else
                ("still" if self.format.findText(STILL) >= 0 else "png") if suffix == ".png"
                else None)
        label = next((lab for lab, (k, _) in FORMATS.items() if k == kind), None)
        if label is not None and label != self.format.currentText():
            self.format.blockSignals(True)
            self.format.setCurrentText(label)
            self.format.blockSignals(False)
            self._show_crf()
            self._show_png_note()

    def _show_png_note(self) -> None:
        self.names.setText("PNG frames go into a new (or empty) folder of that name."
                           if self.kind == "png" else "")
        self.names.setVisible(bool(self.names.text()))  # no empty row above the sound

    def _refresh(self) -> None:
        self._show_crf()
        if self._single:
            current = self.target.text().strip()
            if current:  # keep the chosen name, switch its suffix to the format's
                p = Path(current)
                kept = self.kind == "mp4" and p.suffix.lower() in VIDEO_OUT_EXTS  # .mov, .mkv
                if not kept:
                    stem = p.stem if p.suffix.lower() in KNOWN_SUFFIXES else p.name
                    self.target.setText(str(p.parent / (stem + FORMATS[self.format.currentText()][1])))
            else:
                self.target.setText(str(self._folder / self._free_name(self._seeds[0])))
            self._show_png_note()
        else:
            if not self.target.text().strip():
                self.target.setText(str(self._folder))
            names = [t.name for t in self.targets()]
            more = f" … ({len(names)} in all)" if len(names) > 3 else ""
            self.names.setText("Files: " + ", ".join(names[:3]) + more)

    def _browse(self) -> None:
        start = self.target.text().strip() or str(self._folder)
        if self._single and self.kind != "png":
            suffix = FORMATS[self.format.currentText()][1]
            path, _ = QFileDialog.getSaveFileName(self, "Export to", start,
                                                  f"{self.format.currentText()} (*{suffix})")
        else:
            path = QFileDialog.getExistingDirectory(self, "Export into folder", start)
            if path and self._single:
                path = str(Path(path) / output_name(self._stem, self._seeds[0], "png"))
        if path:
            self.target.setText(path)
            self._follow_typed_suffix(path)  # holiday.gif typed in the dialog: GIF, as typed here
            self._refresh()


def _taken(path: Path) -> bool:
    """Whether a file of that name is there; a name the system refuses (over 255 bytes: a
    clip named in 82 CJK characters, with _seed0000.mp4 added) is free to offer, and the
    export's check then says it is too long (exists() raised, and Export did nothing)."""
    try:
        return path.exists()
    except OSError:
        return False
