"""The event schemas: valid Draft 4, true to the payment view, and what the template publishes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from local_stack.template import load_template
from taramoney_payments.events import DETAIL_TYPES, PaymentEvent
from taramoney_payments.models import VIEW_FIELDS, Payment, PaymentStatus

SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"
FILES = {
    "Payment Succeeded": "payment-succeeded.schema.json",
    "Payment Failed": "payment-failed.schema.json",
    "Payment Expired": "payment-expired.schema.json",
}


def schema_file(detail_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / FILES[detail_type]).read_text())
    return schema


def detail_schema(schema: dict[str, Any]) -> dict[str, Any]:
    ((_, detail),) = schema["definitions"].items()
    return detail  # type: ignore[no-any-return]


def test_there_is_one_schema_per_detail_type() -> None:
    assert set(FILES) == set(DETAIL_TYPES.values())
    assert sorted(path.name for path in SCHEMAS.glob("*.schema.json")) == sorted(FILES.values())


@pytest.mark.parametrize("detail_type", list(FILES))
def test_each_schema_is_valid_draft_4(detail_type: str) -> None:
    jsonschema.Draft4Validator.check_schema(schema_file(detail_type))


@pytest.mark.parametrize("detail_type", list(FILES))
def test_each_schema_describes_every_field_of_the_payment_view(detail_type: str) -> None:
    view_fields = set(VIEW_FIELDS)
    detail = detail_schema(schema_file(detail_type))
    assert set(detail["properties"]) == view_fields | {"previousStatus", "eventId"}
    assert set(detail["required"]) == set(detail["properties"])


@pytest.mark.parametrize("detail_type", list(FILES))
def test_the_template_publishes_the_schema_files_unchanged(detail_type: str) -> None:
    # The registry's copies are inline in template.yaml; they must be the files, byte for meaning.
    published = {
        resource["Properties"]["SchemaName"]: json.loads(resource["Properties"]["Content"])
        for resource in load_template().of_type("AWS::EventSchemas::Schema").values()
    }
    name = "taramoney.payments@" + detail_type.replace(" ", "")
    assert published[name] == schema_file(detail_type), f"copy events/schemas/{FILES[detail_type]} into template.yaml"


def envelope(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "source": "taramoney.payments", "detail-type": detail_type, "detail": detail}


def test_an_event_passes_only_the_schema_of_its_own_detail_type() -> None:
    # given a succeeded payment's event as the publisher makes it
    created = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    payment = Payment(
        payment_id="pay_1",
        status=PaymentStatus.SUCCESS,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number="655123456",
        created_at=created,
        updated_at=created,
        expires_at=created + timedelta(minutes=15),
    )
    detail = PaymentEvent(payment=payment, previous_status=PaymentStatus.PENDING).detail()
    # then it is a valid Payment Succeeded event
    jsonschema.Draft4Validator(schema_file("Payment Succeeded")).validate(envelope("Payment Succeeded", detail))
    # and not a valid Payment Failed one, nor a success with a wrong status
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema_file("Payment Failed")).validate(envelope("Payment Failed", detail))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema_file("Payment Succeeded")).validate(
            envelope("Payment Succeeded", {**detail, "status": "FAILURE"})
        )
