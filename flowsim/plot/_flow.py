"""The flow's graph: atoms by topological generation, flows as nested boxes.

Private: :func:`plot_flow` is re-exported by :mod:`flowsim.plot`. This module imports
matplotlib (and networkx when drawing); ``import flowsim`` does not import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path

from flowsim.compile import CompiledFlow, Scope
from flowsim.states import AtomState
from flowsim.trace import Result

from ._common import (
    COLORS,
    STATE_COLORS,
    PlotError,
    _check_at,
    _check_ax,
    _ink,
    _legend,
    _new_axes,
    _num,
    states_at,
)

_NODE_W = 0.56  # node width, in generations (columns are 1 apart)
_NODE_H = 0.56  # node height, in rows
_PAD_TOP = 0.42  # room for a scope's label, in rows
_PAD_BOTTOM = 0.16
_CLEAR = 0.06  # the least room between an edge passing a column and a node there, in rows


@dataclass(frozen=True, slots=True)
class _Block:
    """A laid-out atom or scope: its generations and height; positions relative to its top."""

    lo: int
    hi: int
    height: float
    nodes: dict[str, float]  # atom -> centre y
    boxes: list[tuple[Scope, float, float, int]]  # scope, top, height, levels of boxes


def _layout(compiled: CompiledFlow) -> tuple[dict[str, tuple[float, float]], list[Any]]:
    """Node centres (x: topological generation, y: row) and scope boxes, outermost first.

    Each scope's children (its retry controller first, then its tasks and subflows in
    declaration order) are stacked greedily: a child goes to the highest place where it
    overlaps no earlier sibling whose generations overlap its own. So a box encloses its
    own atoms only, and boxes never cross.
    """
    import networkx as nx

    generations = nx.topological_generations(compiled.to_networkx())
    gen = {name: g for g, names in enumerate(generations) for name in names}

    def atom(name: str) -> _Block:
        return _Block(gen[name], gen[name], 1.0, {name: 0.5}, [])

    def scope(s: Scope) -> _Block | None:
        parts = [atom(s.retry)] if s.retry is not None else []
        for child in s.children:
            block = atom(child) if isinstance(child, str) else scope(child)
            if block is not None:
                parts.append(block)
        if not parts:
            return None
        placed: list[tuple[_Block, float]] = []
        for block in parts:
            clash = [(b, y) for b, y in placed if b.lo <= block.hi and block.lo <= b.hi]
            top = min(
                t
                for t in {0.0, *(y + b.height for b, y in clash)}
                if all(t + block.height <= y or y + b.height <= t for b, y in clash)
            )
            placed.append((block, top))
        nodes: dict[str, float] = {}
        boxes: list[tuple[Scope, float, float, int]] = []
        for block, top in placed:
            nodes.update({n: _PAD_TOP + top + y for n, y in block.nodes.items()})
            boxes.extend((sc, _PAD_TOP + top + y, h, lv) for sc, y, h, lv in block.boxes)
        height = _PAD_TOP + max(top + b.height for b, top in placed) + _PAD_BOTTOM
        levels = 1 + max((lv for *_, lv in boxes), default=0)
        lo, hi = min(b.lo for b, _ in placed), max(b.hi for b, _ in placed)
        return _Block(lo, hi, height, nodes, [(s, 0.0, height, levels), *boxes])

    root = scope(compiled.root)
    if root is None:
        return {}, []
    return {name: (float(gen[name]), y) for name, y in root.nodes.items()}, root.boxes


def _free_y(ys: list[float], want: float) -> float:
    """The height nearest ``want`` at which an edge passes a column whose nodes are
    centred at ``ys`` without touching one (nor coming within _CLEAR of it)."""
    reach = _NODE_H / 2 + _CLEAR
    blocked = sorted((y - reach, y + reach) for y in ys)
    merged: list[list[float]] = []
    for lo, hi in blocked:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    for lo, hi in merged:
        if lo < want < hi:
            return lo if want - lo <= hi - want else hi
    return want


def _route(
    start: tuple[float, float], end: tuple[float, float], columns: dict[int, list[float]]
) -> list[tuple[float, float]]:
    """An edge's points: from the right side of its source to the left side of its target,
    crossing each column in between horizontally at a free height (:func:`_free_y`).

    Between columns there are no nodes, and within a column the edge runs where no node
    is, so no edge crosses a node it does not join (an edge to the next column is one
    straight line, as before)."""
    (xa, ya), (xb, yb) = start, end
    points = [(xa + _NODE_W / 2, ya)]
    for c in range(int(xa) + 1, int(xb)):
        y = _free_y(columns.get(c, []), ya + (yb - ya) * (c - xa) / (xb - xa))
        points += [(c - _NODE_W / 2, y), (c + _NODE_W / 2, y)]
    points.append((xb - _NODE_W / 2, yb))
    return points


def plot_flow(
    compiled_or_result: CompiledFlow | Result, *, at: float | None = None, ax: Axes | None = None
) -> Axes:
    """The flow's graph: atoms by topological generation, flows as nested boxes.

    Parameters
    ----------
    compiled_or_result
        A :class:`~flowsim.CompiledFlow` (every atom drawn PENDING) or a run's
        :class:`~flowsim.Result` (atoms coloured by state).
    at
        With a result: colour atoms by their state at this time (:func:`states_at`);
        default: their final state.
    ax
        The Axes to draw on; None draws on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Column ``g`` holds topological generation ``g`` (atoms whose longest chain of
        predecessors has ``g`` atoms); arrows are dependencies, and an arrow that skips
        columns crosses each at a height where no node is, so it never runs through a node
        it does not join. Each flow is a box labelled
        with its name and pattern (a flow with a retry controller has a reddish purple
        border, and the controller is the dashed node at its start). Node
        fills are :data:`STATE_COLORS`, and each node also names its state. The layout
        depends only on the compiled flow, so every time ``at`` gives the same positions.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, compile
    >>> ax = plot_flow(compile(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")])))
    >>> sorted(p.get_gid() for p in ax.patches if p.get_gid().startswith("node:"))
    ['node:a', 'node:b']
    """
    fn = "plot_flow"
    if isinstance(compiled_or_result, Result):
        compiled = compiled_or_result.compiled
        when = _check_at(at, fn)
        states = states_at(compiled_or_result, when)
    elif isinstance(compiled_or_result, CompiledFlow):
        if at is not None:
            raise PlotError(
                f"{fn}(): at={at!r} needs a run: pass a Result (what simulate() returns), "
                "or leave at out to draw the compiled flow"
            )
        compiled, when = compiled_or_result, None
        states = dict.fromkeys(compiled.names, AtomState.PENDING)
    else:
        raise PlotError(
            f"{fn}(): expected a CompiledFlow (flowsim.compile(flow)) or a Result "
            f"(flowsim.simulate(flow)), got {type(compiled_or_result).__name__}"
        )
    _check_ax(ax, fn)
    centres, boxes = _layout(compiled)
    columns = 1 + max((int(x) for x, _ in centres.values()), default=0)
    rows = max((top + h for _, top, h, _ in boxes), default=1.0)
    pitch = max(1.3, 0.085 * max((len(n) for n in compiled.names), default=0) / _NODE_W)
    if ax is None:
        ax = _new_axes(pitch * columns + 2.4, max(2.0, 0.62 * rows + 0.8))
    pad_step = min(0.05, 0.2 / max((lv for *_, lv in boxes), default=1))
    is_retry = dict(zip(compiled.names, compiled.is_retry, strict=True))
    corner = "round,pad=0,rounding_size=0.06"

    for k, (sc, top, height, levels) in enumerate(boxes):
        xs = [centres[a][0] for a in sc.atoms]
        x0 = min(xs) - _NODE_W / 2 - pad_step * levels
        x1 = max(xs) + _NODE_W / 2 + pad_step * levels
        edge = COLORS["resolution"] if sc.retry is not None else "#777777"
        styles: tuple[tuple[str, dict[str, Any]], ...] = (
            (f"scope-fill:{sc.name}", {"facecolor": "#000000", "alpha": 0.035, "ec": "none"}),
            (f"scope:{sc.name}", {"facecolor": "none", "ec": edge, "lw": 1.3}),
        )
        for gid, style in styles:
            box = FancyBboxPatch(
                (x0, top + 0.04),
                x1 - x0,
                height - 0.08,
                boxstyle=corner,
                zorder=0.1 + 0.01 * k,
                gid=gid,
                **style,
            )
            ax.add_patch(box)
        # The retry controller is the dashed node inside; the label never leaves the box.
        label = ax.text(
            x0 + 0.04,
            top + 0.1,
            f"{sc.name} ({sc.pattern})",
            ha="left",
            va="top",
            fontsize=7,
            style="italic",
            color="#333333",
            zorder=1,
            gid=f"scope-label:{sc.name}",
        )
        label.set_clip_path(box)
    by_column: dict[int, list[float]] = {}
    for x, y in centres.values():
        by_column.setdefault(int(x), []).append(y)
    for i, succ in enumerate(compiled.succs):
        a = compiled.names[i]
        for b in (compiled.names[j] for j in succ):
            ax.add_patch(
                FancyArrowPatch(
                    path=Path(_route(centres[a], centres[b], by_column)),
                    arrowstyle="-|>",
                    mutation_scale=10,
                    color="#555555",
                    lw=1,
                    zorder=1.5,
                    gid=f"edge:{a}->{b}",
                )
            )
    for name in compiled.names:
        (x, y), state = centres[name], states[name]
        ax.add_patch(
            FancyBboxPatch(
                (x - _NODE_W / 2, y - _NODE_H / 2),
                _NODE_W,
                _NODE_H,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=STATE_COLORS[state],
                ec="#333333",
                lw=1.2,
                ls="--" if is_retry[name] else "-",
                zorder=2,
                gid=f"node:{name}",
            )
        )
        ax.text(
            x,
            y,
            f"{name}\n{state}",
            ha="center",
            va="center",
            fontsize=7.5,
            color=_ink(STATE_COLORS[state]),
            zorder=3,
            gid=f"node-label:{name}",
        )

    ax.set_xlim(-0.5 - pad_step, columns - 0.5 + pad_step)
    ax.set_ylim(rows + 0.05, -0.05)
    ax.set_axis_off()
    ax.set_title(
        compiled.name + (f" at t={_num(when)}" if when is not None else ""),
        fontsize=10,
        loc="left",
    )
    shown = [s for s in STATE_COLORS if s in set(states.values())]
    handles: list[Any] = [Patch(facecolor=STATE_COLORS[s], edgecolor="#333333") for s in shown]
    texts = [str(s) for s in shown]
    if any(compiled.is_retry):
        handles.append(Patch(facecolor="white", edgecolor="#333333", linestyle="--"))
        texts.append("retry controller")
    _legend(ax, handles, texts)
    return ax
