"""Make docs/interactive-timeline.png: the interactive timeline's page, with a tooltip open.

Run: ``.venv/bin/python docs/make_interactive_picture.py`` (needs Bokeh, Playwright for
Python and Chromium at /usr/bin/chromium, or FLOWSIM_CHROMIUM). It writes the page that
``flowsim run nested-escalation --html`` writes into ``build/interactive/``, opens it from
disk in headless Chromium with every other request refused, moves the mouse over
``deploy``'s second (failed) execute and takes the screenshot.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from flowsim import examples, simulate
from flowsim.plot.interactive import save_html

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "build" / "interactive" / "nested-escalation.html"
OUT = Path(__file__).with_name("interactive-timeline.png")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The page position of (time, row) on the figure holding the renderer named ``name``.
POINT = """([name, x, y]) => {
  const renderer = Bokeh.documents[0].get_model_by_name(name);
  const view = Bokeh.index.find_one(renderer);
  const box = view.parent.canvas_view.el.getBoundingClientRect();
  return [box.left + view.coordinates.x_scale.compute(x),
          box.top + view.coordinates.y_scale.compute(y)];
}"""


def main() -> None:
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    result = simulate(examples.load("nested-escalation"))
    save_html(result, PAGE)
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("FLOWSIM_CHROMIUM", "/usr/bin/chromium"), args=FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 262})

            def only_files(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if request.url.startswith("file://"):
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    refused.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", only_files)
            page.goto(PAGE.as_uri(), wait_until="load")
            page.wait_for_selector("canvas")
            page.wait_for_timeout(500)
            row = list(result.compiled.names).index("deploy")
            x, y = page.evaluate(POINT, ["spans", 5.0, row])
            page.mouse.move(x, y)
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT))
        finally:
            browser.close()
    assert refused == [], refused
    print(f"picture: {OUT}")


if __name__ == "__main__":
    main()
