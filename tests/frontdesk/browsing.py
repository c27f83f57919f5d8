"""What the browser tests share: Chromium through Playwright, a screenshot of each page
at each size after checking it, axe-core injected from a pinned copy in the repo."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import connections

from tests.conftest import CHROMIUM
from tests.factories import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.10.2.min.js"
AXE_SOURCE = AXE.read_text()
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en-GB"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea, button"))
    .filter(el => el.type !== "hidden" && el.offsetParent !== null)
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !(el.tagName === "BUTTON" && el.textContent.trim()))
    .map(el => el.outerHTML.slice(0, 120))"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
AXE_RUN = """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))"""


def browser_contexts(playwright, profiles: str):
    """open_as(name, viewport) -> a page in its own profile (its own login)."""
    opened = []

    def open_as(name: str, viewport: dict | None = None):
        context = playwright.chromium.launch_persistent_context(
            os.path.join(profiles, name), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport=viewport or DESKTOP, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(15_000)
        opened.append(context)
        return context.pages[0] if context.pages else context.new_page()

    return open_as, opened


def browser_session() -> Iterator:
    # Playwright's own import starts its driver; only the browser tests need it.
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profiles:
        open_as, opened = browser_contexts(playwright, profiles)
        yield open_as
        for context in opened:
            context.close()
        # The test's own reads between browser steps ran on a connection kept for the
        # time Playwright's event loop runs: close it while that loop still runs.
        connections.close_all()


def check(page, name: str) -> None:
    """Every control labelled, nothing wider than the window, no serious or critical axe
    finding; then a screenshot named for the page and the window's width."""
    assert page.evaluate(UNLABELLED) == [], f"controls without a label on {name}"
    width = page.viewport_size["width"]
    assert page.evaluate(SIDEWAYS) <= 0, f"{name} scrolls sideways at {width} px"
    if page.evaluate("() => typeof window.axe") == "undefined":
        # Evaluated through the DevTools protocol, not as a <script>: the pages' own
        # Content-Security-Policy refuses inline scripts, and must not be loosened for this.
        page.evaluate(AXE_SOURCE + "\n;0")
    found = page.evaluate(AXE_RUN)
    assert found == [], f"axe on {name} at {width} px: {found}"
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/schedule/")
