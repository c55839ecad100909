"""Browser fixtures: Debian's headless Chromium driven by Playwright, and the site it opens.

Playwright cannot download its own browsers here, so it drives ``/usr/bin/chromium``
(``.ci/run`` installs it). Without it the tests skip, except in CI where they fail.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from tests.browser import stand_in

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / ".local" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH = 375


@dataclass(frozen=True)
class CheckoutSite:
    """Where the checkout is served, the API it calls, and numbers that choose an outcome."""

    origin: str
    api_url: str
    failure_number: str
    silent_number: str
    api: stand_in.FakePaymentsApi

    def checkout_url(self, **attributes: str) -> str:
        """The demo page, its element's attributes set from the query string."""
        return f"{self.origin}/checkout/?{urlencode({'api': self.api_url, **attributes})}"

    def payments_for_product(self, product_id: str) -> int:
        """How many payments the API holds for this product: what reached it, not what the page says."""
        with self.api.lock:
            return sum(1 for payment in self.api.payments.values() if payment["view"]["productId"] == product_id)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> Path:
    """Debian's Chromium, checked before anything else starts (the local stack takes a while)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: the browser tests need Debian's Chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site() -> Iterator[CheckoutSite]:
    api = stand_in.FakePaymentsApi(timeout_seconds=4)
    server = stand_in.serve(api)
    origin = f"http://127.0.0.1:{server.server_port}"
    yield CheckoutSite(
        origin=origin,
        api_url=origin,
        failure_number=stand_in.FAILURE_NUMBER,
        silent_number=stand_in.SILENT_NUMBER,
        api=api,
    )
    server.shutdown()


@dataclass
class ApiRequests:
    """Every request the page sent to ``POST /payments`` (preflights aside)."""

    api_url: str
    posts: list[Request] = field(default_factory=list)

    def record(self, request: Request) -> None:
        if request.method == "POST" and request.url.rstrip("/") == f"{self.api_url}/payments":
            self.posts.append(request)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A phone-sized page (375 px wide)."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 740}, device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def api_requests(page: Page, site: CheckoutSite) -> ApiRequests:
    requests = ApiRequests(site.api_url)
    page.on("request", requests.record)
    return requests


@pytest.fixture
def success_number() -> str:
    """An Orange number of its own for each test, paid at once: no test waits on another's pending slots."""
    while True:
        number = f"69{secrets.randbelow(10**7):07d}"
        if not number.endswith(("000002", "000003", "000004", "000005", "000006", "000007")):
            return number


@pytest.fixture
def product_id() -> str:
    """A product of its own for each test, to count the payments that test made."""
    return f"browser-test-{uuid.uuid4().hex[:12]}"


def save_screenshot(page: Page, name: str) -> Path:
    """Keep the final state as a test artefact under .local/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
