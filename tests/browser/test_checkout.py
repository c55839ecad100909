"""The checkout as a customer on a phone sees it: number, USSD code, live status, outcome.

Each scenario ends on a screenshot of what the customer is left with (.local/screenshots/).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, Route, expect

from taramoney_payments.initiation import NOT_DELIVERED_REASON
from tests.browser.conftest import ApiRequests, CheckoutSite, save_screenshot

pytestmark = pytest.mark.browser

OUTCOME_TIMEOUT_MS = 45_000  # the webhook, or the expiry run, may take a few polls to be seen


def open_checkout(page: Page, site: CheckoutSite, product_id: str, lang: str = "fr", amount: str = "1500") -> None:
    page.goto(site.checkout_url(lang=lang, amount=amount, **{"product-id": product_id}))
    expect(page.get_by_role("textbox")).to_be_visible()


def national_spaced(number: str) -> str:
    return f"{number[0]} {number[1:3]} {number[3:5]} {number[5:7]} {number[7:9]}"


def test_a_customer_pays_with_orange_money(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str
):
    # given a customer on the checkout, typing the number the way it is printed on a card
    open_checkout(page, site, product_id)
    phone = page.get_by_label("Numéro Orange Money ou MTN MoMo")
    phone.fill("+237 " + national_spaced(success_number))

    # then the operator is named before anything is sent
    expect(page.get_by_text("Ce numéro semble être un numéro Orange Money.")).to_be_visible()
    assert api_requests.posts == []

    # when they pay
    page.get_by_role("button", name="Payer 1 500 FCFA").click()

    # then the code to dial is shown in large type, with the steps, and the focus moves there
    title = page.get_by_role("heading", name="Confirmez sur votre téléphone")
    expect(title).to_be_focused()
    expect(page.get_by_text("#150*50#", exact=True)).to_be_visible()
    expect(page.get_by_text("Code Orange Money à composer")).to_be_visible()
    expect(page.get_by_text(f"Sur le téléphone {national_spaced(success_number)}, composez #150*50#.")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("En attente de votre confirmation…")
    code_size = page.get_by_text("#150*50#", exact=True).evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert code_size >= 32
    save_screenshot(page, "pending-orange")

    # and once the customer has confirmed on the phone, the page says so by itself
    expect(page.get_by_role("heading", name="Paiement reçu", exact=True)).to_be_focused(timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("status")).to_have_text("Paiement reçu")
    expect(page.get_by_text("1 500 FCFA payés avec Orange Money")).to_be_visible()
    assert len(api_requests.posts) == 1
    assert json.loads(api_requests.posts[0].post_data or "")["phoneNumber"] == success_number
    save_screenshot(page, "success")


def test_a_failed_payment_is_reported_in_english(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str
):
    # given an English-speaking customer with an MTN number, using the keyboard only
    open_checkout(page, site, product_id, lang="en", amount="2500")
    expect(page.get_by_role("button", name="Pay FCFA 2,500")).to_be_visible()
    page.keyboard.press("Tab")
    phone = page.get_by_label("Orange Money or MTN MoMo number")
    expect(phone).to_be_focused()
    page.keyboard.type(site.failure_number)
    expect(page.get_by_text("Looks like an MTN Mobile Money number.")).to_be_visible()

    # when they pay with Enter
    page.keyboard.press("Enter")

    # then they are told to dial MTN's code
    expect(page.get_by_role("heading", name="Confirm on your phone")).to_be_focused()
    expect(page.get_by_text("*126#", exact=True)).to_be_visible()
    expect(page.get_by_text("MTN Mobile Money code to dial")).to_be_visible()

    # and when the operator refuses, the page says it failed and offers to try again
    expect(page.get_by_role("heading", name="Payment failed", exact=True)).to_be_focused(timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_text("The payment was not completed. You can try again.")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    save_screenshot(page, "failure")

    # when they try again, they are back on the number, ready for a new attempt
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_label("Orange Money or MTN MoMo number")).to_be_focused()
    assert len(api_requests.posts) == 1


def test_a_failed_payment_that_succeeds_after_all_is_not_paid_twice(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str
):
    # given a payment the operator refused, as the page shows it
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(site.failure_number)
    page.get_by_role("button", name="Pay FCFA 1,500").click()
    expect(page.get_by_role("heading", name="Payment failed", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)

    # and then the money moved after all: the API reads the payment SUCCESS now
    def paid_after_all(route: Route) -> None:
        view = route.fetch().json()
        route.fulfill(json={**view, "status": "SUCCESS", "failureReason": None})

    page.route(site.status_reads, paid_after_all)

    # when the customer presses "Try again"
    page.get_by_role("button", name="Try again").click()

    # then they see the payment received, and no second payment is started
    expect(page.get_by_role("heading", name="Payment received", exact=True)).to_be_focused()
    assert len(api_requests.posts) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("6 12 34 56 78", "Ce n'est pas un numéro mobile camerounais : vérifiez les chiffres."),
        ("2 22 12 34 56", "Ce numéro semble être un fixe : saisissez un numéro mobile qui commence par 6."),
        ("+33 6 12 34 56 78", "Seuls les numéros camerounais (+237) peuvent payer ici."),
        ("6 55 12 34", "Ce numéro est trop court : un numéro mobile camerounais a 9 chiffres."),
        ("655 123 456 7", "Ce numéro est trop long : un numéro mobile camerounais a 9 chiffres."),
        (
            "655-12a-456",
            "Utilisez uniquement des chiffres (le + initial, les espaces, points et tirets sont acceptés).",
        ),
        ("", "Saisissez le numéro mobile money qui va payer."),
        (
            "+237 6 66 12 34 56",
            "Les numéros Nexttel ne peuvent pas payer ici : utilisez un numéro Orange Money ou MTN MoMo.",
        ),
        (
            "00237 620 12 34 56",
            "Les numéros Camtel ne peuvent pas payer ici : utilisez un numéro Orange Money ou MTN MoMo.",
        ),
    ],
    ids=["unknown-prefix", "landline", "foreign", "short", "long", "letters", "empty", "nexttel", "camtel"],
)
def test_a_number_that_cannot_pay_is_refused_before_any_request(
    page: Page,
    site: CheckoutSite,
    api_requests: ApiRequests,
    product_id: str,
    success_number: str,
    typed: str,
    message: str,
):
    # given a customer who types a number that cannot pay
    open_checkout(page, site, product_id)
    phone = page.get_by_label("Numéro Orange Money ou MTN MoMo")
    phone.fill(typed)

    # when they press pay
    page.get_by_role("button", name="Payer 1 500 FCFA").click()

    # then the field says why, and keeps the focus for a correction
    expect(page.locator("#phone-error")).to_have_text(message)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_hidden()
    # and nothing reached the API
    page.wait_for_timeout(300)
    assert api_requests.posts == []
    assert site.payments_for_product(product_id) == 0
    if typed.startswith("+237 6 66"):
        save_screenshot(page, "refused-nexttel")
    if typed.startswith("6 12"):
        save_screenshot(page, "refused-invalid")

    # when they correct it, the error goes away as they type
    phone.fill(success_number)
    expect(page.locator("#phone-error")).to_be_hidden()
    expect(phone).to_have_attribute("aria-invalid", "false")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("699", "Ce numéro semble être un numéro Orange Money."),
        ("+237 65", ""),
        ("+237 652", "Ce numéro semble être un numéro MTN Mobile Money."),
        ("00237 686", "Ce numéro semble être un numéro Orange Money."),
        ("237 6.80", "Ce numéro semble être un numéro MTN Mobile Money."),
        ("6-85", "Les numéros Nexttel ne peuvent pas payer ici : utilisez un numéro Orange Money ou MTN MoMo."),
    ],
)
def test_the_operator_is_named_while_typing(page: Page, site: CheckoutSite, product_id: str, typed: str, said: str):
    # given the checkout
    open_checkout(page, site, product_id)
    # when the first digits are typed
    page.get_by_label("Numéro Orange Money ou MTN MoMo").press_sequentially(typed)
    # then the operator they point to is named (politely announced, not an error)
    guess = page.locator("#phone-operator")
    expect(guess).to_have_text(said)
    expect(guess).to_have_attribute("aria-live", "polite")


def test_a_double_click_pays_once(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str
):
    # given a customer with a valid number
    open_checkout(page, site, product_id)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)

    # when they double-click the pay button
    page.get_by_role("button", name="Payer 1 500 FCFA").dblclick()

    # then one payment is started, and they see one code to dial
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_visible()
    expect(page.get_by_text("#150*50#", exact=True)).to_have_count(1)
    expect(page.get_by_role("heading", name="Paiement reçu", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
    assert len(api_requests.posts) == 1
    assert site.payments_for_product(product_id) == 1
    save_screenshot(page, "double-click-success")


def test_the_button_is_disabled_while_the_payment_starts(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given an API that takes its time to answer
    def slow(route: Route) -> None:
        page.wait_for_timeout(1500)
        route.continue_()

    open_checkout(page, site, product_id)
    page.route(f"{site.api_url}/payments", slow)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Payer 1 500 FCFA").click()

    # then the button cannot be pressed again and says what is happening
    button = page.get_by_role("button", name="Lancement du paiement…")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_visible()


def test_a_retry_after_a_lost_answer_pays_once(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str
):
    # given a connection that drops the API's first answer after the API has acted on it
    lost = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the payment is started on the server ...
        lost.append(True)
        route.abort("connectionreset")  # ... but the page never hears of it

    open_checkout(page, site, product_id)
    page.route(f"{site.api_url}/payments", lose_first_answer)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)
    pay = page.get_by_role("button", name="Payer 1 500 FCFA")

    # when the customer pays, is told the service could not be reached, and pays again
    pay.click()
    expect(page.get_by_role("alert")).to_have_text(
        "Le service de paiement est injoignable. Vérifiez votre connexion et réessayez."
    )
    expect(pay).to_be_focused()
    pay.click()

    # then the second press picks up the same payment instead of starting another
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_visible()
    assert len(api_requests.posts) == 2
    keys = {post.headers["idempotency-key"] for post in api_requests.posts}
    assert len(keys) == 1
    assert site.payments_for_product(product_id) == 1


def test_an_unconfirmed_payment_expires(page: Page, site: CheckoutSite, product_id: str):
    # given a customer who never confirms on the phone
    open_checkout(page, site, product_id)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(site.silent_number)
    page.get_by_role("button", name="Payer 1 500 FCFA").click()
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_visible()

    # when the payment's time runs out, then the page says so and offers to start again
    expect(page.get_by_role("heading", name="Délai dépassé", exact=True)).to_be_focused(timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_text("Le paiement n'a pas été confirmé à temps. Vous pouvez recommencer.")).to_be_visible()
    expect(page.get_by_role("button", name="Réessayer")).to_be_visible()
    save_screenshot(page, "expired")


PROBLEMS = [
    (400, "MALFORMED_JSON", "The payment service could not read the request. Reload the page and try again."),
    (413, "PAYLOAD_TOO_LARGE", "The payment request is too large. Please contact the shop."),
    (
        422,
        "VALIDATION_ERROR",
        "The shop sent details the payment service refused (productPrice). Please contact the shop.",
    ),
    (
        409,
        "IDEMPOTENCY_KEY_REUSED",
        "This attempt was already used with other details. Press the button again to start anew.",
    ),
    (409, "REQUEST_IN_PROGRESS", "Your payment is still being started. Please wait a moment and try again."),
    (
        429,
        "TOO_MANY_PENDING_PAYMENTS",
        "This number already has payments waiting for confirmation. Confirm or refuse them on your phone,"
        " or wait a few minutes, then try again.",
    ),
    (
        502,
        "PROVIDER_UNAVAILABLE",
        "The mobile money service is not answering right now. No payment was made: try again in a few minutes.",
    ),
    (
        503,
        "SERVICE_UNAVAILABLE",
        "The payment service is briefly unavailable. No payment was made: try again in a few seconds.",
    ),
    (500, "INTERNAL_ERROR", "Something went wrong (error 500). Please try again."),
]


def fulfil_problem(route: Route, status: int, code: str, **extra: object) -> None:
    body = {"type": "about:blank", "title": code, "status": status, "detail": code, "code": code, **extra}
    route.fulfill(status=status, content_type="application/problem+json", body=json.dumps(body))


def payment_view(payment_id: str, phone_number: str, **fields: object) -> dict[str, object]:
    """What ``GET /payments/{id}`` answers for a 1 500 FCFA T-shirt: PENDING, no code, unless ``fields`` say."""
    view = {"paymentId": payment_id, "status": "PENDING", "productName": "T-shirt", "productPrice": 1500}
    return {**view, "phoneNumber": phone_number, "vendor": None, "ussdCode": None, **fields}


@pytest.mark.parametrize(("status", "code", "message"), PROBLEMS, ids=[code for _, code, _ in PROBLEMS])
def test_each_refusal_of_the_api_has_a_clear_message(
    page: Page, site: CheckoutSite, product_id: str, success_number: str, status: int, code: str, message: str
):
    # given an API that refuses the payment with this problem
    extra = {"errors": [{"field": "productPrice", "message": "too small"}]} if code == "VALIDATION_ERROR" else {}
    page.route(f"{site.api_url}/payments", lambda route: fulfil_problem(route, status, code, **extra))
    page.clock.install()  # REQUEST_IN_PROGRESS is retried after a pause: let the test skip the waiting
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Pay FCFA 1,500").click()
    if code == "REQUEST_IN_PROGRESS":
        # each retry waits for its answer before its pause starts: skip pauses until the retries give up
        give_up_at = time.monotonic() + 20
        while page.get_by_role("alert").count() == 0 and time.monotonic() < give_up_at:
            time.sleep(0.2)
            page.clock.run_for(6_000)

    # then the refusal is announced in words they can act on, and they can try again
    expect(page.get_by_role("alert")).to_have_text(message)
    expect(page.get_by_role("button", name="Pay FCFA 1,500")).to_be_enabled()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("INVALID_PHONE_NUMBER", "This is not a valid Cameroon mobile number."),
        ("UNSUPPORTED_OPERATOR", "Only Orange Money and MTN MoMo numbers can pay here."),
    ],
)
def test_a_number_the_api_refuses_is_marked_on_the_field(
    page: Page, site: CheckoutSite, product_id: str, success_number: str, code: str, message: str
):
    # given an API that refuses the number (its table may be newer than the page's)
    page.route(f"{site.api_url}/payments", lambda route: fulfil_problem(route, 422, code))
    open_checkout(page, site, product_id, lang="en")
    phone = page.get_by_label("Orange Money or MTN MoMo number")
    phone.fill(success_number)

    # when the customer pays, then the field carries the message and the focus
    page.get_by_role("button", name="Pay FCFA 1,500").click()
    expect(page.locator("#phone-error")).to_have_text(message)
    expect(phone).to_be_focused()
    expect(phone).to_have_attribute("aria-invalid", "true")


def test_a_payment_the_provider_rejects_shows_the_operators_reason(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given a provider that refuses the order at once
    payment_id = "rejected-payment-id"
    view = payment_view(
        payment_id, success_number, status="FAILURE", vendor="ORANGE_CAMEROON", failureReason="Solde insuffisant"
    )
    page.route(
        f"{site.api_url}/payments",
        lambda route: fulfil_problem(route, 502, "PROVIDER_REJECTED", paymentId=payment_id),
    )
    page.route(f"{site.api_url}/payments/{payment_id}", lambda route: route.fulfill(json=view))
    open_checkout(page, site, product_id)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Payer 1 500 FCFA").click()

    # then they read that it failed, and why
    expect(page.get_by_role("heading", name="Le paiement a échoué", exact=True)).to_be_focused()
    expect(page.get_by_text("Message de l'opérateur : Solde insuffisant")).to_be_visible()
    expect(page.get_by_text(re.compile(f"Référence : {payment_id}"))).to_be_visible()
    save_screenshot(page, "provider-rejected")


def test_a_provider_slow_to_answer_leaves_the_payment_watched(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given a provider that timed out: the payment exists, PENDING, without a code to show
    payment_id = "slow-payment-id"
    view = payment_view(payment_id, success_number)
    page.route(
        f"{site.api_url}/payments",
        lambda route: fulfil_problem(route, 504, "PROVIDER_UNAVAILABLE", paymentId=payment_id),
    )
    page.route(f"{site.api_url}/payments/{payment_id}", lambda route: route.fulfill(json=view))
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    # then the page keeps watching the payment and tells them what to look for
    expect(page.get_by_role("heading", name="Confirm on your phone")).to_be_visible()
    expect(page.get_by_text(re.compile("The operator is slow to answer"))).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Waiting for your confirmation…")


@pytest.mark.parametrize("first_read", ["lost", "already paid"])
def test_a_provider_timeout_never_invites_a_second_payment(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str, first_read: str
):
    # given a provider that timed out (the order may have reached it), then a payment the
    # customer confirms: the page's first read of it is lost on the way, or already says so
    payment_id = "timed-out-payment-id"
    paid = payment_view(payment_id, success_number, status="SUCCESS", vendor="ORANGE_CAMEROON")
    reads = []

    def read_payment(route: Route) -> None:
        reads.append(True)
        if first_read == "lost" and len(reads) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(json=paid)

    page.route(
        f"{site.api_url}/payments",
        lambda route: fulfil_problem(route, 504, "PROVIDER_UNAVAILABLE", paymentId=payment_id),
    )
    page.route(f"{site.api_url}/payments/{payment_id}", read_payment)
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    # then the page follows that payment to its outcome, and never says nothing was paid
    expect(page.get_by_role("heading", name="Payment received", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
    assert page.get_by_text(re.compile("No payment was made")).count() == 0
    assert len(api_requests.posts) == 1


@pytest.mark.parametrize(
    ("status", "failure_reason", "said"),
    [
        (
            502,
            NOT_DELIVERED_REASON,  # the API's reason for an order that never left: the page must know it
            "The mobile money service is not answering right now. No payment was made: try again in a few minutes.",
        ),
        (502, "Transaction refusée par le client", None),
        (504, "Transaction refusée par le client", None),
    ],
    ids=["never sent", "refused after an unusable answer", "refused after a time-out"],
)
def test_a_payment_failed_after_a_provider_error_is_told_as_it_ended(
    page: Page,
    site: CheckoutSite,
    api_requests: ApiRequests,
    product_id: str,
    success_number: str,
    status: int,
    failure_reason: str,
    said: str | None,
):
    # given a provider error naming a payment that has failed by the time the page reads it:
    # closed because the order never reached the operator, or refused on the phone meanwhile
    # (after an unusable answer, 502, or a time-out, 504): the reason tells them apart
    payment_id = "failed-after-an-error-id"
    failed = payment_view(payment_id, success_number, status="FAILURE", failureReason=failure_reason)
    page.route(
        f"{site.api_url}/payments",
        lambda route: fulfil_problem(route, status, "PROVIDER_UNAVAILABLE", paymentId=payment_id),
    )
    page.route(f"{site.api_url}/payments/{payment_id}", lambda route: route.fulfill(json=failed))
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)

    # when the customer pays
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    if said is not None:
        # then an order that never left is said so, and a new attempt may start at once
        expect(page.get_by_role("alert")).to_have_text(said)
        expect(page.get_by_role("button", name="Pay FCFA 1,500")).to_be_enabled()
    else:
        # then a refusal is the payment's outcome, with the operator's words, not "nothing was paid"
        expect(page.get_by_role("heading", name="Payment failed", exact=True)).to_be_focused()
        expect(page.get_by_text(f"The operator said: {failure_reason}")).to_be_visible()
        assert page.get_by_text(re.compile("No payment was made")).count() == 0
    assert len(api_requests.posts) == 1


def test_a_payment_that_vanishes_while_watched_is_reported(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given a payment that the API no longer knows while the page polls it
    open_checkout(page, site, product_id, lang="en")
    page.route(
        site.status_reads,
        lambda route: fulfil_problem(route, 404, "PAYMENT_NOT_FOUND"),
    )
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)

    # when the customer pays and the page asks for the status
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    # then they are told to contact the shop
    expect(page.get_by_role("alert")).to_have_text("This payment can no longer be found. Please contact the shop.")
    expect(page.get_by_role("heading", name="Payment failed", exact=True)).to_be_visible()


def test_a_shop_on_another_origin_can_embed_it(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str
):
    # given the checkout on a page of another origin than the API's (CORS, with a preflight for Idempotency-Key)
    shop_origin = site.origin.replace("127.0.0.1", "localhost")
    assert shop_origin != site.api_url
    page.goto(site.checkout_url(**{"product-id": product_id}).replace(site.origin, shop_origin, 1))
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)

    # when the customer pays, then the payment starts and completes as on the API's own origin
    page.get_by_role("button", name="Payer 1 500 FCFA").click()
    expect(page.get_by_text("#150*50#", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Paiement reçu", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
    assert site.payments_for_product(product_id) == 1


def test_a_lost_connection_while_waiting_is_said_and_recovered(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given a customer waiting for the confirmation, whose connection drops
    open_checkout(page, site, product_id, lang="en")
    status_reads = site.status_reads
    page.route(status_reads, lambda route: route.abort("internetdisconnected"))
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    # then the status says the page is trying again
    expect(page.get_by_role("status")).to_have_text("Connection lost, checking again…")

    # and when the connection comes back, the outcome shows without anything to do
    page.unroute(status_reads)
    expect(page.get_by_role("heading", name="Payment received", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)


# How long the page waits on a request the network swallowed (checkout.js): a status read,
# and the start of a payment (past the 30 s API Gateway gives the API).
READ_TIMEOUT_MS = 10_000
START_TIMEOUT_MS = 35_000


def swallow(route: Route) -> None:
    """Neither answer nor refuse: the request hangs, as one a phone between two cells sent."""


def stop_the_clock(page: Page) -> None:
    """The page's time moves only by ``fast_forward`` from here on (``page.clock.install()`` first)."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1)


