"""POST /payments when something fails part-way: after Taramoney took (or refused) the order.

Once Taramoney has an order, the phone is being prompted: an answer that makes the
client retry would prompt the customer a second time. Each case reads as what the
client sees and what is left in the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from taramoney_payments.aws import FAIL_FAST_TRY_SECONDS, fail_fast_aws_client
from taramoney_payments.invocation import ANSWER_SECONDS
from taramoney_payments.models import PaymentStatus
from taramoney_payments.services import payment_initiator, taramoney_client
from tests.captured_output import Capture
from tests.conftest import reset_service_caches
from tests.integration.payments_api_harness import (
    ORANGE_ACCEPTS,
    TARAMONEY_PATH,
    Answer,
    Api,
    Store,
    assert_problem,
    payment_body,
)
from tests.integration.secrets_outage import watch_secrets_manager
from tests.integration.webhook_support import force_status
from tests.lambda_runtime import LambdaContext

Matcher = Callable[[dict[str, Any]], bool]


@pytest.fixture
def taramoney(httpserver: HTTPServer) -> HTTPServer:
    return httpserver


@pytest.fixture
def api(function_env: dict[str, str], taramoney: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("TARAMONEY_API_URL", taramoney.url_for(TARAMONEY_PATH))
    reset_service_caches()
    return Api()


@pytest.fixture
def store(function_env: dict[str, str]) -> Store:
    return Store(function_env["PAYMENTS_TABLE_NAME"], function_env["IDEMPOTENCY_TABLE_NAME"])


@pytest.fixture
def failing_updates(api: Api) -> Iterator[list[Matcher]]:
    """DynamoDB ``UpdateItem`` calls that match one of the listed tests fail with an internal error."""
    matchers: list[Matcher] = []

    def fail_if_matched(params: dict[str, Any], **_: Any) -> None:
        if any(matches(params) for matches in matchers):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")

    client = fail_fast_aws_client("dynamodb")
    client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", fail_if_matched)
    yield matchers
    client.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", fail_if_matched)


def storing_the_ussd_code(params: dict[str, Any]) -> bool:
    return "ussdCode" in params.get("UpdateExpression", "")


def closing_the_payment(params: dict[str, Any]) -> bool:
    return ":closed" in params.get("ExpressionAttributeValues", {})


def saving_the_idempotent_answer(function_env: dict[str, str]) -> Matcher:
    return lambda params: params.get("TableName") == function_env["IDEMPOTENCY_TABLE_NAME"]


def test_an_accepted_order_whose_ussd_code_cannot_be_stored_is_still_created_pending(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher]
) -> None:
    # given Taramoney accepts the order, but the table fails when its answer is kept
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    failing_updates.append(storing_the_ussd_code)
    # when a payment is started
    answer = api.post()
    # then the client is told the payment is PENDING (the webhook settles it), with the USSD code to show
    assert answer.status == 201, answer.text
    payment = answer.json
    assert payment["status"] == "PENDING"
    assert (payment["vendor"], payment["ussdCode"]) == ("ORANGE_CAMEROON", "#150*50#")
    assert answer.headers["location"] == f"/payments/{payment['paymentId']}"
    # and the stored payment is that PENDING payment, holding its phone's slot
    stored = store.stored_payment(payment["paymentId"])
    assert stored["status"] == "PENDING"
    assert payment["paymentId"] in store.phone_slots("655123456")
    assert len(taramoney.log) == 1


def test_a_retry_of_an_accepted_order_whose_ussd_code_was_not_stored_prompts_no_one_again(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher]
) -> None:
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    failing_updates.append(storing_the_ussd_code)
    first = api.post(key="order-1")
    again = api.post(key="order-1")
    assert first.status == again.status == 201
    assert again.json["paymentId"] == first.json["paymentId"]
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


def start_with_an_answer_not_kept(
    api: Api, taramoney: HTTPServer, failing_updates: list[Matcher], function_env: dict[str, str]
) -> Answer:
    """Start a payment Taramoney accepts, keyed ``order-1``, while the idempotency table fails to keep the answer.

    The key's record stays in progress; the table answers again afterwards.
    """
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    failing_updates.append(saving_the_idempotent_answer(function_env))
    answer = api.post(key="order-1")
    failing_updates.clear()
    return answer


def test_an_answer_whose_idempotency_record_cannot_be_saved_is_still_the_payment(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher], function_env: dict[str, str]
) -> None:
    # given Taramoney accepts, and the idempotency table fails when the answer is saved
    # when a payment is started with a key
    answer = start_with_an_answer_not_kept(api, taramoney, failing_updates, function_env)
    # then the client gets its payment, not an error that would make it start a second one
    assert answer.status == 201, answer.text
    payment = answer.json
    assert (payment["status"], payment["ussdCode"]) == ("PENDING", "#150*50#")
    assert [item["paymentId"] for item in store.payment_items()] == [payment["paymentId"]]
    # and a retry while the record is still in progress starts nothing
    assert_problem(api.post(key="order-1"), 409, "REQUEST_IN_PROGRESS")
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


def test_a_refusal_whose_failure_cannot_be_stored_is_still_answered_naming_the_payment(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher]
) -> None:
    # given Taramoney refuses the order, and the table fails when the payment is closed
    taramoney.expect_request(TARAMONEY_PATH).respond_with_json({"status": "FAILURE", "message": "INVALID_PHONE"})
    failing_updates.append(closing_the_payment)
    # when a payment is started
    problem = assert_problem(api.post(), 502, "PROVIDER_REJECTED")
    # then the refusal names the payment, which stays PENDING for the expiry run to close
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "PENDING"
    assert stored["awaitingExpiry"] == "PENDING"


def test_an_answer_that_breaks_the_client_unexpectedly_leaves_the_payment_pending_and_named(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given Taramoney answering something the JSON reader cannot even read (nested too deep)
    taramoney.expect_request(TARAMONEY_PATH).respond_with_data(
        "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    # when a payment is started with a key
    first = api.post(key="order-1")
    # then the order may have reached Taramoney: the answer names the payment, which stays PENDING
    problem = assert_problem(first, 502, "PROVIDER_UNAVAILABLE")
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "PENDING"
    # and a retry with the key gets the same answer rather than a second order
    assert api.post(key="order-1").json == problem
    assert len(taramoney.log) == 1


def test_a_retry_after_the_keys_record_lapsed_in_progress_orders_nothing_again(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher], function_env: dict[str, str]
) -> None:
    # given a first request whose answer could not be kept (the idempotency table failed, or the
    # container died after Taramoney took the order), so its key's record stayed in progress
    first = start_with_an_answer_not_kept(api, taramoney, failing_updates, function_env)
    # and that record's in-progress lease is over
    lapse_in_progress_leases(store)
    # when the client tries again with the key
    again = api.post(key="order-1")
    # then it is the same payment: no second order, no second prompt on the customer's phone
    assert again.status == 201, again.text
    assert again.json["paymentId"] == first.json["paymentId"]
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


def lapse_in_progress_leases(store: Store) -> None:
    """As if the containers holding these keys' records had died and their leases run out."""
    for record in store.idempotency_records():
        store.idempotency.update_item(
            Key={"id": record["id"]},
            UpdateExpression="SET in_progress_expiration = :past",
            ExpressionAttributeValues={":past": 1},
        )


