"""Browser journeys in real Chromium (Debian's package, driven by Playwright).

Every test gets a `journey`: a Playwright page on pytest-django's live server that fails the
test on any console error, uncaught script error, CSP violation or HTTP 5xx, and writes a
screenshot of each step to $ITSM_SCREENSHOT_DIR/<journey>/NN-<step>.png.

Without Chromium the tests skip with the reason; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import _skip_or_fail

# Playwright's sync API runs an asyncio loop in this thread; the live server's database
# access from the test thread then looks "async" to Django.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("ITSM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_DIR = Path(os.environ.get("ITSM_SCREENSHOT_DIR", "artifacts/screenshots"))
PASSWORD = "pass-for-tests-1"  # tests.itsm.factories.UserFactory's password
# Playwright's expect() waits this long by default; a loaded CI machine needs more.
EXPECT_TIMEOUT_MS = 15_000

# Reported to the console by the init script below, so the watcher sees it as an error.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        _skip_or_fail(f"needs Chromium at {CHROMIUM} (apt install chromium fonts-noto-cjk)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


class Journey:
    """One browser context on the live server, watched for errors, photographed per step."""

    def __init__(self, browser, base_url: str, name: str):
        self.base_url = base_url
        self.folder = SCREENSHOT_DIR / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.steps = 0
        self.problems: list[str] = []
        self.browser = browser
        self.context = self._new_context()
        self.page = self.new_page()

    def _new_context(self):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="en-US",
            timezone_id="Asia/Seoul",
            viewport={"width": 1280, "height": 900},
            # Charts skip their animation, so a screenshot shows the final figures.
            reduced_motion="reduce",
            accept_downloads=True,
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.add_init_script(_CSP_LISTENER)
        return context

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("response", self._on_response)
        # A data-confirm button asks through window.confirm: the person says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url") or (message.page.url if message.page else "")
            self.problems.append(f"console error ({where}): {message.text}")

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} from {response.url}")

    def check(self) -> None:
        if self.problems:
            pytest.fail("the browser reported:\n" + "\n".join(self.problems), pytrace=False)

    def shot(self, step: str, page=None) -> None:
        """Screenshot the step, then fail if anything went wrong on the way to it."""
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        (page or self.page).screenshot(
            path=str(self.folder / f"{self.steps:02d}-{slug}.png"), full_page=True
        )
        self.check()

    def login(self, user, page=None) -> None:
        """Log in through the login form (a fresh context per person keeps sessions apart)."""
        page = page or self.page
        page.goto("/login/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form button[type=submit], form .btn-primary").first.click()
        page.wait_for_url(lambda url: "/login/" not in url)

    def as_user(self, user) -> None:
        """Switch the person at the keyboard: a new context, so no session leaks over."""
        self.context.close()
        self.context = self._new_context()
        self.page = self.new_page()
        self.login(user)

    def close(self) -> None:
        self.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


@pytest.fixture
def journey(request, chromium, live_server):
    """Start a journey named after the test module's journey (or the test)."""
    name = getattr(request.module, "JOURNEY", request.node.name)
    journey = Journey(chromium, live_server.url, name)
    yield journey
    journey.close()
    if not getattr(request.node, "browser_call_failed", False):
        journey.check()  # what went wrong after the last screenshot
