"""The per-payment webhook address and its token."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from taramoney_payments.webhook_tokens import parse_webhook_path, token_is_valid, webhook_token, webhook_url

KEY = "signing-key-0123456789"
FAST = settings(max_examples=50, deadline=None)
payment_ids = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=40
)


@FAST
@given(payment_id=payment_ids)
def test_the_token_of_a_payment_verifies(payment_id: str) -> None:
    assert token_is_valid(payment_id, webhook_token(payment_id, KEY), KEY)


@FAST
@given(payment_id=payment_ids, other=payment_ids)
def test_the_token_of_another_payment_does_not(payment_id: str, other: str) -> None:
    if other != payment_id:
        assert not token_is_valid(payment_id, webhook_token(other, KEY), KEY)


def test_a_token_under_another_key_does_not_verify() -> None:
    assert not token_is_valid("pay-1", webhook_token("pay-1", "another-key"), KEY)


def test_a_wrong_or_empty_token_does_not_verify() -> None:
    token = webhook_token("pay-1", KEY)
    assert not token_is_valid("pay-1", "", KEY)
    assert not token_is_valid("pay-1", token[:-1], KEY)
    assert not token_is_valid("pay-1", token + "A", KEY)
    assert not token_is_valid("pay-1", token.swapcase(), KEY)
    assert not token_is_valid("pay-1", "é" + token[1:], KEY)


def test_the_token_is_url_safe_and_carries_256_bits() -> None:
    token = webhook_token("pay-1", KEY)
    assert len(token) == 43
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@FAST
@given(payment_id=payment_ids, slash=st.booleans())
def test_the_address_names_the_payment_and_its_token(payment_id: str, slash: bool) -> None:
    # given the webhook base URL, with or without a trailing slash
    base = "https://abc.lambda-url.eu-west-1.on.aws" + ("/" if slash else "")
    # when the address for a payment is built
    url = webhook_url(base, payment_id, KEY)
    # then its path gives back the payment id and a token that verifies
    assert url.startswith("https://abc.lambda-url.eu-west-1.on.aws/payments/")
    parsed = parse_webhook_path(url.removeprefix("https://abc.lambda-url.eu-west-1.on.aws"))
    assert parsed is not None
    found_id, token = parsed
    assert found_id == payment_id
    assert token_is_valid(found_id, token, KEY)


def test_other_paths_are_not_webhook_addresses() -> None:
    assert parse_webhook_path("/") is None
    assert parse_webhook_path("/payments/pay-1") is None
    assert parse_webhook_path("/orders/pay-1/token") is None
    assert parse_webhook_path("/payments/pay-1/token/extra") is None