def forget_idempotency_records(store: Store) -> None:
    """As if the keys' 24 hours were over: their records gone."""
    for record in store.idempotency_records():
        store.idempotency.delete_item(Key={"id": record["id"]})


class ContainerDied(BaseException):
    """The Lambda runtime stopping a request mid-way (timeout, crash): no except clause of ours runs."""


def test_a_retry_after_the_first_request_died_before_taramoney_answered_is_told_the_outcome_is_unknown(
    api: Api, taramoney: HTTPServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a first request that stored its payment and then died while calling Taramoney
    from taramoney_payments import initiation

    def dies(*_: Any, **__: Any) -> None:
        raise ContainerDied

    with monkeypatch.context() as patched:
        patched.setattr(initiation.PaymentInitiator, "_place_order", dies)
        with pytest.raises(ContainerDied):
            api.post(key="order-1")
    lapse_in_progress_leases(store)
    # when the client tries again with the key
    again = api.post(key="order-1")
    # then Taramoney may or may not have the order: no second order, and no 201 without a USSD code
    problem = assert_problem(again, 504, "PROVIDER_UNAVAILABLE")
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "PENDING"
    assert len(taramoney.log) == 0


def test_a_retry_after_the_record_lapsed_of_a_payment_the_customer_declined_shows_that_payment(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given a payment Taramoney took (201), then the customer declined it (its webhook), and its key's record lapsed
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    first = api.post(key="order-1")
    assert first.status == 201, first.text
    force_status(PaymentStatus.FAILURE, first.json["paymentId"], "Refused by the customer")
    forget_idempotency_records(store)
    # when the client tries again with the key
    again = api.post(key="order-1")
    # then it is told about that payment as it stands, not that Taramoney refused the order
    assert again.status == 201, again.text
    assert again.json["paymentId"] == first.json["paymentId"]
    assert again.json["status"] == "FAILURE"
    assert len(taramoney.log) == 1


def test_a_payment_write_retried_after_its_answer_was_lost_is_never_a_201_without_an_order(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given DynamoDB applying the payment's first write but its answer lost, so botocore sends it again
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    tokens: list[str] = []

    def answer_lost_once(attempts: int, request_dict: dict[str, Any], **_: Any) -> int | None:
        tokens.append(json.loads(request_dict["body"])["ClientRequestToken"])
        return 0 if attempts == 1 else None  # retry at once, as after a dropped connection

    client = fail_fast_aws_client("dynamodb")
    client.meta.events.register_first("needs-retry.dynamodb.TransactWriteItems", answer_lost_once)
    try:
        # when a payment is started
        answer = api.post()
    finally:
        client.meta.events.unregister("needs-retry.dynamodb.TransactWriteItems", answer_lost_once)
    # then the retry carries the first attempt's token: DynamoDB answers it as the transaction it applied
    # (botocore's doing, pinned here because the service relies on it rather than check the clash itself)
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
    # and where a retry is taken for another request's write anyway (moto ignores the token), the client
    # is told the outcome is unknown, naming the payment, never 201 for an order nobody placed
    problem = assert_problem(answer, 504, "PROVIDER_UNAVAILABLE")
    assert store.payment(problem["paymentId"]) is not None
    assert len(taramoney.log) == 0


def test_a_key_reused_with_another_body_after_its_record_lapsed_is_still_refused(
    api: Api, taramoney: HTTPServer, store: Store, failing_updates: list[Matcher], function_env: dict[str, str]
) -> None:
    start_with_an_answer_not_kept(api, taramoney, failing_updates, function_env)
    forget_idempotency_records(store)
    answer = api.post(payment_body(productPrice=200), key="order-1")
    assert_problem(answer, 409, "IDEMPOTENCY_KEY_REUSED")
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


# --- 503: our own storage fails before anything was ordered ------------------------------------------------


OUTAGE = ("InternalServerError", 500)  # DynamoDB's own failure, still there after botocore's retries
REFUSAL = ("AccessDeniedException", 400)  # a fault of ours that no retry mends


@pytest.fixture
def failing_dynamodb(api: Api) -> Iterator[dict[str, tuple[str, int]]]:
    """Every DynamoDB call whose operation name is listed fails with the error code and HTTP status listed."""
    failures: dict[str, tuple[str, int]] = {}

    def fail_if_listed(model: Any, **_: Any) -> None:
        if model.name in failures:
            code, status = failures[model.name]
            error = {"Code": code, "Message": "injected"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, model.name)

    client = fail_fast_aws_client("dynamodb")
    client.meta.events.register("before-call.dynamodb", fail_if_listed)
    yield failures
    client.meta.events.unregister("before-call.dynamodb", fail_if_listed)


def assert_retryable_and_nothing_ordered(answer: Answer, taramoney: HTTPServer, store: Store) -> None:
    """A 503 the client may retry: no payment named, nobody prompted, nothing half stored."""
    problem = assert_problem(answer, 503, "SERVICE_UNAVAILABLE")
    assert "paymentId" not in problem
    assert answer.headers["retry-after"] == "5"
    assert taramoney.log == []
    assert store.payment_items() == []
    assert store.phone_slots("655123456") == set()


def test_a_payment_that_cannot_be_stored_is_a_retryable_503_and_orders_nothing(
    api: Api, taramoney: HTTPServer, store: Store, failing_dynamodb: dict[str, tuple[str, int]]
) -> None:
    # given the table refuses to store the PENDING payment
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    failing_dynamodb["TransactWriteItems"] = OUTAGE
    # when a payment is started
    answer = api.post(key="order-1")
    # then the client gets a problem it may retry, and nobody was prompted nor anything half stored
    assert_retryable_and_nothing_ordered(answer, taramoney, store)
    # and once the table is back, the same request pays once
    failing_dynamodb.clear()
    again = api.post(key="order-1")
    assert again.status == 201, again.text
    assert len(taramoney.log) == 1
    assert [item["paymentId"] for item in store.payment_items()] == [again.json["paymentId"]]


def test_a_status_read_during_an_outage_is_a_503_not_a_bare_500(
    api: Api, failing_dynamodb: dict[str, tuple[str, int]]
) -> None:
    failing_dynamodb["GetItem"] = OUTAGE
    answer = api.get("yzcXebg6SpvSrQvKFEuCJw")
    assert_problem(answer, 503, "SERVICE_UNAVAILABLE")
    assert answer.headers["cache-control"] == "no-store"


def test_an_idempotency_table_outage_is_a_retryable_503_and_orders_nothing(
    api: Api, taramoney: HTTPServer, store: Store, failing_dynamodb: dict[str, tuple[str, int]]
) -> None:
    # given the idempotency table failing (its record is the one item written with PutItem)
    failing_dynamodb["PutItem"] = OUTAGE
    # when a payment is started with a key
    answer = api.post(key="order-1")
    # then it is a problem the client may retry, and nothing was stored or ordered
    assert_retryable_and_nothing_ordered(answer, taramoney, store)


def test_a_dynamodb_that_stops_answering_is_a_503_well_inside_the_functions_timeout(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given DynamoDB taking requests but never answering: each attempt ends in a read timeout
    attempts: list[str] = []

    def never_answers(request: Any, **_: Any) -> None:
        attempts.append(request.headers["X-Amz-Target"].decode())
        raise ReadTimeoutError(endpoint_url=request.url)

    client = fail_fast_aws_client("dynamodb")
    client.meta.events.register_first("before-send.dynamodb", never_answers)
    try:
        # when a payment is started
        answer = api.post(key="order-1")
    finally:
        client.meta.events.unregister("before-send.dynamodb", never_answers)
    # then the client gets a problem it may retry, and nothing was ordered
    assert_retryable_and_nothing_ordered(answer, taramoney, store)
    # and botocore gave up after the three tries the fail-fast budget is computed from (aws.py), the
    # budget both functions' timeouts are planned with (test_time_budgets)
    assert attempts == ["DynamoDB_20120810.PutItem"] * 3


# The time-left limits the API works to (aws.py, initiation.py, taramoney.py), in milliseconds.
def one_try_ms() -> int:
    """An AWS try at its longest, and the answer after it."""
    return int((FAIL_FAST_TRY_SECONDS + ANSWER_SECONDS) * 1000)


def order_wait_ms() -> int:
    """Taramoney's shortest useful answer, and the answer after it."""
    return int((taramoney_client().shortest_wait_seconds + ANSWER_SECONDS) * 1000)


def shortest_start_ms() -> int:
    """Storing a payment, waiting for that answer, storing what it says, and answering."""
    return int(payment_initiator().shortest_start_seconds * 1000)


def test_a_payment_started_too_close_to_the_functions_timeout_is_a_503_and_tries_nothing(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given an invocation with less time left than one try of an AWS call may take
    # when a payment is started
    answer = api.post(key="order-1", context=LambdaContext(remaining_time_in_millis=one_try_ms() - 500))
    # then it is a problem the client may retry, rather than a timeout that answers nothing
    assert_retryable_and_nothing_ordered(answer, taramoney, store)


def test_a_payment_there_is_no_time_left_to_order_is_a_503_and_stores_nothing(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given an invocation with time for AWS calls, but not to store a payment, wait for Taramoney's
    # shortest useful answer (its connect timeout, then a second), store that and answer
    assert one_try_ms() < shortest_start_ms()
    left = (one_try_ms() + shortest_start_ms()) // 2
    # when a payment is started
    answer = api.post(key="order-1", context=LambdaContext(remaining_time_in_millis=left))
    # then it is a problem the client may retry, and nothing was stored or ordered
    assert_retryable_and_nothing_ordered(answer, taramoney, store)


def test_an_order_a_slow_store_left_no_time_to_wait_for_is_not_sent_and_the_payment_closed(
    api: Api, taramoney: HTTPServer, store: Store, capture: Capture
) -> None:
    # given a payment stored so slowly that Taramoney's answer could no longer be waited for
    # (left after the write: time for a DynamoDB try, not for a connect and a useful read)
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    context = LambdaContext()
    assert one_try_ms() < order_wait_ms()
    left_after_the_write = (one_try_ms() + order_wait_ms()) // 2

    def slow_store(**_: Any) -> None:
        context.remaining_time_in_millis = left_after_the_write

    client = fail_fast_aws_client("dynamodb")
    client.meta.events.register("after-call.dynamodb.TransactWriteItems", slow_store)
    try:
        # when a payment is started
        answer = api.post(key="order-1", context=context)
        output = capture()
    finally:
        client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", slow_store)
    # then nobody is prompted, and the client is told nothing was charged, naming the closed payment
    problem = assert_problem(answer, 502, "PROVIDER_UNAVAILABLE")
    assert taramoney.log == []
    payment = store.stored_payment(problem["paymentId"])
    assert (payment["status"], payment["failureReason"]) == ("FAILURE", "PROVIDER_UNREACHABLE")
    # and the operator reads our own slowness, not an unreachable Taramoney (whose alarm it would trip)
    assert output.metric_total("ProviderErrors", reason="UNREACHABLE") == 0
    assert "Order not sent: too little time left, payment closed" in [line["message"] for line in output.log_lines]


def test_an_order_taken_as_the_invocation_nears_its_end_is_still_answered(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given Taramoney answering so late that no AWS call could be waited for afterwards
    context = LambdaContext()

    def late_acceptance(_: Request) -> Response:
        context.remaining_time_in_millis = one_try_ms() - 500
        return Response(json.dumps(ORANGE_ACCEPTS), content_type="application/json")

    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_handler(late_acceptance)
    # when a payment is started
    answer = api.post(key="order-1", context=context)
    # then the customer still gets the USSD code to dial, and the payment is named
    assert answer.status == 201, answer.text
    assert answer.json["ussdCode"] == ORANGE_ACCEPTS["ussdCode"]
    # and the writes after the order were given up on, not waited for: the payment stays PENDING
    # (its webhook settles it) and the key's record in progress until its lease ends
    payment = store.stored_payment(answer.json["paymentId"])
    assert (payment["status"], "ussdCode" in payment) == ("PENDING", False)
    assert [record["status"] for record in store.idempotency_records()] == ["INPROGRESS"]


def test_a_refusal_no_retry_mends_is_a_function_error_not_a_503(
    api: Api, taramoney: HTTPServer, store: Store, failing_dynamodb: dict[str, tuple[str, int]]
) -> None:
    # given the function's role lacking a permission (a deploy gone wrong)
    failing_dynamodb["TransactWriteItems"] = REFUSAL
    # when a payment is started
    # then the function fails (a 500 from API Gateway, counted by the function's Errors alarm), not
    # a 503 telling the client to retry in a few seconds, and nothing was ordered
    with pytest.raises(ClientError, match="AccessDeniedException"):
        api.post()
    assert taramoney.log == []
    assert store.payment_items() == []


def test_a_cold_start_while_secrets_manager_is_out_is_a_retryable_503(
    function_env: dict[str, str], taramoney: HTTPServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a container starting while Secrets Manager cannot be reached
    secrets_manager = watch_secrets_manager(monkeypatch)
    secrets_manager.down = True
    monkeypatch.setenv("TARAMONEY_API_URL", taramoney.url_for(TARAMONEY_PATH))
    reset_service_caches()
    # when a payment is started
    answer = Api().post(key="order-1")
    # then it is a problem the client may retry, and nothing was stored or ordered
    assert_retryable_and_nothing_ordered(answer, taramoney, store)
    assert secrets_manager.requests >= 1
