"""How a :class:`~flowsim.compile.CompiledFlow` shows itself: a one-line ``repr`` and an
HTML summary (its counts, its store, its tree of flows) for notebooks.

Both are text only and of bounded length whatever the flow's size (the tree lists at most
40 flows and tasks, then counts the rest). The graph picture is added by
:mod:`flowsim.plot`, which registers an IPython formatter for CompiledFlow when imported
in a notebook; nothing here imports IPython or matplotlib. The text helpers are the
model's, shared with the displays of Scenario, Trace and Result.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from flowsim.model import _clip, _flow_tree, _plural, _quoted, _store_text

if TYPE_CHECKING:
    from . import CompiledFlow, Scope


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
        f"{_plural(len(compiled), 'atom')} ({_plural(tasks, 'task')}, "
        f"{_plural(retries, 'retry controller')}), {_plural(_scopes(compiled.root), 'flow')}, "
        f"{_plural(edges, 'edge')}"
    )


def compiled_repr(compiled: CompiledFlow) -> str:
    """The one-line ``repr`` of a CompiledFlow."""
    return f"<CompiledFlow {_quoted(compiled.name)}: {counts(compiled)}>"


def compiled_html(compiled: CompiledFlow) -> str:
    """The HTML summary of a CompiledFlow (text only; bounded length)."""
    store = _store_text(compiled.store)
    return (
        f'<div class="flowsim-compiled"><p><b>CompiledFlow</b> '
        f"<code>{_clip(compiled.name)}</code>: {escape(counts(compiled))}"
        f"{'; store: ' + store if store else ''}</p>{_flow_tree(compiled.flow)}</div>"
    )
