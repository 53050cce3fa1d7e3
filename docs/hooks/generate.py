"""mkdocs hooks: the pages that are generated from the code, so that they cannot drift.

- ``index.md`` is README.md, its links rewritten for the site.
- ``<!-- generated: cli-reference -->`` becomes the help of every ``flowsim`` subcommand,
  from the argparse parser itself.
- ``<!-- generated: scenario-keys -->`` becomes the table of every key a scenario file may
  hold, from the key tables the reader checks files against (flowsim/files/_json.py); a
  key the reader accepts with no description here, or a description of a key it does not
  accept, fails the build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# One line per key, by where it appears. The build fails if these and the reader disagree.
SCENARIO_KEYS: dict[str, dict[str, str]] = {
    "top level": {
        "flowsim": "the format version; must be 1 (required)",
        "name": "the scenario's name (default: the flow's)",
        "description": "one line of text, shown by `flowsim run`",
        "options": "the run options (below)",
        "store": "an object: values for `requires` and `values_from`",
        "flow": "the flow (required)",
    },
    "options": {
        "workers": "an int >= 1, or null for unlimited (default null)",
        "seed": "an int seeding every random draw (default 0)",
        "defer_reverts": "a bool (default true): an exhausted checkpoint escalates",
        "never_resolve": "a bool (default false): do not resolve execute failures",
        "strategy": '`"smart"` (default) or `"stop_the_world"`',
        "event_budget": "an int, or null for 1,000,000 + 1,000 per atom",
    },
    "flow node": {
        "kind": '`"linear"`, `"unordered"` or `"graph"` (required)',
        "name": "a name unique in the scenario (required)",
        "retry": "a retry controller (below), or null",
        "children": "a list of flow and task nodes",
        "links": "graph flows only: a list of links (below)",
    },
    "link": {
        "source": "a direct child of the graph flow (required)",
        "target": "another direct child (required)",
        "decider": "a bool (default true); false is a static decider that says no",
        "depth": '`"all"` (default), `"flow"`, `"neighbors"` or `"atom"`: what it ignores',
    },
    "task node": {
        "kind": '`"task"` (required)',
        "name": "a name unique in the scenario (required)",
        "duration": "the execute's duration (a duration, below; default 1)",
        "revert_duration": "the revert's duration (default 1)",
        "fails_on": 'the execute calls that fail: a list of 1-based call numbers, or `"always"`',
        "revert_fails_on": "the revert calls that fail, likewise",
        "fail_probability": "a number in [0, 1]: each execute call fails with it (seeded)",
        "priority": "an int; higher starts first among ready work",
        "provides": "a list of the names of the values it provides",
        "requires": "a list of the names of the values it requires",
    },
    "retry": {
        "kind": "`"
        + '"`, `"'.join(
            (
                "times",
                "for_each",
                "parameterized_for_each",
                "always_revert",
                "always_revert_all",
                "always_retry",
            )
        )
        + '"` (required)',
        "name": "a name unique in the scenario (required)",
        "attempts": "times: the number of attempts in total",
        "values": "for_each: the list of values, one attempt each (required)",
        "values_from": "parameterized_for_each: the store key holding the values (required)",
        "revert_all": "times, for_each, parameterized_for_each: give up with REVERT_ALL",
        "duration": "the controller's execute duration (default 0)",
        "revert_duration": "its revert duration (default 0)",
        "fails_on": "its execute calls that fail",
        "revert_fails_on": "its revert calls that fail",
        "fail_probability": "the chance that each execute call fails",
        "provides": "the names of the values it provides",
        "requires": "the names of the values it requires",
    },
    "duration": {
        "uniform": '`{"dist": "uniform", "low": a, "high": b}`',
        "exponential": '`{"dist": "exponential", "mean": m}`',
        "lognormal": '`{"dist": "lognormal", "mu": m, "sigma": s}`',
    },
}


def _reader_keys() -> dict[str, set[str]]:
    from flowsim.files import _json as j

    retry = {"kind", "name", *j._ATOM_KEYS}
    for extra in j._CONTROLLER_KEYS.values():
        retry |= set(extra)
    return {
        "top level": set(j._TOP_KEYS),
        "options": set(j._OPTION_KEYS),
        "flow node": {"kind", "name", "retry", "children", "links"},
        "link": set(j._LINK_KEYS),
        "task node": set(j._TASK_KEYS),
        "retry": retry,
        "duration": set(j._DISTS),
    }


def scenario_keys() -> str:
    reader = _reader_keys()
    problems = []
    for where, keys in reader.items():
        described = set(SCENARIO_KEYS.get(where, {}))
        if keys - described:
            problems.append(f"{where}: the reader accepts {sorted(keys - described)}, undescribed")
        if described - keys:
            problems.append(f"{where}: described {sorted(described - keys)}, not accepted")
    if problems:
        raise RuntimeError("docs/hooks/generate.py is out of date: " + "; ".join(problems))
    rows = ["| where | key | value |", "|---|---|---|"]
    for where, keys in SCENARIO_KEYS.items():
        for key, text in keys.items():
            rows.append(f"| {where} | `{key}` | {text} |")
    return "\n".join(rows)


def cli_reference() -> str:
    os.environ["COLUMNS"] = "100"
    from flowsim.cli import _parser

    parser = _parser()
    out = ["```text", parser.format_help().rstrip(), "```"]
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        out += ["", f"## `flowsim {name}`", "", "```text", p.format_help().rstrip(), "```"]
    return "\n".join(out)


def readme() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = text.replace("](docs/", "](").replace("](CHANGELOG.md)", "](changelog.md)")
    text = re.sub(r"\(\[LICENSE\]\(LICENSE\)\)", "(LICENSE in the repository)", text)
    return text


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri == "index.md":
        return readme()
    if "<!-- generated: cli-reference -->" in markdown:
        markdown = markdown.replace("<!-- generated: cli-reference -->", cli_reference())
    if "<!-- generated: scenario-keys -->" in markdown:
        markdown = markdown.replace("<!-- generated: scenario-keys -->", scenario_keys())
    return markdown
