"""Payment ids: random or keyed, always of the one shape the traces annotate."""

from __future__ import annotations

from taramoney_payments.payment_ids import ISSUED_PAYMENT_ID, new_payment_id, payment_id_for_key

SIGNING_KEY = "test-signing-key-for-webhook-addresses"


def test_every_id_this_service_issues_has_the_shape_traces_annotate() -> None:
    keyed = [payment_id_for_key(key, SIGNING_KEY) for key in ("order-1", "é-🙂", "x" * 255, "a")]
    issued = [new_payment_id() for _ in range(200)] + keyed
    assert all(ISSUED_PAYMENT_ID.fullmatch(payment_id) for payment_id in issued)
    assert len(set(issued)) == len(issued)


def test_a_key_stands_for_one_payment_under_one_signing_key() -> None:
    assert payment_id_for_key("order-1", SIGNING_KEY) == payment_id_for_key("order-1", SIGNING_KEY)
    assert payment_id_for_key("order-1", SIGNING_KEY) != payment_id_for_key("order-1", SIGNING_KEY + "2")


def test_what_a_caller_may_name_instead_of_an_id_is_not_of_that_shape() -> None:
    named = ["/payments/x", "q3Zr8YkE1v0bXy9LmN2pT", "q3Zr8YkE1v0bXy9LmN2pTw=", "a" * 23, "q3Zr8YkE1v0bXy9LmN2p.w"]
    assert not any(ISSUED_PAYMENT_ID.fullmatch(text) for text in named)
