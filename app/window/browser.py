"""The seed browser in the window: which setup it shows, its stars as the session's
favourites, and "Use" (a tile's video becomes the result, its seed the current seed)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from app.state.session import SessionModel
from app.state.settings import Favourite, PanelSettings
from app.widgets.seed_browser import SeedBrowser
from app.window.export import ExportController
from app.window.menus import lend_actions
from app.window.messages import Messages
from app.window.runs import STROKE_POLL_MS, RunController
from app.window.view import ViewController


class BrowserController(QObject):
    def __init__(self, session: SessionModel, runs: RunController, cache: ResultCache,
                 view: ViewController, messages: Messages, exports: ExportController,
                 window: QWidget) -> None:
        super().__init__(window)
        self.session, self.runs, self.cache, self.view = session, runs, cache, view
        self.messages, self._window, self._exports = messages, window, exports
        self._export = exports.export_favourites
        self.browser: SeedBrowser | None = None
        self._setup: tuple[PanelSettings, tuple[int, int]] | None = None
        self._layers: tuple = ()  # what names the grid's mask, sketch or clip A
        session.clip_changed.connect(lambda clip: self.close())
        session.favourites_changed.connect(self._show_stars)
        # The editor's own run and the grid never make one video side by side (B pressed
        # during a run, or an auto-update after a browse): the grid waits for the run's.
        runner = runs.runner
        runner.busy_changed.connect(self._on_run_busy)
        runner.finished.connect(self._offer_run_result)
        runner.scored.connect(self._offer_result)
        # Nor do an export of favourites and the grid: a starred tile still to be made
        # waits for the export's video (it was computed twice, side by side).
        exports.making.connect(self._on_export_making)
        exports.kept.connect(self._offer_result)
        exports.runner.busy_changed.connect(self._on_export_busy)

    def browse_seeds(self) -> SeedBrowser | None:
        if self.session.clip is None:
            self.messages.no_clip()
            return None
        if self.runs.stroke_held():  # B with the pen down: the grid takes the stroke's end
            QTimer.singleShot(STROKE_POLL_MS, self.browse_seeds)
            return None
        settings = self.runs.sync.commit_typed()
        if settings.task == "inpaint" and not self.runs.inpaint_ready(settings):
            return None  # an empty mask: said as Generate says it, before any grid
        if not self.runs.guided_ready(settings):
            return None
        in_out = (self.session.in_out.in_point, self.session.in_out.out_point)
        selection = self.runs.selection_for(settings, in_out)
        # A sketch's frames and a mask's arrays are made on the grid's worker, as a run's.
        request, prepare = self.runs.request_and_maker(settings, in_out)
        if not self.runs.size_allowed(selection, request):
            return None
        self._setup, self._layers = (settings, in_out), selection.token[3:]
        if self.browser is None:
            self.browser = SeedBrowser(self.cache, self._window)
            self.browser.use_clip.connect(self.use_clip)
            self.browser.export_favourites.connect(self._export)
            self.browser.star_toggled.connect(self._on_star)
            self.browser.layers_changed.connect(self.browse_seeds)
            self.browser.refined.connect(self._on_refined)
            self.browser.favourite_total = lambda: len(self.session.favourites)
            self.browser.starred_seeds = self._starred
            self.browser.running = lambda: self.runs.runner.running
            self.browser.exporting = lambda: list(self._exports.making_now)
            lend_actions(self._window, self.browser)  # Ctrl+S, G, F1… work from it too
        self.browser.set_exporting(self._exports.runner.busy)
        self.browser.show()
        self.browser.raise_()
        if self._exports.runner.busy:  # the export's progress window stays in sight
            QTimer.singleShot(0, self._exports.runner.raise_progress)
        self.browser.browse(selection, request, settings.browse_count,  # stars: _starred
                            prepare=prepare)
        return self.browser

    def _on_run_busy(self, busy: bool) -> None:
        if self.browser is None:
            return
        running = self.runs.runner.running
        if busy and running is not None:
            token, request = running
            self.browser.resume(keep=[request])  # a run replaced by this one brings nothing
            self.browser.defer(token, [request])
        elif not busy:
            self.browser.resume()

    def _on_export_making(self, made: list) -> None:
        if self.browser is not None:
            for token, request in made:
                self.browser.defer(token, [request], owner="export")

    def _on_export_busy(self, busy: bool) -> None:
        if self.browser is not None:
            self.browser.set_exporting(busy)
            if not busy:
                self.browser.resume(owner="export")

    def _offer_result(self, clip: ResultClip) -> None:
        if self.browser is not None:
            self.browser.offer_result(clip)

    def _offer_run_result(self, clip: ResultClip) -> None:
        """The editor's finished run: its score follows from the run itself (`scored`), so
        the grid does not score it again (a grid stopped by the user started computing)."""
        if self.browser is not None:
            self.browser.offer_result(clip, score_follows=True)

    def use_clip(self, clip: ResultClip) -> None:
        """A tile's "Use": its video becomes the result, and the panel and the in/out range
        show what made it (the grid's, with the tile's seed; Best for a refined tile), so
        that Generate or a star afterwards means the video on screen."""
        self.runs.stop_quietly()
        keep = self.runs.sync.commit()  # the panel's own preferences stay
        settings = keep
        if self._setup is not None:
            self.session.in_out.set_range(*self._setup[1])  # first: the duration follows it
            settings = self._tile_settings(clip.seed)
        self.session.set_settings(settings.with_(seed=clip.seed).taken_over(keep))
        self.view.show_result(clip)
        self.runs.show_done(clip)  # its own figures, not the last run's
        self.messages.status(f"Using seed {clip.seed}", 5000)
        # The editor comes forward with the video chosen (the browser covered it, an audit);
        # the browser stays open behind it, its grid as it was.
        self._window.raise_()
        self._window.activateWindow()

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()

    def _tile_settings(self, seed: int) -> PanelSettings:
        """What made a tile's video: the grid's settings, at Best for a refined tile."""
        settings, _ = self._setup
        tile = self.browser.tiles.get(seed) if self.browser is not None else None
        return settings.with_(quality="best") if tile is not None and tile.refined else settings

    def _starred(self) -> set[int]:
        """Seeds of the favourites that are the videos the tiles show (the grid's setup;
        Best for a refined tile)."""
        if self._setup is None:
            return set()
        _, in_out = self._setup
        return {f.seed for f in self.session.favourites
                if f.in_out == in_out and f.settings.same_result(self._tile_settings(f.seed))
                and f.made_with(self._layers)}

    def _on_star(self, seed: int, on: bool) -> None:
        """☆ means the video on the tile: a refined tile's favourite is the Best one."""
        if self._setup is not None:
            _, in_out = self._setup
            self.session.set_favourite(
                Favourite(seed, self._tile_settings(seed), in_out, self._layers), on)

    def _on_refined(self, seed: int) -> None:
        """A starred tile refined: its star means the video on the tile, so the grid's
        favourite of that seed becomes the Best one (Export Favourites writes what the tile
        shows, and the star stays lit)."""
        if self._setup is None:
            return
        settings, in_out = self._setup
        grid = Favourite(seed, settings, in_out, self._layers)
        best = Favourite(seed, self._tile_settings(seed), in_out, self._layers)
        if best.settings.same_result(settings) or not self.session.is_favourite(grid):
            return
        self.session.set_favourite(grid, False)
        self.session.set_favourite(best, True)
        self.messages.status(f"Seed {seed}'s star now stands for its Best video", 5000)

    def _show_stars(self, favourites: list[Favourite]) -> None:
        if self.browser is not None and self._setup is not None:
            self.browser.set_starred(self._starred())
