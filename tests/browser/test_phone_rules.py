"""The page refuses exactly the numbers the API refuses, and reads the others the same way.

The checkout keeps its own small prefix table (to refuse before any request); the API
reads numbers with phonenumbers' numbering data (``cameroon_numbering``). Both are run
on the same inputs here: every 6xx and 2xx prefix, each accepted spelling, and a seeded
spray of near misses.
"""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Page

from taramoney_payments.phone import InvalidPhoneNumber, UnsupportedOperator, parse_mobile_number
from tests.browser.conftest import CheckoutSite

pytestmark = pytest.mark.browser

VENDOR_OF_OPERATOR = {"orange": "ORANGE_CAMEROON", "mtn": "MTN_CAMEROON"}


def spellings(national: str, rng: random.Random) -> list[str]:
    """The forms of SPEC section 3, and +00237 (read as 00237, as phonenumbers does), with separators sprinkled in."""
    forms = [national, f"+237{national}", f"237{national}", f"00237{national}", f"+00237{national}"]
    out = list(forms)
    for form in forms:
        chars = list(form)
        for index in sorted(rng.sample(range(1, len(chars)), 3), reverse=True):
            chars.insert(index, rng.choice(" .-"))
        out.append("".join(chars))
    return out


def inputs() -> list[str]:
    rng = random.Random(20261128)
    typed: list[str] = []
    for prefix in [*range(200, 300), *range(600, 700)]:
        typed.append(f"{prefix}{rng.randrange(10**6):06d}")
    for prefix in (640, 655, 659, 686, 699, 650, 654, 670, 683, 660, 684, 620, 242, 222):
        typed += spellings(f"{prefix}{rng.randrange(10**6):06d}", rng)
    alphabet = "0123456789" * 4 + "+ .-a"
    for _ in range(400):
        typed.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 17))))
    for _ in range(200):  # near misses of good numbers: a digit dropped, added or a country code mangled
        national = f"6{rng.choice('5789')}{rng.randrange(10**7):07d}"
        typed += [national[:-1], national + "1", f"+23{national}", f"+2237{national}", f"0{national}", f"+33{national}"]
    return typed


def api_verdict(raw: str) -> tuple[str, str | None, str | None]:
    try:
        number = parse_mobile_number(raw)
    except UnsupportedOperator:
        return ("unsupported", None, None)
    except InvalidPhoneNumber:
        return ("invalid", None, None)
    return ("accepted", number.national, str(number.likely_vendor))


def test_the_page_and_the_api_agree_on_every_number(page: Page, site: CheckoutSite):
    # given the checkout's own parser, loaded as the page loads it
    page.goto(site.checkout_url())
    typed = inputs()

    # when both read the same inputs
    verdicts = page.evaluate(
        """async ([url, typed]) => {
            const { parsePhoneNumber } = await import(url);
            return typed.map((raw) => parsePhoneNumber(raw));
        }""",
        [f"{site.origin}/checkout/checkout.js", typed],
    )
    page_verdicts = [
        ("accepted", v["national"], VENDOR_OF_OPERATOR[v["operator"]])
        if v["ok"]
        else ("unsupported" if v["reason"] == "unsupported" else "invalid", None, None)
        for v in verdicts
    ]

    # then they accept, refuse and attribute the same numbers
    api_verdicts = [api_verdict(raw) for raw in typed]
    disagreements = [
        (raw, mine, api) for raw, mine, api in zip(typed, page_verdicts, api_verdicts, strict=True) if mine != api
    ]
    assert disagreements == []
    assert {verdict[0] for verdict in page_verdicts} == {"accepted", "unsupported", "invalid"}
