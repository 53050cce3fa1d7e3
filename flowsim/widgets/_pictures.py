"""The explorer's two pictures, kept between cursor steps (private to
:mod:`flowsim.widgets`).

A cursor step changes little: the cursor's line on the timeline, the colour and state of
a few nodes of the flow graph, and the graph's title. So each picture keeps its figure
and its Agg canvas, and a background: the canvas as drawn once without what moves. A
step restores the background where something changed, draws only the artists that move
on it (``Axes.draw_artist``) and encodes the canvas as PNG: nothing is laid out, built or
drawn again. A rerun of the flow draws the timeline anew (its bars changed) and, because
the graph's layout depends only on the compiled flow, still only recolours the graph.

This module imports matplotlib and Pillow (a matplotlib dependency).
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.ticker import NullLocator
from matplotlib.transforms import Bbox

from flowsim.plot import STATE_COLORS, states_at
from flowsim.states import AtomState
from flowsim.trace import Result

from ._parts import _number, draw_flow, draw_timeline

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.text import Text


def _encode(canvas: Any) -> bytes:
    """The canvas as PNG bytes (RGB, no timestamp: the same pixels give the same bytes).

    Pillow's fastest compression: these pictures go to a browser over a local socket, so
    encoding time matters more than size (level 1 is 2-3x faster than 6, ~20% larger).
    """
    from PIL import Image

    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _agg(fig: Figure) -> Any:
    """An Agg canvas for ``fig`` (matplotlib does not type its methods)."""
    return FigureCanvasAgg(fig)


def _restore(canvas: Any, background: Any, box: Bbox) -> None:
    """Put the background back inside ``box`` (display coordinates), 2 pixels wider on
    every side for antialiasing."""
    width, height = canvas.get_width_height()
    x0 = max(0, math.floor(box.x0) - 2)
    x1 = min(width - 1, math.ceil(box.x1) + 2)
    top = max(0, math.floor(height - box.y1) - 2)  # the buffer's rows run top down
    bottom = min(height - 1, math.ceil(height - box.y0) + 2)
    if x0 <= x1 and top <= bottom:
        canvas.restore_region(background, bbox=(x0, top, x1, bottom), xy=(0, 0))


def _by_gid(ax: Axes, gid: str) -> list[Any]:
    return [a for a in (*ax.lines, *ax.patches, *ax.texts) if a.get_gid() == gid]


# --------------------------------------------------------------------------- the timeline


class TimelinePicture:
    """The timeline of the current run with a cursor that moves on its own.

    :meth:`show` draws a run (a new figure); :meth:`move` moves the cursor on it.
    Runs usually need one of a few sets of margins (the rows are the same; the legend and
    the levels of decision labels vary): each is computed once, then reused.
    """

    def __init__(self) -> None:
        self.figure: Figure | None = None
        self.cursor: Line2D | None = None
        self._canvas: Any = None  # the Agg canvas (matplotlib does not type it)
        self._axes: Axes | None = None
        self._background: Any = None
        self._layouts: dict[object, Bbox] = {}  # the axes' place, by _layout_key
        self._layer: list[Artist] = []
        self._strips: dict[object, list[Any]] = {}  # by _layout_key: the row labels, legend

    def show(self, result: Result, at: float) -> bytes:
        """Draw ``result`` with the cursor at ``at``; the PNG."""
        fig = draw_timeline(result, at=at)
        ax = fig.axes[0]
        (cursor,) = _by_gid(ax, "cursor")
        key = _layout_key(ax)
        if key in self._layouts:
            fig.set_layout_engine("none")
            ax.set_position(self._layouts[key])
        canvas = _agg(fig)
        # What moves: the cursor, and what is drawn over it (the decision markers).
        above = [a for a in ax.get_children() if a.get_zorder() > cursor.get_zorder()]
        self._layer = [cursor, *sorted(above, key=lambda a: a.get_zorder())]
        shown = [a for a in self._layer if a.get_visible()]
        # The row labels and the legend depend on the layout key only: drawn once for
        # each key, then their pixels are put back instead of drawing them again.
        legend = ax.get_legend()
        strips = self._strips.get(key)
        rows = ax.yaxis.get_major_locator()
        if strips is not None:
            ax.yaxis.set_major_locator(NullLocator())  # (so no row label is even made)
            if legend is not None:
                shown.append(legend)
        for artist in shown:
            artist.set_visible(False)
        canvas.draw()
        if fig.get_layout_engine() is not None:
            self._layouts[key] = ax.get_position()
            fig.set_layout_engine("none")
        if strips is None:
            self._strips[key] = [canvas.copy_from_bbox(box) for box in _strips(ax, canvas)]
        else:
            for region in strips:
                canvas.restore_region(region)
        self._background = canvas.copy_from_bbox(fig.bbox)
        for artist in shown:
            artist.set_visible(True)
        ax.yaxis.set_major_locator(rows)  # (the figure keeps its row labels)
        self.figure, self.cursor, self._canvas, self._axes = fig, cursor, canvas, ax
        return self._draw_cursor()

    def move(self, at: float) -> bytes:
        """Move the cursor to ``at``; the PNG."""
        assert self.cursor is not None and self._canvas is not None
        self.cursor.set_xdata([at, at])
        self._canvas.restore_region(self._background)
        return self._draw_cursor()

    def _draw_cursor(self) -> bytes:
        assert self._axes is not None
        for artist in self._layer:
            if artist.get_visible():
                self._axes.draw_artist(artist)
        return _encode(self._canvas)


def _strips(ax: Axes, canvas: Any) -> list[Bbox]:
    """Where the row labels and the legend are drawn, and nothing else: left of the axes
    (but not its spine) within its height, and the legend's box."""
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    out = [Bbox.from_extents(0, frame.y0, max(0.0, frame.x0 - 3), frame.y1)]
    legend = ax.get_legend()
    if legend is not None:
        out.append(legend.get_window_extent(renderer))
    return out


