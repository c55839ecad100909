"""A payment's whole journey through the local stack, as a frontend, Taramoney and a consumer see it.

Test numbers choose what the Taramoney simulator does (README, "Test numbers"):
``...000001`` success, ``...000002`` failure, ``...000003`` refused at initiation,
``...000004`` no webhook, ``...000005`` webhook delivered twice, ``...000006`` slow answer.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.local_stack_session import PAYMENT_TIMEOUT_SECONDS, Client, EventInbox, RunningStack

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("phone_number", "vendor", "ussd_code"),
    [("650000001", "MTN_CAMEROON", "*126#"), ("+237 690 00 00 01", "ORANGE_CAMEROON", "#150*50#")],
)
def test_a_paid_payment_goes_from_post_to_ussd_code_to_success_to_the_event(
    client: Client, inbox: EventInbox, phone_number: str, vendor: str, ussd_code: str
) -> None:
    # given a customer paying with a number whose owner confirms on the phone
    # when the frontend starts the payment
    answer = client.start(phone_number, metadata={"orderId": "A-17"})

    # then it gets the USSD code to dial, and the payment is PENDING
    assert answer.status_code == 201, answer.text
    payment = answer.json()
    assert answer.headers["Location"] == f"/payments/{payment['paymentId']}"
    assert (payment["status"], payment["vendor"], payment["ussdCode"]) == ("PENDING", vendor, ussd_code)
    # and once Taramoney's webhook arrived, the payment is SUCCESS
    paid = client.wait_for_status(payment["paymentId"], "SUCCESS")
    assert paid["completedAt"] is not None
    assert paid["metadata"] == {"orderId": "A-17"}
    # and downstream systems got one "Payment Succeeded" event carrying the payment
    event = inbox.wait_for(payment["paymentId"], "Payment Succeeded")
    assert event["source"] == "taramoney.payments"
    assert event["detail"]["status"] == "SUCCESS"
    assert event["detail"]["previousStatus"] == "PENDING"
    assert event["detail"]["eventId"] == f"{payment['paymentId']}:SUCCESS"
    assert event["detail"]["metadata"] == {"orderId": "A-17"}


def test_a_declined_payment_ends_in_failure_with_its_event(client: Client, inbox: EventInbox) -> None:
    # given a customer who declines on the phone
    payment = client.start("650000002").json()

    # then the webhook's FAILURE settles the payment and is announced
    client.wait_for_status(payment["paymentId"], "FAILURE")
    event = inbox.wait_for(payment["paymentId"], "Payment Failed")
    assert event["detail"]["status"] == "FAILURE"


def test_an_order_taramoney_refuses_is_a_502_problem_and_a_failed_payment(client: Client, inbox: EventInbox) -> None:
    # when Taramoney refuses the order itself (FAILURE at HTTP 200)
    answer = client.start("650000003")

    # then the client gets a problem naming the payment, stored as FAILURE with Taramoney's message
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "PROVIDER_REJECTED"
    failed = client.get(problem["paymentId"]).json()
    assert failed["status"] == "FAILURE"
    assert failed["failureReason"] == "SUBSCRIBER_NOT_ELIGIBLE_FOR_PAYMENT"
    assert inbox.wait_for(problem["paymentId"], "Payment Failed")["detail"]["previousStatus"] == "PENDING"


def test_a_payment_nobody_confirms_expires_at_its_deadline(client: Client, inbox: EventInbox) -> None:
    # given a payment whose webhook never comes
    payment = client.start("650000004").json()
    assert payment["status"] == "PENDING"

    # when its deadline passes, the expiry schedule closes it
    expired = client.wait_for_status(payment["paymentId"], "EXPIRED", timeout=PAYMENT_TIMEOUT_SECONDS + 10)

    # then it is EXPIRED and announced as such
    assert expired["updatedAt"] >= expired["expiresAt"]
    assert inbox.wait_for(payment["paymentId"], "Payment Expired")["detail"]["status"] == "EXPIRED"


def test_a_webhook_delivered_twice_gives_one_event(client: Client, inbox: EventInbox) -> None:
    # given Taramoney delivers the same SUCCESS twice (a manual resend)
    payment = client.start("650000005").json()
    client.wait_for_status(payment["paymentId"], "SUCCESS")
    deadline = time.monotonic() + 10
    while len(client.deliveries(payment["paymentId"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)

    # then both deliveries are acknowledged
    deliveries = client.deliveries(payment["paymentId"])
    assert [d["status"] for d in deliveries] == [200, 200]
    # and consumers see the payment succeed once
    inbox.wait_for(payment["paymentId"], "Payment Succeeded")
    time.sleep(2)  # room for a wrong second event to arrive
    assert len(inbox.of(payment["paymentId"])) == 1


def test_a_forged_webhook_is_refused_and_changes_nothing(stack: RunningStack, client: Client) -> None:
    # given a pending payment
    payment = client.start("690000004").json()

    # when someone who knows its id, but not its token, posts a SUCCESS
    forged = requests.post(
        f"{stack.webhook}/payments/{payment['paymentId']}/not-the-token",
        json={
            "businessId": "local-business",
            "paymentId": "forged",
            "collectionId": "1",
            "phoneNumber": "690000004",
            "creationDate": "2026-11-28T10:00:00.000+01:00",
            "changeDate": "2026-11-28T10:00:01.000+01:00",
            "status": "SUCCESS",
        },
        timeout=10,
    )

    # then it is refused and the payment is still waiting
    assert forged.status_code == 401
    assert client.get(payment["paymentId"]).json()["status"] == "PENDING"


def test_a_slow_taramoney_leaves_the_payment_pending_until_its_webhook(client: Client) -> None:
    # when Taramoney answers after the API's read timeout
    answer = client.start("650000006")

    # then the client is told the provider timed out, and the payment is not lost
    assert answer.status_code == 504
    problem = answer.json()
    assert problem["code"] == "PROVIDER_UNAVAILABLE"
    # and the webhook that follows settles it
    client.wait_for_status(problem["paymentId"], "SUCCESS", timeout=PAYMENT_TIMEOUT_SECONDS + 10)


def test_browsers_get_the_cors_answers_the_template_configures(stack: RunningStack) -> None:
    # when a browser asks before posting from another origin
    preflight = requests.options(
        f"{stack.api}/payments",
        headers={
            "Origin": "https://shop.example.cm",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
        timeout=10,
    )

    # then the API allows it (AllowedOrigins is * locally)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"]
    # and the Location header is readable from the page
    created = requests.post(
        f"{stack.api}/payments",
        json={"productId": "p", "productName": "n", "productPrice": 100, "phoneNumber": "670000001"},
        headers={"Origin": "https://shop.example.cm"},
        timeout=30,
    )
    assert created.headers["Access-Control-Expose-Headers"] == "location"


def test_an_unknown_payment_is_a_404_problem(client: Client) -> None:
    answer = client.get("no-such-payment")

    assert answer.status_code == 404
    assert answer.json()["code"] == "PAYMENT_NOT_FOUND"