def test_a_status_read_the_network_swallows_is_given_up_and_tried_again(
    page: Page, site: CheckoutSite, product_id: str, success_number: str
):
    # given a customer waiting for the confirmation, whose first status read goes unanswered
    page.clock.install()
    open_checkout(page, site, product_id, lang="en")
    status_reads = site.status_reads
    page.route(status_reads, swallow)
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)
    stop_the_clock(page)
    page.get_by_role("button", name="Pay FCFA 1,500").click()
    expect(page.get_by_role("heading", name="Confirm on your phone")).to_be_visible()
    with page.expect_request(status_reads):
        page.clock.fast_forward(1_100)  # the first read, 1 s after the code was shown (and up to 10% more)

    # when no answer comes, the page waits for it up to the read timeout, and no longer
    page.clock.fast_forward(READ_TIMEOUT_MS - 1_000)
    expect(page.get_by_role("status")).to_have_text("Waiting for your confirmation…")
    page.clock.fast_forward(1_000)

    # then it says it is checking again, and when answers come back, shows the outcome
    expect(page.get_by_role("status")).to_have_text("Connection lost, checking again…")
    page.unroute(status_reads)
    page.clock.resume()
    expect(page.get_by_role("heading", name="Payment received", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)


def test_try_again_is_not_held_up_by_a_read_the_network_swallows(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str
):
    # given a failed payment, and a connection that swallows the read "Try again" makes first
    page.clock.install()
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill(site.failure_number)
    page.get_by_role("button", name="Pay FCFA 1,500").click()
    expect(page.get_by_role("heading", name="Payment failed", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
    status_reads = site.status_reads
    page.route(status_reads, swallow)
    again = page.get_by_role("button", name="Try again")
    stop_the_clock(page)
    with page.expect_request(status_reads):
        again.click()

    # when no answer comes, the button waits for it up to the read timeout, and no longer
    page.clock.fast_forward(READ_TIMEOUT_MS - 1_000)
    expect(again).to_be_disabled()
    page.clock.fast_forward(1_000)

    # then the customer is back on the number, free to start a new attempt
    expect(page.get_by_label("Orange Money or MTN MoMo number")).to_be_focused()
    assert len(api_requests.posts) == 1


def test_a_start_whose_answer_the_network_swallows_is_given_up_and_the_next_press_pays_once(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str
):
    # given a connection that swallows the answer to the first request starting the payment
    swallowed: list[Route] = []

    def swallow_first_answer(route: Route) -> None:
        if swallowed:
            route.continue_()
            return
        swallowed.append(route)
        route.fetch()  # the payment is started on the server, and its answer never arrives

    page.clock.install()
    open_checkout(page, site, product_id)
    page.route(f"{site.api_url}/payments", swallow_first_answer)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill(success_number)
    pay = page.get_by_role("button", name="Payer 1 500 FCFA")
    stop_the_clock(page)
    with page.expect_request(f"{site.api_url}/payments"):
        pay.click()

    # when no answer comes, the page waits for it past the time the API has to answer, and no longer
    page.clock.fast_forward(START_TIMEOUT_MS - 1_000)
    expect(page.get_by_role("button", name="Lancement du paiement…")).to_be_disabled()
    page.clock.fast_forward(1_000)

    # then the customer is told the service could not be reached, and pressing again pays once
    expect(page.get_by_role("alert")).to_have_text(
        "Le service de paiement est injoignable. Vérifiez votre connexion et réessayez."
    )
    page.clock.resume()
    pay.click()
    expect(page.get_by_role("heading", name="Confirmez sur votre téléphone")).to_be_visible()
    assert len(api_requests.posts) == 2
    assert len({post.headers["idempotency-key"] for post in api_requests.posts}) == 1
    assert site.payments_for_product(product_id) == 1


@pytest.mark.parametrize("amount", ["12.5", "abc", "-100"])
def test_a_checkout_set_up_wrong_says_so_and_sends_nothing(
    page: Page, site: CheckoutSite, api_requests: ApiRequests, product_id: str, success_number: str, amount: str
):
    # given a shop that put a wrong amount on the element
    open_checkout(page, site, product_id, lang="en", amount=amount)

    # then the customer is told, and cannot pay
    expect(page.get_by_role("alert")).to_have_text("This checkout is not set up correctly. Please contact the shop.")
    page.get_by_label("Orange Money or MTN MoMo number").fill(success_number)
    page.get_by_label("Orange Money or MTN MoMo number").press("Enter")
    expect(page.get_by_role("button", name="Pay")).to_be_disabled()
    page.wait_for_timeout(300)
    assert api_requests.posts == []


def test_an_order_the_operator_refuses_at_once_is_a_failure(page: Page, site: CheckoutSite, product_id: str):
    # given a number the operator refuses at initiation (the simulator's ...000003: 502 PROVIDER_REJECTED)
    open_checkout(page, site, product_id)
    page.get_by_label("Numéro Orange Money ou MTN MoMo").fill("690000003")

    # when the customer pays
    page.get_by_role("button", name="Payer 1 500 FCFA").click()

    # then no code to dial: the failure at once, with the operator's code for support and a reference
    expect(page.get_by_role("heading", name="Le paiement a échoué", exact=True)).to_be_focused()
    expect(page.get_by_text("Code : SUBSCRIBER_NOT_ELIGIBLE_FOR_PAYMENT")).to_be_visible()
    expect(page.get_by_text(re.compile("^Référence : "))).to_be_visible()
    assert site.payments_for_product(product_id) == 1
    save_screenshot(page, "refused-by-operator")


def test_an_operator_slow_to_answer_still_ends_in_a_payment(page: Page, site: CheckoutSite, product_id: str):
    # given an operator that answers after the API gave up waiting (the simulator's ...000006: 504, still PENDING)
    open_checkout(page, site, product_id, lang="en")
    page.get_by_label("Orange Money or MTN MoMo number").fill("690000006")

    # when the customer pays
    page.get_by_role("button", name="Pay FCFA 1,500").click()

    # then the page keeps watching the payment, says what to look for, and shows the outcome
    expect(page.get_by_text(re.compile("^The operator is slow to answer"))).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Payment received", exact=True)).to_be_visible(timeout=OUTCOME_TIMEOUT_MS)
