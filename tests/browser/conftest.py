"""Browser fixtures: Debian's headless Chromium driven by Playwright, and the local stack it opens.

Playwright cannot download its own browsers here, so it drives ``/usr/bin/chromium``
(``.ci/run`` installs it). Without it the tests skip, except in CI where they fail.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from tests.local_stack_session import RunningStack

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
    """The local stack as the checkout sees it: the page at ``/checkout/`` of the API's port.

    The simulator's test numbers choose the outcome (README): ``...000002`` a FAILURE
    webhook, ``...000004`` no webhook ever, so the payment expires; others succeed.
    """

    stack: RunningStack
    failure_number: str = "670000002"  # MTN
    silent_number: str = "690000004"  # Orange

    @property
    def origin(self) -> str:
        return self.stack.api

    @property
    def api_url(self) -> str:
        return self.stack.api

    @property
    def status_reads(self) -> re.Pattern[str]:
        """Every ``GET /payments/{paymentId}`` the page sends (to route them in a test)."""
        return re.compile(re.escape(self.api_url) + r"/payments/.+")

    def checkout_url(self, **attributes: str) -> str:
        """The demo page, its element's attributes set from the query string."""
        return f"{self.origin}/checkout/?{urlencode({'api': self.api_url, **attributes})}"

    def payments_for_product(self, product_id: str) -> int:
        """How many payments the API holds for this product: what reached it, not what the page says."""
        dynamodb = self.stack.client("dynamodb")
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=self.stack.outputs["PaymentsTableName"],
            FilterExpression="entityType = :payment AND productId = :product",
            ExpressionAttributeValues={":payment": {"S": "PAYMENT"}, ":product": {"S": product_id}},
            Select="COUNT",
        )
        return sum(page["Count"] for page in pages)


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
def site(stack: RunningStack) -> CheckoutSite:
    return CheckoutSite(stack)


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
