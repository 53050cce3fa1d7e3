"""The explorer and the blueprint notebook as a person sees them, in a real browser.

``notebooks/02_explorer.ipynb`` is executed with its widget state stored, exported to
static HTML (nbconvert's lab template) and opened in headless Chromium, driven by
Playwright. No CDN is reachable, so the two scripts the page needs, the widget manager
(``@jupyter-widgets/html-manager``'s ``dist/embed-amd.js``) and require.js, are fetched
once from the npm registry with ``npm pack`` into ``build/browser/vendor/`` and the page
points at them; an HTTP server on 127.0.0.1 serves the page and the scripts, and every
request for another host is refused (and listed). The test takes screenshots into
``build/browser/`` and asserts from the DOM that the widgets rendered and the timeline
and flow images loaded.

``notebooks/01_blueprint.ipynb`` is executed and exported the same way (it has no widgets,
so it needs only require.js): the test asserts that every picture loaded, the rich display of a
``Result`` among them, and screenshots that display (``build/browser/01_blueprint_result.png``,
the picture in ``docs/rich-result.png``).

Where Chromium, Playwright or npm is missing the test is skipped, saying so; with
``FLOWSIM_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) it fails instead.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02_explorer.ipynb"
BLUEPRINT = ROOT / "notebooks" / "01_blueprint.ipynb"
OUT = ROOT / "build" / "browser"
VENDOR = OUT / "vendor"
# Pinned: the page is rendered by exactly these (html-manager 1.x renders ipywidgets 8).
HTML_MANAGER = "@jupyter-widgets/html-manager@1.0.15"
REQUIREJS = "requirejs@2.3.8"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FONTS = (".woff2", ".woff", ".ttf", ".eot", ".svg")


def unavailable(why: str) -> NoReturn:
    """Skip (saying why), or fail where the browser check is required."""
    if os.environ.get("FLOWSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser check required (FLOWSIM_REQUIRE_BROWSER=1) but {why}")
    pytest.skip(f"browser check skipped: {why}")


def chromium() -> str:
    path = os.environ.get("FLOWSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        unavailable("Chromium is not installed (apt-get install chromium; .ci/run does)")
    return path


def widget_scripts() -> None:
    """Put embed-amd.js (with its fonts) and require.js into VENDOR, once."""
    if (VENDOR / "embed-amd.js").is_file() and (VENDOR / "require.js").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is missing, so the widget manager scripts cannot be fetched")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", "--silent", HTML_MANAGER, REQUIREJS],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            unavailable(f"`npm pack` failed: {done.stderr.strip()[-500:]}")
        staging = Path(tmp) / "vendor"
        staging.mkdir()
        for tarball in sorted(Path(tmp).glob("*.tgz")):
            with tarfile.open(tarball) as archive:
                for member in archive.getmembers():
                    name = member.name
                    wanted = name in ("package/dist/embed-amd.js", "package/require.js") or (
                        name.startswith("package/dist/") and name.endswith(FONTS)
                    )
                    if wanted and member.isfile():
                        source = archive.extractfile(member)
                        assert source is not None
                        with source:
                            (staging / Path(name).name).write_bytes(source.read())
        assert (staging / "embed-amd.js").is_file() and (staging / "require.js").is_file()
        shutil.rmtree(VENDOR, ignore_errors=True)
        VENDOR.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging, VENDOR)


def export_notebook() -> tuple[str, Counter[str]]:
    """Execute the explorer notebook, storing its widget state, and export it to HTML.

    Returns the MathJax URL the page refers to (the one script it may ask the network
    for: the notebook has no mathematics, so the page works without it) and how many
    widget models of each kind the stored state holds (``"DropdownModel"``: 4, ...).
    """
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        store_widget_state=True,
    ).execute()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    assert state["state"], "the executed notebook stored no widget state"
    exporter = HTMLExporter(
        template_name="lab",
        require_js_url="vendor/require.js",
        widget_renderer_url="vendor/embed-amd.js",
    )
    body, _ = exporter.from_notebook_node(notebook)
    assert "vendor/embed-amd.js" in body and "application/vnd.jupyter.widget-state+json" in body
    assert "cdn.jsdelivr.net" not in body and "unpkg.com" not in body
    (OUT / "02_explorer.html").write_text(body, encoding="utf-8")
    models = Counter(m["model_name"] for m in state["state"].values())
    return str(exporter.mathjax_url), models


class _LocalCDN(http.server.SimpleHTTPRequestHandler):
    """Serves OUT; a missing file whose name is a vendored file is served from VENDOR.

    The widget manager's stylesheet asks for its icon fonts at paths relative to where it
    thinks the CDN is (``/@jupyter-widgets/...``); the file names are unique hashes.
    """

    def translate_path(self, path: str) -> str:
        local = Path(super().translate_path(path))
        vendored = VENDOR / local.name
        if not local.exists() and local.name and vendored.is_file():
            return str(vendored)
        return str(local)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving OUT; yields its base URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_LocalCDN, directory=str(OUT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


COUNT_RENDERED_IMAGES = """() => [...document.querySelectorAll('.jupyter-widgets img')]
    .filter(img => img.complete && img.naturalWidth > 0).length"""

DOM_FACTS = """() => {
  const all = selector => [...document.querySelectorAll(selector)];
  const images = all('.jupyter-widgets img');
  return {
    dropdowns: all('.widget-dropdown').length,
    checkboxes: all('.widget-checkbox').length,
    sliders: all('.widget-slider').length,
    plays: all('.widget-play').length,
    inttexts: all('.widget-inline-hbox input[type=number]').length,
    images: images.map(img => [img.naturalWidth, img.naturalHeight]),
    text: document.body.innerText,
    unrendered: all('script[type="application/vnd.jupyter.widget-view+json"]')
      .filter(s => !s.parentElement.querySelector('.jupyter-widgets')).length,
  };
}"""


def test_the_explorer_renders_in_headless_chromium(served: str) -> None:
    browser_path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    widget_scripts()
    mathjax, models = export_notebook()
    errors: list[str] = []
    refused: list[str] = []
    missing: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(served):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: missing.append(request.url))
            page.on("response", lambda response: response.ok or missing.append(response.url))
            page.route("**/*", only_local)
            page.goto(f"{served}/02_explorer.html", wait_until="load")
            page.wait_for_selector(".jupyter-widgets .widget-dropdown", timeout=60_000)
            page.wait_for_function(f"({COUNT_RENDERED_IMAGES})() >= 8", timeout=60_000)
            page.screenshot(path=str(OUT / "02_explorer.png"), full_page=True)
            first = page.locator(".jupyter-widgets.widget-vbox").first
            first.screenshot(path=str(OUT / "02_explorer_blueprint.png"))
            facts = page.evaluate(DOM_FACTS)
        finally:
            browser.close()

    assert errors == [], f"JavaScript errors in the page: {errors}"
    assert set(refused) <= {mathjax}, f"the page needed the network: {refused}"
    assert set(missing) <= {mathjax}, f"requests that failed: {missing}"
    # Four explorers (blueprint, nested-escalation, wide-graph, a flow): every control the
    # kernel made is on the page, as many of each kind as the stored widget state holds,
    # and each explorer has at least its strategy, defer_reverts, time slider and player.
    sliders = models["IntSliderModel"] + models["FloatSliderModel"]
    assert facts["dropdowns"] == models["DropdownModel"] >= 4
    assert facts["checkboxes"] == models["CheckboxModel"] >= 4
    assert facts["sliders"] == sliders >= 4
    assert facts["plays"] == models["PlayModel"] == 4
    assert facts["unrendered"] == 0
    assert len(facts["images"]) == 8  # a timeline and a flow graph per explorer
    assert all(width >= 400 and height >= 150 for width, height in facts["images"])
    text = facts["text"]
    assert "Error displaying widget" not in text and "Error rendering" not in text
    for line in (
        "blueprint: flow SUCCESS, makespan 7, wasted work 2, reverted: B x1",
        "nested-escalation: flow SUCCESS, makespan 11,",
        "wide-graph: flow SUCCESS",
        "mine: flow SUCCESS",
    ):
        assert line in text
    assert (OUT / "02_explorer.png").stat().st_size > 10_000


OUTPUT_IMAGES = """() => [...document.querySelectorAll('.jp-OutputArea-output img')]
    .map(img => [img.complete && img.naturalWidth > 0, img.naturalWidth, img.alt])"""


def test_the_blueprint_notebook_shows_its_pictures_in_headless_chromium(served: str) -> None:
    """Notebook 01 as a reader sees it exported: six pictures, every one loaded (the two
    timelines first, the graph, the Result's rich display, the graphs at t=3.5, the
    costs), the Result's summary in words, no script error, no network."""
    browser_path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    notebook = nbformat.read(BLUEPRINT, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(BLUEPRINT.parent)}},
    ).execute()
    widget_scripts()  # the page asks for require.js even without widgets: serve it here
    exporter = HTMLExporter(template_name="lab", require_js_url="vendor/require.js")
    body, _ = exporter.from_notebook_node(notebook)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "01_blueprint.html").write_text(body, encoding="utf-8")
    allowed = {str(exporter.mathjax_url)}
    errors: list[str] = []
    refused: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(served):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", only_local)
            page.goto(f"{served}/01_blueprint.html", wait_until="load")
            images = page.evaluate(OUTPUT_IMAGES)
            result = page.locator(".jp-OutputArea-output:has(.flowsim-result)")
            result.screenshot(path=str(OUT / "01_blueprint_result.png"))
            summary = result.inner_text()
            page.screenshot(path=str(OUT / "01_blueprint.png"), full_page=True)
        finally:
            browser.close()

    assert errors == [], f"JavaScript errors in the page: {errors}"
    assert set(refused) <= allowed, f"the page needed the network: {refused}"
    plain = "No description has been provided for this image"  # nbconvert's alt text
    alts = [plain, plain, "timeline of blueprint", plain, plain, plain]
    assert [alt for _, _, alt in images] == alts
    assert all(loaded and width >= 300 for loaded, width, _ in images), images
    assert summary == (
        "Result of blueprint: SUCCESS, makespan 7 (smart, unlimited workers, seed 0)\n\n"
        "4 atoms: 4 SUCCESS; 6 executes, 1 revert, wasted work 2; 18 events, 1 resolution\n\n"
        "time\tfailed\tchain (innermost first)\taction\tscope\n"
        "3\tB\tcheckpoint: RETRY\tRETRY checkpoint\tB"
    )
