"""The seed browser: a grid of variations with consecutive seeds.

A background job works through a queue (app.workers.seed_queue): first a coarse preview
of every seed (stopped after the first level at least PREVIEW_MIN_SIDE pixels high, so the
grid fills within seconds), then each seed in full at the chosen quality, one at a time.
Refine puts a Best-quality run at the front of the queue. Finished results go into the
shared cache, so the same seed and settings are never computed twice. Stars are the
session's favourites: the browser reports them (star_toggled) and shows what it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.state.media import Selection
from app.state.request_builder import engine_shapes, quality_of, with_quality
from app.state.result_cache import ResultCache
from app.state.result_clip import TASK_TITLES, ResultClip
from app.state.settings import MAX_SEED
from app.widgets.dialogs import show_error
from app.widgets.elided_label import ElidedLabel
from app.widgets.number_boxes import ClampingSpinBox
from app.widgets.seed_tile import SeedTile
from app.workers import jobs
from app.workers.generation import SCORED_TASKS, cache_key, editor_text, to_result
from app.workers.seed_queue import TaskQueue, browse_work
from engine.errors import InputError
from engine.limits import check_output_size
from engine.request import Request, suggests_blend_seams, suggests_keep_whole
from engine.verdict import judge_among

COLUMNS = 4
# The arrows on a tile's buttons: how many tiles back or on (up and down: times the columns).
GRID_STEPS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}
ORDERS = ["Seed order", "Most realistic first", "Most new first"]
ORDER_TIP = ("Most realistic first: finished variations sorted by their realism score (⚠ marks "
             "likely artifacts); near-copies of the input score high there.\nMost new first: by "
             "how much of each differs from the input where it stands, the ⚠-marked ones after "
             "the rest (not measured for another size or length than the input's).\n"
             "Unfinished variations follow in either.")
# Inpaint, Analogy and Sketch results are not scored (SCORED_TASKS): nothing to sort by.
UNSCORED_ORDER_TIP = ("Seed order only: Inpaint, Analogy and Sketch results get no realism "
                      "score and no share of new detail (they are not variations of the clip "
                      "itself), so there is nothing else to sort them by.")
RANK = {"preview": 0, "final": 1, "refine": 2}
# A tile whose final is made outside the grid (defer): its state, and who the status waits for.
AWAITED_STATE = {"run": "in editor's run", "export": "in the export"}
AWAITED_WORK = {"run": "the editor's run", "export": "the export"}


EXPORT_TIP = ("Write every starred variation of this session (the stars here, in earlier "
              "grids and in the project opened), each named with its seed.")


def grid_title(selection: Selection, request: Request) -> str:
    """The browser's window title: what its grid shows (the task, the quality, the frames it
    is made from), which stayed unsaid after the panel moved on to another task (an audit)."""
    task = TASK_TITLES.get(request.task, request.task)
    quality = quality_of(request.settings)
    first = selection.in_point + 1  # frames count from 1 on screen
    last = selection.in_point + selection.length
    name = selection.path.name if selection.path is not None else "the clip"
    return " · ".join(filter(None, ("Seed browser", task, quality,
                                    f"{name}, frames {first}–{last}")))


class SeedBrowser(QDialog):
    use_clip = Signal(object)  # ResultClip chosen with "Use"
    export_favourites = Signal()
    star_toggled = Signal(int, bool)  # (seed, starred) by the user
    refined = Signal(int)  # a tile's Best video arrived (its seed)
    # The mask was painted on while the grid's worker read it: the grid stopped; the window
    # browses again once the stroke ends.
    layers_changed = Signal()

    def __init__(self, cache: ResultCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seedBrowser")
        self.setWindowTitle("Seed browser")
        self.cache = cache
        self.tiles: dict[int, SeedTile] = {}
        self.selection: Selection | None = None
        self.request: Request | None = None
        self._rank: dict[int, tuple[int, int]] = {}
        self._queue = TaskQueue()
        self._job: jobs.Job | None = None
        self._prepare: Callable[..., Request] | None = None  # see browse
        # How many favourites Export writes (the session's, also of other setups), if known.
        self.favourite_total: Callable[[], int] | None = None
        # The seeds starred for the setup shown (the session's favourites), if known: a new
        # grid shows those stars, not only the previous grid's.
        self.starred_seeds: Callable[[], set[int]] | None = None
        self._failed = False
        self._finals_due: set[int] = set()  # seeds whose full result this grid still computes
        self._scoring: dict[int, str] = {}  # cached seeds being scored: the kind they came as
        # Finals made outside the grid, by whom: the editor's own run ("run") or an export
        # of favourites ("export"). Their tiles wait for those videos.
        self._awaited: dict[int, tuple[Request, str]] = {}
        # (selection token, request) of the editor's own run in progress, or None.
        self.running: Callable[[], tuple[tuple, Request] | None] = lambda: None
        # (selection token, request) of each favourite a running export has still to make.
        self.exporting: Callable[[], list[tuple[tuple, Request]]] = list

        self.count = ClampingSpinBox()
        self.count.setRange(2, 32)
        self.count.setValue(8)
        self.count.setToolTip("How many variations to show.")
        self.first_seed = ClampingSpinBox()
        self.first_seed.setRange(0, MAX_SEED)
        self.first_seed.setToolTip("Seed of the first tile; the others follow consecutively.")
        self.count.setAccessibleName("Variations")  # beside plain labels, not their buddies
        self.first_seed.setAccessibleName("From seed")
        self.order = QComboBox()
        self.order.addItems(ORDERS)
        self.order.setToolTip(ORDER_TIP)
        self.order.setAccessibleName("Order")
        self._chosen_order = 0  # the order of scored grids, kept while it is not offered
        self.regenerate = QPushButton("Show")
        self.regenerate.setToolTip("Rebuild the grid for these seeds.")
        self.stop = QPushButton("Stop")
        self.stop.setToolTip("Stop computing (Esc closes the browser).")
        self.export = QPushButton("Export favourites…")
        self.export.setToolTip(EXPORT_TIP)
        self.export.setEnabled(False)
        self._exporting = False  # an export runs (set_exporting): one at a time
        # Elided (the whole text in its tooltip): a long error message must not widen the
        # window past the screen.
        self.status = ElidedLabel("")
        self.status.setObjectName("hint")
        # Shown once a variation of this grid is flagged, for a grid made without the option.
        self.whole_hint = _hint("⚠ marks a variation that looks broken. If the clip's subject "
                                "is cut into pieces, tick Keep subjects whole (Variations) and "
                                "browse again: it keeps one large subject whole far more often.")
        self.seams_hint = _hint("⚠ marks a variation with faint seams (pale steps where copied "
                                "regions of a sky meet). Set Blend seams to Where they "
                                "show and browse again: it blends them in the seeds that have "
                                "them.")
        # A retarget at Variation 0 keeps the source's layout: its seeds barely differ.
        self.noise_hint = _hint("At Variation 0 a retarget keeps the clip's own layout, so every "
                                "seed looks nearly the same: raise Variation on the Retarget page "
                                "for different results.")
        top = QHBoxLayout()
        top.addWidget(QLabel("Variations"))
        top.addWidget(self.count)
        top.addWidget(QLabel("from seed"))
        top.addWidget(self.first_seed)
        top.addWidget(self.regenerate)
        top.addWidget(self.stop)
        top.addWidget(self.order)
        top.addStretch(1)
        # The status and Export on a row of their own below the grid: one row of all of them
        # was 777 px, wider than a 1440×900 screen at 200%.
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        # No Tab stop of its own (it showed none: Tab seemed lost once); a tile's button
        # taking the focus scrolls it into view.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._scroll = scroll
        self._columns = COLUMNS
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.whole_hint)
        layout.addWidget(self.seams_hint)
        layout.addWidget(self.noise_hint)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        self.resize(COLUMNS * 280 + 70, 2 * 250 + 90)
        self._fit_screen()
        self.stop.setEnabled(False)

        self.regenerate.clicked.connect(lambda: self._rebuild())
        self.stop.clicked.connect(self.cancel)
        self.export.clicked.connect(self.export_favourites)
        self.order.currentIndexChanged.connect(lambda _: self._arrange())

    # -- the tiles' keys ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Keys on a tile's ☆, Use or Refine. Enter presses it: a dialog gives Enter to its
        default button, Show, which rebuilt the whole grid and threw the focus to its top.
        The arrows go to the same button of the tile beside, above or below it, as the grid
        stands (Qt took them along the Tab chain: three presses a tile, ↑/↓ not by rows)."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(watched, QToolButton)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if watched.isEnabled():
                    watched.click()
                return True
            if event.key() in GRID_STEPS:
                self._step_focus(watched, event.key())
                return True
        return super().eventFilter(watched, event)

    def _step_focus(self, button: QToolButton, key: int) -> None:
        order = self.ordered_seeds()
        here = next((i for i, s in enumerate(order)
                     if button in (self.tiles[s].star, self.tiles[s].use, self.tiles[s].refine)), None)
        if here is None:
            return
        there = here + GRID_STEPS[key] * (self._columns if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) else 1)
        if not 0 <= there < len(order):
            return
        tile, target = self.tiles[order[here]], self.tiles[order[there]]
        role = "star" if button is tile.star else "use" if button is tile.use else "refine"
        chosen = getattr(target, role)
        chosen = chosen if chosen.isEnabled() else target.star  # Use waits for the video
        chosen.setFocus(Qt.FocusReason.TabFocusReason)
        self._scroll.ensureWidgetVisible(chosen)

    # -- public API --------------------------------------------------------------------
    def browse(self, selection: Selection, request: Request, count: int,
               starred: set[int] | frozenset[int] | None = None,
               prepare: Callable[..., Request] | None = None) -> None:
        """Show `count` seeds from request.seed on; `starred` seeds are favourites (None:
        those `starred_seeds` gives for the new tiles, else none). prepare: what the worker
        does to the request first (a sketch's frames, made there once for the grid)."""
        self.selection, self.request, self._prepare = selection, request, prepare
        self.setWindowTitle(grid_title(selection, request))
        self.noise_hint.setVisible(request.task == "retarget" and not request.noise)
        scored = request.task in SCORED_TASKS
        if scored != self.order.isEnabled():  # the other orders would sort nothing: seed
            # order meanwhile, and the order chosen comes back with a grid of variations
            chosen, self._chosen_order = self._chosen_order, self.order.currentIndex()
            self.order.setCurrentIndex(chosen)
        self.order.setEnabled(scored)
        self.order.setToolTip(ORDER_TIP if scored else UNSCORED_ORDER_TIP)
        self.count.setValue(count)
        self.first_seed.setValue(request.seed)
        if starred is None and self.starred_seeds is None:
            starred = frozenset()
        self._rebuild(keep=None if starred is None else list(starred))

    def set_starred(self, seeds: set[int]) -> None:
        """Show these seeds' stars (the session's favourites changed)."""
        for seed, tile in self.tiles.items():
            if tile.starred != (seed in seeds):
                tile.star.blockSignals(True)
                tile.set_starred(seed in seeds)
                tile.star.blockSignals(False)
                tile.star.setText("★" if seed in seeds else "☆")
        self._on_star(0, False)

    def favourite_seeds(self) -> list[int]:
        return [seed for seed, tile in self.tiles.items() if tile.starred]

    @property
    def busy(self) -> bool:
        return self._job is not None

    def cancel(self) -> None:
        self._queue.close()  # an old worker still finishing can take nothing more
        self._queue = TaskQueue()
        self._finals_due.clear()
        self._scoring.clear()
        self._awaited.clear()
        if self._job is not None:
            self._job.cancel()
            self._job = None
            self._judge()  # nothing more is coming: tiles waiting for siblings are judged alone
        for tile in self.tiles.values():  # a Refine stopped: the finished video stays
            if tile.clip is not None and tile.clip.final:
                tile.set_state("best" if tile.refined else "ready")
            else:  # not "level 11/17" as if still being computed
                tile.set_state("stopped")
        # How many are finished, and that Show makes the rest: "Stopped." alone left the
        # user to count the tiles.
        ready = self._ready()
        self.status.setText(f"Stopped; all {ready} variations are ready." if ready == len(self.tiles)
                            else f"Stopped: {ready} of {len(self.tiles)} variations ready (Show "
                            "computes the rest).")
        self.stop.setEnabled(False)

    def defer(self, token: tuple, requests: list[Request], owner: str = "run") -> None:
        """The editor's own run (owner "run") or an export of favourites ("export") is
        making `requests` on the selection `token` names: a tile's final of the same waits
        for it (offer_result) instead of being computed beside it, and is computed after
        all if that work ends without it (resume)."""
        for request in requests:
            if self._shows(token, request) and self._queue.drop(
                    lambda t, r=request: t[0] == "final" and t[2] == r):
                self._awaited[request.seed] = (request, owner)
                tile = self.tiles[request.seed]
                if tile.clip is not None:
                    tile.set_state(AWAITED_STATE[owner])
        if self._job is None and self._awaited:
            self._say_ready()

    def resume(self, keep: list[Request] = (), owner: str = "run") -> None:
        """The editor's run or the export (`owner`) ended (or makes `keep` now): the finals
        it did not bring are computed here."""
        for seed, (request, by) in list(self._awaited.items()):
            if by != owner or request in keep:
                continue
            del self._awaited[seed]
            tile = self.tiles.get(seed)
            if tile is not None and not (tile.clip is not None and tile.clip.final):
                self._push(("final", seed, request))

    def offer_result(self, clip: ResultClip, score_follows: bool = False) -> None:
        """A result made outside the grid (the editor's run): a tile of the same seed and
        settings takes it instead of computing it (with its realism when it comes).
        score_follows: its maker scores it and offers it again then; the grid does not."""
        if not clip.final or not self._shows(clip.token, clip.request):
            return
        seed, shown = clip.seed, self.tiles[clip.seed].clip
        self._awaited.pop(seed, None)
        if shown is not None and shown.final and (shown.realism is not None or clip.realism is None):
            return  # the tile has it already
        self._queue.mark_finished(clip.request)
        if clip.realism is not None:
            self._queue.drop(lambda t: t[0] == "score" and t[1] == seed)
            self._scoring.pop(seed, None)
            self._offer("final", seed, clip, "ready")
        elif score_follows:
            self._offer("final", seed, clip, "ready")
        else:
            self._offer_cached("final", seed, clip.request, clip)
        if self._job is None:
            self._say_ready()

    def _shows(self, token: tuple, request: Request) -> bool:
        """Whether a tile's final is `request` on the selection `token` names."""
        return (self.selection is not None and self.request is not None
                and token == self.selection.token and request.seed in self.tiles
                and request == replace(self.request, seed=request.seed))

    def refine(self, seed: int) -> None:
        request = with_quality(replace(self.request, seed=seed), "best")
        cached = self.cache.get(cache_key(self.selection, request))
        if cached is not None:
            self._offer_cached("refine", seed, request, cached)
            return
        src, out = engine_shapes(request, self.selection.frames.shape[:3])
        try:  # Best works at full size: refused before any work where it does not fit
            check_output_size(src, out)
        except InputError as exc:
            self._tile_failed(seed, editor_text(str(exc)), "too large")
            return
        self.tiles[seed].set_state("refining…")
        self._push(("refine", seed, request), front=True)

    # -- internals ---------------------------------------------------------------------
    def _rebuild(self, keep: list[int] | None = None) -> None:
        if self.selection is None:
            return
        shown = self.favourite_seeds()
        self.cancel()
        self._drop_tiles()
        if keep is None:  # after the old tiles went: the stars are of the tiles to come
            keep = list(self.starred_seeds()) if self.starred_seeds else shown
        h, w = self.selection.frames.shape[1:3]
        display = (self.request.width or w, self.request.height or h)
        # Every tile's seed stays a valid seed (at most MAX_SEED, as the panel's).
        first = min(self.first_seed.value(), MAX_SEED - self.count.value() + 1)
        self.first_seed.setValue(first)
        for i in range(self.count.value()):
            seed = first + i
            tile = SeedTile(seed, display, float(self.selection.output_fps))
            tile.use_requested.connect(self._on_use)
            tile.refine_requested.connect(self.refine)
            tile.star_toggled.connect(self._on_star)
            tile.star_toggled.connect(self.star_toggled)
            tile.clicked.connect(self._on_tile_clicked)
            tile.set_starred(seed in keep)
            for button in (tile.star, tile.use, tile.refine):
                button.installEventFilter(self)  # Enter and the arrows (eventFilter)
            self.tiles[seed] = tile
        self._arrange()
        self._on_star(0, False)
        for seed in self.tiles:
            if not self._from_cache(seed):
                self._push(("preview", seed, replace(self.request, seed=seed)))
        for seed in self.tiles:
            if seed not in self._rank:
                self._finals_due.add(seed)
                self._push(("final", seed, replace(self.request, seed=seed)))
        running = self.running()
        if running is not None:
            self.defer(running[0], [running[1]])
        for token, request in self.exporting():
            self.defer(token, [request], owner="export")
        if self._job is None:  # every tile from the cache: no worker to say so when done
            self._say_ready()

    def _from_cache(self, seed: int) -> bool:
        request = replace(self.request, seed=seed)
        best = with_quality(request, "best")
        for kind, req in (("refine", best), ("final", request)):
            cached = self.cache.get(cache_key(self.selection, req))
            if cached is not None:
                self._offer_cached(kind, seed, req, cached)
                return True
        return False

    def _offer_cached(self, kind: str, seed: int, request: Request, cached: ResultClip) -> None:
        self._offer(kind, seed, cached, "best" if kind == "refine" else "ready")
        if cached.realism is None and request.task in SCORED_TASKS:
            # Made by the main viewer's run before its score came (or without one): scored
            # on the worker, so that it is judged and sorted with the rest.
            self._finals_due.add(seed)
            self._scoring[seed] = kind
            self._push(("score", seed, request, cached))

    def _push(self, task: tuple, front: bool = False) -> None:
        if self._queue.push(task, front):
            self._start_worker()

    def _start_worker(self) -> None:
        """A worker for the current queue (the previous one, if any, has left it)."""
        job = jobs.Job(browse_work(self._queue, self.selection, self._prepare),
                       name="seed browser")
        job.grid = self._queue  # its reports count while this grid is shown
        job.progress.connect(self._on_progress)
        job.failed.connect(self._on_failed)
        job.done.connect(self._on_done)
        self._job = job
        self._failed = False
        self.status.setText("Computing…")
        self.stop.setEnabled(True)
        jobs.start(job)

    def _offer(self, kind: str, seed: int, clip: ResultClip, state: str) -> None:
        """Show `clip` on its tile unless the tile already shows something better."""
        tile = self.tiles.get(seed)
        if tile is None or clip.request.seed != seed:
            return
        rank = (RANK[kind], clip.level)
        if rank < self._rank.get(seed, (-1, 0)):
            return
        if not clip.final and tile.clip is not None and tile.clip.final:
            # Refining: the finished video stays, and usable, till the Best one is done.
            tile.set_state(f"refining {clip.level}/{clip.levels}")
            return
        self._rank[seed] = rank
        if seed in self._awaited and not clip.final:
            # Its video comes from there, not from this grid.
            state = AWAITED_STATE[self._awaited[seed][1]]
        tile.refined = tile.refined or (kind == "refine" and clip.final)
        refined_now = tile.refined and kind == "refine"
        tile.set_clip(clip, state)
        if refined_now:
            self.refined.emit(seed)  # a starred tile's star moves to its Best video
            if self.starred_seeds is not None:
                self.set_starred(self.starred_seeds())  # its star is now the Best video's
        if clip.final:
            self._finals_due.discard(seed)
            if self._job is not None and self.status.text().startswith("Computing"):
                # How far the grid is ("Computing…" alone for the two minutes of eight
                # Normal seeds told nothing).
                self.status.setText(f"Computing… {self._ready()} of {len(self.tiles)} ready")
        if clip.realism is not None:
            self._judge()
            if self.is_sorted:
                self._arrange()

    def _ready(self) -> int:
        """How many tiles show their finished video."""
        return sum(t.clip is not None and t.clip.final for t in self.tiles.values())

    def _judge(self) -> None:
        """Judge the finished variations' realism among themselves (engine.realism's
        judge_among): one threshold does not fit every clip, the ranking within one does.
        While the grid is still being computed, the variations to come count towards the set."""
        scored = [t for t in self.tiles.values() if t.clip is not None and t.clip.realism is not None]
        judged = judge_among([t.clip.realism for t in scored], len(self._finals_due))
        for tile, r in zip(scored, judged, strict=True):
            tile.show_realism(r)
        self.whole_hint.setVisible(self.request is not None and suggests_keep_whole(self.request)
                                   and any(r.looks_broken for r in judged))
        self.seams_hint.setVisible(self.request is not None and suggests_blend_seams(self.request)
                                   and any(r.seamy for r in judged))

    @property
    def by_realism(self) -> bool:
        return self.order.currentIndex() == 1

    @property
    def by_newness(self) -> bool:
        return self.order.currentIndex() == 2

    @property
    def is_sorted(self) -> bool:
        return self.by_realism or self.by_newness

    def ordered_seeds(self) -> list[int]:
        """The tiles' seeds in grid order: by seed; or the scored ones first, by realism or
        by newness (those that look broken after the rest: a broken layout is new too)."""
        seeds = sorted(self.tiles)
        if self.by_realism:
            scored = [s for s in seeds if self.tiles[s].realism_score is not None]
            scored.sort(key=lambda s: -self.tiles[s].realism_score)  # type: ignore[operator]
        elif self.by_newness:
            scored = [s for s in seeds if self.tiles[s].newness is not None]

            def key(s: int) -> tuple[bool, float]:
                judged = self.tiles[s].judged
                flagged = judged.looks_broken or judged.band_cut or judged.seamy  # type: ignore[union-attr]
                return flagged, -judged.new  # type: ignore[union-attr,operator]

            scored.sort(key=key)
        else:
            return seeds
        return scored + [s for s in seeds if s not in scored]

    def _fit_screen(self) -> None:
        """No wider or taller than the screen it opens on (a 1024-pixel-wide laptop)."""
        screen = self.screen()
        if screen is not None:
            room = screen.availableGeometry()
            self.resize(min(self.width(), room.width() - 40), min(self.height(), room.height() - 60))

    def _fitting_columns(self) -> int:
        """As many columns as the window's width holds (at most COLUMNS, at least one)."""
        tile = next(iter(self.tiles.values()), None)
        if tile is None:
            return COLUMNS
        room = self._scroll.viewport().width() - 2 * self._grid.contentsMargins().left()
        return max(1, min(COLUMNS, room // (tile.width() + self._grid.spacing())))

    def _arrange(self) -> None:
        self._columns = self._fitting_columns()
        for i, seed in enumerate(self.ordered_seeds()):
            self._grid.addWidget(self.tiles[seed], i // self._columns, i % self._columns)

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        if self.tiles and self._fitting_columns() != self._columns:
            self._arrange()

    @Slot(object, object)
    def _on_progress(self, job: jobs.Job, value: tuple) -> None:
        if job.grid is not self._queue:
            return  # a replaced or stopped grid (a worker of this grid that has left counts)
        kind, seed, request, level, realism = value
        if kind == "layers_changed":
            self.cancel()
            self.status.setText("The mask changed while it was read: browsing again…")
            self.layers_changed.emit()
            return
        if kind == "failed":  # that seed's run failed (level: the message); the others go on
            self._tile_failed(seed, level, "failed")
            return
        if kind == "score":  # a cached clip, scored (engine.realism)
            clip = replace(level, realism=realism)
            if realism is not None:
                self.cache.put(cache_key(self.selection, request), clip)
            origin = self._scoring.pop(seed, "final")
            self._offer(origin, seed, clip, "best" if origin == "refine" else "ready")
            return
        clip = to_result(level, request, self.selection, realism)
        if clip.final:
            self.cache.put(cache_key(self.selection, request), clip)
            state = "best" if kind == "refine" else "ready"
        else:
            state = f"level {level.level}/{level.levels}" + (" (best)" if kind == "refine" else "")
        self._offer(kind, seed, clip, state)

    @Slot(object, str)
    def _on_failed(self, job: jobs.Job, message: str) -> None:
        if job.grid is self._queue:
            self._failed = True
            self.status.setText(message)
            show_error(self, "Seed browser", message)

    @Slot(object)
    def _on_done(self, job: jobs.Job) -> None:
        if job is self._job:
            self._job = None
            self.stop.setEnabled(False)
            self._finals_due.intersection_update(self._awaited)  # still to come
            self._judge()  # a failed or short grid: tiles still waiting are judged alone
            if self.is_sorted:
                self._arrange()
            if not self._failed:
                self._say_ready()

    def _say_ready(self) -> None:
        if self._awaited:
            seeds = ", ".join(str(seed) for seed in sorted(self._awaited))
            owners = {by for _, by in self._awaited.values()}
            whose = " and ".join(AWAITED_WORK[by] for by in sorted(owners, reverse=True))
            self.status.setText(f"Waiting for {whose} of seed{'s' if len(self._awaited) > 1 else ''} "
                                f"{seeds}…")
            return
        ready = self._ready()
        self.status.setText("All variations ready." if ready == len(self.tiles) else
                            f"{ready} of {len(self.tiles)} variations ready (Show computes "
                            "the rest).")

    def _tile_failed(self, seed: int, message: str, what: str) -> None:
        """One seed could not be made: its tile says so (the message in its tooltip; a
        finished tile whose Refine failed keeps its video), the status line too, and the
        first failure of a grid in a dialog. The other seeds go on."""
        self._finals_due.discard(seed)
        tile = self.tiles.get(seed)
        if tile is not None:
            finished = tile.clip is not None and tile.clip.final
            tile.set_state(f"{'best' if tile.refined else 'ready'} · Best {what}" if finished
                           else what)
            tile.state.setToolTip(message)
        self.status.setText(f"Seed {seed}: {message}")
        if not self._failed:
            self._failed = True
            show_error(self, "Seed browser", f"Seed {seed}: {message}")
        self._judge()

    def _on_use(self, seed: int) -> None:
        tile = self.tiles[seed]
        if tile.clip is not None and tile.clip.final:
            self.use_clip.emit(tile.clip)

    def set_exporting(self, running: bool) -> None:
        """An export runs: the button waits for it (pressed, it opened an "already running"
        box over the export's own progress window, an audit)."""
        self._exporting = running
        self.export.setToolTip("An export is running: its window shows its progress."
                               if running else EXPORT_TIP)
        self._on_star(0, False)

    def _on_star(self, seed: int, on: bool) -> None:
        n = self.favourite_total() if self.favourite_total else len(self.favourite_seeds())
        self.export.setEnabled(n > 0 and not self._exporting)
        self.export.setText(f"Export {n} favourite{'s' if n != 1 else ''}…" if n
                            else "Export favourites…")

    def _on_tile_clicked(self, seed: int) -> None:
        for s, tile in self.tiles.items():
            tile.set_selected(s == seed)

    def done(self, result: int) -> None:
        self._release()
        super().done(result)

    def closeEvent(self, event):  # noqa: N802
        self._release()
        super().closeEvent(event)

    def _release(self) -> None:
        """Closed: stop computing, and let go of the tiles (their videos and timers) and
        the clip's frames; the finished results stay in the cache for the next grid."""
        self.cancel()
        self._drop_tiles()
        self.selection = None

    def _drop_tiles(self) -> None:
        for tile in self.tiles.values():
            tile.set_selected(False)  # its playback timer stops
            tile.setParent(None)
            tile.deleteLater()
        self.tiles.clear()
        self._rank.clear()


def _hint(text: str) -> QLabel:
    """A wrapped note under the grid's controls, hidden until it applies."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setVisible(False)
    return label
