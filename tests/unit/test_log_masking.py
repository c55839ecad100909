"""The net under every log line: secrets and webhook tokens left out, phone numbers masked in any spelling."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from aws_lambda_powertools import Logger

from taramoney_payments.masking import mask_log_line, never_log
from taramoney_payments.observability import PhoneMaskingFormatter

TOKEN = "jgj-sVP4tycZwCI1iJaCw6Lp09h27nOPGfU0BcOS8sg"


def test_a_registered_secret_never_shows_wherever_it_appears() -> None:
    never_log("api-key-7d1e8b9f01c4", None, "short")
    line = mask_log_line('{"message": "POST failed: apiKey=api-key-7d1e8b9f01c4&x=1", "short": "short"}')
    assert "api-key-7d1e8b9f01c4" not in line
    assert "apiKey=***&x=1" in line
    assert '"short": "short"' in line  # values too short to be keys are not masked everywhere


def test_a_webhook_address_keeps_its_payment_id_and_loses_its_token() -> None:
    line = mask_log_line(f"called https://x.lambda-url.eu-west-1.on.aws/payments/q3Zr8YkE1v0bXy9LmN2pTw/{TOKEN}?a=1")
    assert line == "called https://x.lambda-url.eu-west-1.on.aws/payments/q3Zr8YkE1v0bXy9LmN2pTw/***?a=1"
    assert mask_log_line("GET /payments/q3Zr8YkE1v0bXy9LmN2pTw") == "GET /payments/q3Zr8YkE1v0bXy9LmN2pTw"
    # a traceback's path to one of the service's modules is no webhook address
    frame = 'File "/work/layers/payments/taramoney_payments/idempotency.py", line 60, in answer_once'
    assert mask_log_line(frame) == frame


def test_phone_numbers_are_masked_however_they_are_spelled() -> None:
    for spelled in ("655123456", "+237 655 12 34 56", "00237655123456", "655.12.34.56", "00 237 655-123-456"):
        assert mask_log_line(f"number {spelled}!") == "number 655***456!", spelled
    # every spelling the webhook's parser accepts (runs of separators), and a form-encoded one
    for spelled in ("655  123  456", "655 - 12 - 34 - 56", "+237--655123456", "655+123+456", "%2B237655123456"):
        assert mask_log_line(f"phoneNumber={spelled}&") == "phoneNumber=655***456&", spelled
    # ids, hashes, dates and durations are left alone
    for text in ("id abc655123456", "5e1c7a10-0b2d-4f1e-9c53", "2026-11-28 11:00:03", "took 64.23972099946695 ms"):
        assert mask_log_line(text) == text


@pytest.mark.parametrize(
    "text", ["bad phone\n655123456", "call\t+237 655 12 34 56", "lines\r\n00237655123456", "numéro\u00a0655123456"]
)
def test_a_number_right_after_an_escaped_character_of_a_json_line_is_masked(text: str) -> None:
    # in the JSON line a number after a newline follows "\n": a letter, to the eye of a plain-text rule
    line = mask_log_line(json.dumps({"message": text}))
    assert "655***456" in line
    assert "655123456" not in re.sub(r"\D", "", line)


def test_a_webhook_address_quoted_with_escaped_slashes_loses_its_token() -> None:
    # a provider's answer quoted in a log line, its JSON written by PHP (slashes escaped)
    answer = json.dumps(f'{{"url":"https:\\/\\/x.on.aws\\/payments\\/q3Zr8YkE1v0bXy9LmN2pTw\\/{TOKEN}"}}')
    line = mask_log_line(json.dumps({"reason": answer}))
    assert TOKEN not in line
    assert "q3Zr8YkE1v0bXy9LmN2pTw" in line


@pytest.mark.parametrize("slash", ["%2F", "%2f", "%252F", "%252f", "\\u002F", "\\u002f"])
def test_an_encoded_webhook_address_loses_its_token(slash: str) -> None:
    # the address as a form or query value (once or twice URL-encoded) or escaped as code points, quoted in a log line
    encoded = f"webHookUrl=https%3A{slash}{slash}x.on.aws{slash}payments{slash}q3Zr8YkE1v0bXy9LmN2pTw{slash}{TOKEN}"
    line = mask_log_line(json.dumps({"reason": encoded}))
    assert TOKEN not in line
    assert "q3Zr8YkE1v0bXy9LmN2pTw" in line


def test_the_formatter_masks_what_a_caller_forgot() -> None:
    # given the service's formatter on a logger that writes to a buffer
    never_log("signing-key-for-tests-0123")
    buffer = io.StringIO()
    logger = Logger(
        service="masking-test", logger_formatter=PhoneMaskingFormatter(), logger_handler=logging.StreamHandler(buffer)
    )
    # when a caller logs a payload and an exception message as they are
    try:
        raise ValueError(f"bad signature signing-key-for-tests-0123 for /payments/abc/{TOKEN}")
    except ValueError:
        logger.exception("failed", extra={"payload": {"phoneNumber": "+237 677 12 34 56"}})
    # then the line is still one JSON document, with nothing to hide left in it
    line = json.loads(buffer.getvalue())
    text = buffer.getvalue()
    assert line["payload"] == {"phoneNumber": "677***456"}
    assert "signing-key-for-tests-0123" not in text
    assert TOKEN not in text
    assert "/payments/abc/***" in line["exception"]


def test_a_secret_that_holds_another_is_masked_whole_whichever_was_registered_first() -> None:
    never_log("merchant-key-4f1c")
    never_log("merchant-key-4f1c-webhook-9a2b")
    never_log("other-key-77d2e1")
    assert mask_log_line("merchant-key-4f1c-webhook-9a2b, merchant-key-4f1c") == "***, ***"
