"""Reconciliation before expiry: Taramoney's status look-up believed only when it clearly names the payment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from taramoney_payments.aws import aws_client
from taramoney_payments.clock import utc_now
from taramoney_payments.credentials import MerchantCredentials
from taramoney_payments.expiry import ExpiryIncomplete, PaymentExpirer
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.reconciliation import ProviderVerdict, Reconciler, TaramoneyStatusClient
from taramoney_payments.repository import PaymentRepository
from taramoney_payments.services import settle_from_provider
from tests.payment_writes import new_payment, store_pending

CREDENTIALS = MerchantCredentials(api_key="key", business_id="business", webhook_signing_key="signing")
STATUS_PATH = "/api/tara/transactions/status"


def status_client(httpserver: HTTPServer) -> TaramoneyStatusClient:
    return TaramoneyStatusClient(httpserver.url_for(STATUS_PATH), connect_timeout=1, read_timeout=1)


@pytest.fixture
def payment() -> Payment:
    return new_payment(phone_number="655123456")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param({"status": "SUCCESS", "phoneNumber": "+237 655 12 34 56", "amount": "100"}, "SUCCESS", id="paid"),
        pytest.param({"status": "failure", "phoneNumber": "655123456"}, "FAILURE", id="failed-any-case"),
        pytest.param({"status": "SUCCESS", "phoneNumber": "677001122", "amount": "100"}, None, id="someone-else"),
        pytest.param({"status": "SUCCESS", "phoneNumber": "655123456", "amount": "5000"}, None, id="other-amount"),
        pytest.param({"status": "SUCCESS"}, None, id="names-no-one"),
        pytest.param({"status": "ERROR", "message": "PAYMENT_FOR_TRANSACTION_NOT_FOUND"}, None, id="not-found"),
    ],
)
def test_a_verdict_is_believed_only_when_it_names_the_payment(
    httpserver: HTTPServer, payment: Payment, answer: dict[str, Any], expected: str | None
) -> None:
    # given Taramoney's answer to a look-up by the payment's product
    httpserver.expect_request(
        STATUS_PATH, method="POST", json={"apiKey": "key", "businessId": "business", "productId": "product-456"}
    ).respond_with_json(answer)
    # when the payment is looked up
    verdict = status_client(httpserver).look_up(payment, CREDENTIALS)
    # then only a clear answer about this payment counts
    assert (verdict.status.value if verdict else None) == expected


def test_an_unavailable_endpoint_is_unknown(httpserver: HTTPServer, payment: Payment) -> None:
    httpserver.expect_request(STATUS_PATH).respond_with_data("oops", status=502)
    assert status_client(httpserver).look_up(payment, CREDENTIALS) is None
    assert (
        TaramoneyStatusClient("http://127.0.0.1:9/status", connect_timeout=1, read_timeout=1).look_up(
            payment, CREDENTIALS
        )
        is None
    )


class Settlements:
    def __init__(self, fail: bool = False) -> None:
        self.applied: list[tuple[str, PaymentStatus]] = []
        self.fail = fail

    def __call__(self, payment: Payment, verdict: ProviderVerdict) -> None:
        if self.fail:
            raise RuntimeError("settlement unavailable")
        self.applied.append((payment.payment_id, verdict.status))


@pytest.fixture
def repository(function_env: dict[str, str]) -> PaymentRepository:
    return PaymentRepository(aws_client("dynamodb"), function_env["PAYMENTS_TABLE_NAME"])


def overdue(repository: PaymentRepository) -> Payment:
    return store_pending(repository, new_payment(created_at=utc_now() - timedelta(minutes=30)))


def test_a_payment_taramoney_knows_is_settled_instead_of_expired(
    httpserver: HTTPServer, repository: PaymentRepository
) -> None:
    # given an overdue payment that Taramoney says was paid
    payment = overdue(repository)
    httpserver.expect_request(STATUS_PATH).respond_with_json({"status": "SUCCESS", "phoneNumber": "655123456"})
    settlements = Settlements()
    reconciler = Reconciler(status_client(httpserver), lambda: CREDENTIALS, settlements)
    # when the expiry run comes
    run = PaymentExpirer(repository, max_per_run=10, reconciler=reconciler).expire_due()
    # then the verdict is handed to settlement and the payment is not expired
    assert run.summary() == {"expired": 0, "settledFirst": 0, "failed": 0, "reconciled": 1}
    assert settlements.applied == [(payment.payment_id, PaymentStatus.SUCCESS)]
    assert repository.get(payment.payment_id).status is PaymentStatus.PENDING  # type: ignore[union-attr]


def test_a_payment_taramoney_does_not_know_expires_as_usual(
    httpserver: HTTPServer, repository: PaymentRepository
) -> None:
    payment = overdue(repository)
    httpserver.expect_request(STATUS_PATH).respond_with_json(
        {"status": "ERROR", "message": "PAYMENT_FOR_TRANSACTION_NOT_FOUND"}
    )
    settlements = Settlements()
    reconciler = Reconciler(status_client(httpserver), lambda: CREDENTIALS, settlements)
    run = PaymentExpirer(repository, max_per_run=10, reconciler=reconciler).expire_due()
    assert run.expired == [payment.payment_id]
    assert settlements.applied == []


def test_a_verdict_that_cannot_be_applied_leaves_the_payment_pending_for_the_next_run(
    httpserver: HTTPServer, repository: PaymentRepository
) -> None:
    # given Taramoney says the overdue payment was paid, but applying that fails
    payment = overdue(repository)
    httpserver.expect_request(STATUS_PATH).respond_with_json({"status": "SUCCESS", "phoneNumber": "655123456"})
    reconciler = Reconciler(status_client(httpserver), lambda: CREDENTIALS, Settlements(fail=True))
    # when the run comes, then it reports failure and does not hide the money behind EXPIRED
    with pytest.raises(ExpiryIncomplete):
        PaymentExpirer(repository, max_per_run=10, reconciler=reconciler).expire_due()
    assert repository.get(payment.payment_id).status is PaymentStatus.PENDING  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "failure_reason"),
    [("Solde insuffisant", "Solde insuffisant"), ("", "PROVIDER_REPORTED_FAILURE")],
    ids=["with Taramoney's words", "without"],
)
def test_a_failure_taramoney_reports_says_why_as_a_webhook_would(
    repository: PaymentRepository, message: str, failure_reason: str
) -> None:
    # given an overdue payment Taramoney's status look-up says failed, with or without a message
    payment = overdue(repository)
    verdict = ProviderVerdict(status=PaymentStatus.FAILURE, message=message, answer={"status": "FAILURE"})
    # when the verdict is applied
    settle_from_provider(payment, verdict)
    # then the payment failed, and says why: a failure is never left without a reason
    failed = repository.get(payment.payment_id)
    assert failed is not None
    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILURE, failure_reason)
