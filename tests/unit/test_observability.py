"""The log formatter's phone mask, ``count`` and ``bound_payment`` (observability)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taramoney_payments.masking import mask_phone_numbers
from taramoney_payments.observability import PaymentMetric, bound_payment, count, logger, metrics
from tests.captured_output import Capture, follow_stdout
from tests.lambda_runtime import ROOT


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str]) -> Iterator[Capture]:
    """What the service prints from here on (the integration tests' ``capture``), metrics and payment keys cleared."""
    metrics.clear_metrics()
    logger.remove_keys(["payment_id", "correlation_id"])
    with follow_stdout():
        capsys.readouterr()
        yield Capture(capsys)
    metrics.clear_metrics()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("655123456", "655***456"),
        ("+237655123456", "655***456"),
        ("237655123456", "655***456"),
        ("00237655123456", "655***456"),
        ("phone=677987654;", "phone=677***654;"),
        ("'phoneNumber': '696717597'", "'phoneNumber': '696***597'"),
    ],
)
def test_a_cameroon_mobile_number_in_a_text_is_masked(text: str, masked: str) -> None:
    assert mask_phone_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Kg8EJj9y655123456cPqqE",  # inside a payment id
        "q3Zr8Y-655123456-LmN2",  # between an id's dashes
        "6551234567",  # ten digits: not a Cameroon number
        "1795931999599",  # an epoch in milliseconds
        "amount 655000",  # an amount
        "Root=1-6b0aa685-5e1c7a100b2d4f1e9c532a7d",  # an X-Ray trace id
    ],
)
def test_ids_amounts_and_other_numbers_are_left_alone(text: str) -> None:
    assert mask_phone_numbers(text) == text


_SEPARATED_DIGIT = st.tuples(st.sampled_from(["", " ", ".", "-"]), st.sampled_from("0123456789"))
_NO_DIGITS = st.text(alphabet="abcXYZ _/:=\\\"'\u00e9", max_size=15)


@given(
    before=_NO_DIGITS,
    left=st.sampled_from([" ", "=", ":", "'", '"', "(", "\n", "\\n", "\\t", "\u00a0"]),
    prefix=st.sampled_from(["", "+237", "+237 ", "00237", "00237-", "237.", "+ 237 "]),
    digits=st.lists(_SEPARATED_DIGIT, min_size=8, max_size=8),
    right=st.sampled_from([" ", "'", '"', ")", ",", ".", "\n"]),
    after=_NO_DIGITS,
)
def test_a_number_anywhere_in_a_line_is_masked_however_it_is_spelled(
    before: str, left: str, prefix: str, digits: list[tuple[str, str]], right: str, after: str
) -> None:
    # given a line with a customer's number in one of its spellings (most lines skip the full
    # scan after a quick search for what every number ends with: it must find this one)
    number = prefix + "6" + "".join(separator + digit for separator, digit in digits)
    line = before + left + number + right + after

    # then the number does not survive the mask
    assert number not in mask_phone_numbers(line)


def test_a_number_that_slips_into_a_log_line_is_masked(output: Capture) -> None:
    # given an exception whose message quotes a customer's number, as a parser's might
    try:
        raise ValueError("input_value='+237655123456' is not valid")
    except ValueError:
        # when
        logger.exception("Payload refused", extra={"raw": {"phoneNumber": "655123456"}})
    # then
    (line,) = output().log_lines
    text = json.dumps(line)
    assert "655123456" not in text
    assert line["raw"] == {"phoneNumber": "655***456"}
    assert "655***456" in line["exception"]


def test_a_count_with_a_dimension_is_also_counted_in_the_services_total(output: Capture) -> None:
    # when
    count(PaymentMetric.PAYMENTS_INITIATED, vendor="MTN_CAMEROON")
    count(PaymentMetric.PAYMENTS_INITIATED, vendor="ORANGE_CAMEROON")
    count(PaymentMetric.PROVIDER_LATENCY, 812.5)
    metrics.flush_metrics()
    # then
    emitted = output()
    assert emitted.metric_total("PaymentsInitiated") == 2
    assert emitted.metric_total("PaymentsInitiated", vendor="MTN_CAMEROON") == 1
    assert emitted.metric_total("PaymentsInitiated", vendor="ORANGE_CAMEROON") == 1
    (latency,) = [point for point in emitted.metrics if point.name == "ProviderLatency"]
    assert (latency.unit, latency.values, latency.namespace) == ("Milliseconds", (812.5,), "TaramoneyPayments")


def test_a_batch_record_logs_under_its_payment_then_the_invocation_goes_on_without_it(
    output: Capture,
) -> None:
    # given an invocation's correlation id
    logger.set_correlation_id("invocation-1")
    # when one record is handled, then the batch ends
    with bound_payment("pay-1", correlation_id="webhook-request-9"):
        logger.info("Record applied")
    logger.info("Batch done")
    # then
    record, batch = output().log_lines
    assert (record["correlation_id"], record["payment_id"]) == ("webhook-request-9", "pay-1")
    assert batch["correlation_id"] == "invocation-1"
    assert "payment_id" not in batch


def test_every_metric_is_a_count_but_the_latency() -> None:
    units = {metric: metric.unit.value for metric in PaymentMetric}
    assert units.pop(PaymentMetric.PROVIDER_LATENCY) == "Milliseconds"
    assert set(units.values()) == {"Count"}


def test_an_invocation_with_nothing_to_count_writes_no_plain_text_warning() -> None:
    # given a fresh container (pytest resets warning filters, so a process of its own)
    script = "from taramoney_payments.observability import metrics; metrics.flush_metrics()"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "payments")}
    # when it flushes no metric
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    # then nothing but JSON lines could reach the log group
    assert (done.stdout, done.stderr) == ("", "")