def _layout_key(ax: Axes) -> object:
    """What the timeline's margins depend on besides its rows: the legend's entries and
    how many levels of decision labels sit above the axes."""
    legend = ax.get_legend()
    entries = tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ()
    levels = {
        round(float(text.xyann[1]))
        for text in ax.texts
        if str(text.get_gid()).startswith("label:resolution:") and hasattr(text, "xyann")
    }
    return entries, tuple(sorted(levels))


# --------------------------------------------------------------------------- the flow graph


def _ink(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``: as :func:`flowsim.plot.plot_flow`
    chooses a node label's colour."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


class FlowPicture:
    """The flow graph, its nodes recoloured by the atoms' states at a time.

    Built once for a compiled flow (the layout depends on nothing else); its legend lists
    every atom state, so that it holds whatever the cursor shows. :meth:`show` redraws
    only the nodes whose state changed since the last picture (and any node they overlap)
    and the title.
    """

    def __init__(self, result: Result, at: float) -> None:
        fig = draw_flow(result, at=at)
        ax = fig.axes[0]
        self.figure = fig
        self.axes = ax
        # plot_flow titles the graph on the left: the Axes' left title artist.
        self.title: Text = getattr(ax, "_left_title")  # noqa: B009
        self.names = result.compiled.names
        self.nodes: dict[str, tuple[FancyBboxPatch, Text]] = {}
        for name in self.names:
            (patch,) = _by_gid(ax, f"node:{name}")
            (label,) = _by_gid(ax, f"node-label:{name}")
            self.nodes[name] = (patch, label)
        _whole_legend(ax, any(result.compiled.is_retry))
        self._canvas = _agg(fig)
        self._canvas.draw()  # the layout, with the title and every node where they show
        fig.set_layout_engine("none")
        # Drawing the Axes places its titles: with the title hidden, somewhere else.
        where = self.title.get_position()
        moving = [self.title, *(a for pair in self.nodes.values() for a in pair)]
        for artist in moving:
            artist.set_visible(False)
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(fig.bbox)
        for artist in moving:
            artist.set_visible(True)
        self.title.set_position(where)
        self._shown: dict[str, AtomState | None] = dict.fromkeys(self.names)
        self._title: str | None = None
        renderer = self._canvas.get_renderer()
        self._patch_boxes = {  # the nodes do not move
            name: _box(patch.get_window_extent(renderer))
            for name, (patch, _) in self.nodes.items()
        }
        self._label_boxes: dict[tuple[str, AtomState], np.ndarray] = {}
        self._boxes = np.array([self._patch_boxes[name] for name in self.names]).reshape(-1, 4)

    def show(self, result: Result, at: float) -> bytes:
        """The graph coloured by the atoms' states at ``at``; the PNG."""
        renderer = self._canvas.get_renderer()
        states = states_at(result, at)
        dirty: list[np.ndarray] = []  # boxes (x0, y0, x1, y1) to restore
        redraw = np.zeros(len(self.names), dtype=bool)
        for i, name in enumerate(self.names):
            state = states[name]
            if self._shown[name] is state:
                continue
            if self._shown[name] is not None:
                dirty.append(self._boxes[i].copy())
            patch, label = self.nodes[name]
            patch.set_facecolor(STATE_COLORS[state])
            label.set_text(f"{name}\n{state}")
            label.set_color(_ink(STATE_COLORS[state]))
            self._boxes[i] = self._extent(name, state, renderer)
            dirty.append(self._boxes[i].copy())
            redraw[i] = True
            self._shown[name] = state
        title = f"{result.compiled.name} at t={_number(at)}"
        retitle = title != self._title
        if retitle:
            if self._title is not None:
                dirty.append(_box(self.title.get_window_extent(renderer)))
            self.title.set_text(title)
            dirty.append(_box(self.title.get_window_extent(renderer)))
            self._title = title
        # A node that overlaps a restored box is drawn again too (a long label may reach
        # its neighbour); so is whatever overlaps that, and so on.
        todo = list(dirty)
        while todo:
            d = todo.pop()
            b = self._boxes
            hit = (
                ~redraw & (b[:, 0] < d[2]) & (b[:, 2] > d[0]) & (b[:, 1] < d[3]) & (b[:, 3] > d[1])
            )
            for j in np.flatnonzero(hit).tolist():
                redraw[j] = True
                dirty.append(b[j].copy())
                todo.append(b[j].copy())
        for d in dirty:
            _restore(self._canvas, self._background, Bbox.from_extents(*d))
        ordered = [self.names[j] for j in np.flatnonzero(redraw).tolist()]
        for name in ordered:  # every node's fill, then every label, as a full draw does
            self.axes.draw_artist(self.nodes[name][0])
        for name in ordered:
            self.axes.draw_artist(self.nodes[name][1])
        t = _box(self.title.get_window_extent(renderer))
        if retitle or any(
            t[0] < d[2] and t[2] > d[0] and t[1] < d[3] and t[3] > d[1] for d in dirty
        ):
            self.axes.draw_artist(self.title)
        return _encode(self._canvas)

    def _extent(self, name: str, state: AtomState, renderer: Any) -> np.ndarray:
        """The box of a node and its label showing ``state`` (label boxes are cached)."""
        key = (name, state)
        if key not in self._label_boxes:
            self._label_boxes[key] = _box(self.nodes[name][1].get_window_extent(renderer))
        p, t = self._patch_boxes[name], self._label_boxes[key]
        return np.array([min(p[0], t[0]), min(p[1], t[1]), max(p[2], t[2]), max(p[3], t[3])])


def _box(bbox: Bbox) -> np.ndarray:
    return np.array(bbox.extents, dtype=float)


def _whole_legend(ax: Axes, retries: bool) -> None:
    """Replace the graph's legend (the states at one time) by one of every state."""
    handles: list[Artist] = [
        Patch(facecolor=colour, edgecolor="#333333") for colour in STATE_COLORS.values()
    ]
    texts = [str(state) for state in STATE_COLORS]
    if retries:
        handles.append(Patch(facecolor="white", edgecolor="#333333", linestyle="--"))
        texts.append("retry controller")
    ax.legend(
        handles, texts, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
    )
