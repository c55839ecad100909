"""Every function gives up on a hung AWS call inside its own timeout.

The functions someone waits on make fail-fast calls: ``FAIL_FAST_CALL_SECONDS`` at worst
(``aws.py``; ``test_payments_api_partial_failures`` checks botocore keeps to it); the others
patient ones: ``PATIENT_CALL_SECONDS``.
"""

from __future__ import annotations

import pytest

from local_stack.template import load_template
from taramoney_payments.aws import FAIL_FAST_CALL_SECONDS, PATIENT_CALL_SECONDS


def timeout_of(function: str) -> int:
    timeout: int = load_template().resources[function]["Properties"]["Timeout"]
    return timeout


def test_the_webhook_outlasts_its_longest_path_and_still_parks_the_payload() -> None:
    # the secret read at a cold start, the settling write, the record of the delivery, parking the payload
    assert timeout_of("WebhookFunction") > 4 * FAIL_FAST_CALL_SECONDS


def test_the_payments_api_answers_an_outage_before_its_timeout() -> None:
    # the secret read at a cold start, then the idempotency record's write: both given up on, then a 503
    assert timeout_of("PaymentsApiFunction") > 2 * FAIL_FAST_CALL_SECONDS


@pytest.mark.parametrize("function", ["ParkedWebhooksFunction", "EventPublisherFunction", "PaymentExpiryFunction"])
def test_a_background_function_ends_a_hung_call_in_an_error_its_event_source_retries(function: str) -> None:
    # an error names the failed call in the logs; a timeout names nothing
    assert timeout_of(function) > PATIENT_CALL_SECONDS
