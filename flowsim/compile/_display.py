"""How a :class:`~flowsim.compile.CompiledFlow` shows itself: a one-line ``repr`` and an
HTML summary (its counts, its store, its tree of flows) for notebooks.

Both are text only and of bounded length whatever the flow's size: the ``repr`` names the
flow and counts its parts, the HTML lists at most :data:`TREE_LIMIT` entries of the tree.
The graph picture is added by :mod:`flowsim.plot` (which registers an IPython formatter
for CompiledFlow when imported in a notebook); nothing here imports IPython or matplotlib.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import CompiledFlow, Scope

TREE_LIMIT = 40
"""The most atoms and flows the HTML tree lists (the rest are counted)."""

_NAME_LIMIT = 60


def short(name: str, limit: int = _NAME_LIMIT) -> str:
    """``repr(name)``, shortened to ``limit`` characters.

    >>> short("blueprint"), short("x" * 100, 10)
    ("'blueprint'", "'xxxxx...'")
    """
    text = repr(name)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def clip(name: str, limit: int = _NAME_LIMIT) -> str:
    """``name`` as HTML text, shortened to ``limit`` characters.

    >>> clip("a<b"), clip("x" * 100, 8)
    ('a&lt;b', 'xxxxx...')
    """
    return escape(name if len(name) <= limit else name[: limit - 3] + "...")


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 atom"``, ``"2,000 atoms"``.

    >>> plural(1, "atom"), plural(2000, "atom"), plural(2, "entry", "entries")
    ('1 atom', '2,000 atoms', '2 entries')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _scopes(root: Scope) -> int:
    count, stack = 0, [root]
    while stack:
        s = stack.pop()
        count += 1
        stack.extend(c for c in s.children if not isinstance(c, str))
    return count


def counts(compiled: CompiledFlow) -> str:
    """The flow's parts in words: atoms (tasks, retry controllers), flows, edges."""
    retries = sum(compiled.is_retry)
    tasks = len(compiled) - retries
    edges = sum(map(len, compiled.succs))
    return (
        f"{plural(len(compiled), 'atom')} ({plural(tasks, 'task')}, "
        f"{plural(retries, 'retry controller')}), {plural(_scopes(compiled.root), 'flow')}, "
        f"{plural(edges, 'edge')}"
    )


def compiled_repr(compiled: CompiledFlow) -> str:
    """The one-line ``repr`` of a CompiledFlow."""
    return f"<CompiledFlow {short(compiled.name)}: {counts(compiled)}>"


def _tree(root: Scope, limit: int) -> str:
    """The scope tree as nested ``<ul>``, at most ``limit`` entries, then a count."""
    shown = 0
    out: list[str] = []

    def scope(s: Scope) -> None:
        nonlocal shown
        shown += 1
        retry = f" (retry <code>{clip(s.retry)}</code>)" if s.retry is not None else ""
        out.append(f"<li>{s.pattern} flow <code>{clip(s.name)}</code>{retry}<ul>")
        for child in s.children:
            if shown >= limit:
                break
            if isinstance(child, str):
                shown += 1
                out.append(f"<li><code>{clip(child)}</code></li>")
            else:
                scope(child)
        out.append("</ul></li>")

    scope(root)
    total = _entries(root)
    more = f"<p>... and {plural(total - shown, 'more entry', 'more entries')}</p>"
    return f"<ul>{''.join(out)}</ul>" + (more if total > shown else "")


def _entries(root: Scope) -> int:
    """How many entries the full tree has: its flows and its tasks."""
    total, stack = 0, [root]
    while stack:
        s = stack.pop()
        total += 1
        for c in s.children:
            if isinstance(c, str):
                total += 1
            else:
                stack.append(c)
    return total


def compiled_html(compiled: CompiledFlow) -> str:
    """The HTML summary of a CompiledFlow (text only; bounded length)."""
    store = ", ".join(clip(k, 30) for k in list(compiled.store)[:10])
    if len(compiled.store) > 10:
        store += f", ... ({len(compiled.store):,} values)"
    return (
        f'<div class="flowsim-compiled"><p><b>CompiledFlow</b> '
        f"<code>{clip(compiled.name)}</code>: {escape(counts(compiled))}"
        f"{'; store: ' + store if store else ''}</p>"
        f"{_tree(compiled.root, TREE_LIMIT)}</div>"
    )
