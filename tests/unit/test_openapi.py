"""docs/openapi.json: current with the code, valid OpenAPI 3.1, and telling every answer of the contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from local_stack.openapi import DOCUMENT, build_document, render
from local_stack.template import load_template
from taramoney_payments.errors import FieldError, InvalidWebhookPayload
from taramoney_payments.webhook_payload import DOCUMENTED_FIELDS, REQUIRED_FIELDS, read_webhook_payload

# SPEC section 3: the API's refusals, (operation, status, code).
API_REFUSALS = [
    ("post", "/payments", 400, "MALFORMED_JSON"),
    ("post", "/payments", 413, "PAYLOAD_TOO_LARGE"),
    ("post", "/payments", 422, "VALIDATION_ERROR"),
    ("post", "/payments", 422, "INVALID_PHONE_NUMBER"),
    ("post", "/payments", 422, "UNSUPPORTED_OPERATOR"),
    ("post", "/payments", 409, "IDEMPOTENCY_KEY_REUSED"),
    ("post", "/payments", 409, "REQUEST_IN_PROGRESS"),
    ("post", "/payments", 429, "TOO_MANY_PENDING_PAYMENTS"),
    ("get", "/payments/{paymentId}", 404, "PAYMENT_NOT_FOUND"),
    ("post", "/payments", 502, "PROVIDER_REJECTED"),
    ("post", "/payments", 502, "PROVIDER_UNAVAILABLE"),
    ("post", "/payments", 504, "PROVIDER_UNAVAILABLE"),
]
# SPEC section 4: the webhook's answers.
WEBHOOK_STATUSES = {"200", "400", "401", "403", "404", "405", "409", "413", "500"}
WEBHOOK_PATH = "/payments/{paymentId}/{token}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def test_the_committed_document_is_the_one_the_code_generates(document: dict[str, Any]) -> None:
    assert DOCUMENT.read_text() == render(document), "docs/openapi.json is stale: run `make openapi` and commit it"


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # given the generated document / when validated / then no error is raised
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_documented_api_operations_are_the_routes_of_the_template(document: dict[str, Any]) -> None:
    # given the HTTP API routes template.yaml declares
    events = load_template().resources  # translated: the routes live in the API's OpenAPI body
    body = next(res for res in events.values() if res["Type"] == "AWS::ApiGatewayV2::Api")["Properties"]["Body"]
    routes = {(method, path) for path, item in body["paths"].items() for method in item}
    # when the document's operations outside the webhook are listed
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        if path != WEBHOOK_PATH
        for method in item
        if method != "servers"
    }
    # then they are the same
    assert documented == routes


@pytest.mark.parametrize(("method", "path", "status", "code"), API_REFUSALS)
def test_every_refusal_of_the_contract_is_a_documented_problem(
    document: dict[str, Any], method: str, path: str, status: int, code: str
) -> None:
    response = document["paths"][path][method]["responses"][str(status)]
    media = response["content"]["application/problem+json"]
    assert code in response["description"]
    assert code in media["schema"]["allOf"][1]["properties"]["code"]["enum"]
    example = media["examples"][code]["value"]
    assert (example["status"], example["code"]) == (status, code)
    assert media["schema"]["allOf"][0] == {"$ref": "#/components/schemas/ProblemDetails"}


def test_the_start_of_a_payment_documents_its_body_its_key_and_its_answer(document: dict[str, Any]) -> None:
    operation = document["paths"]["/payments"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/PaymentRequest"}
    request = document["components"]["schemas"]["PaymentRequest"]
    assert request["additionalProperties"] is False
    assert set(request["required"]) == {"productId", "productName", "productPrice", "phoneNumber"}
    assert "Idempotency-Key" in [parameter["name"] for parameter in operation["parameters"]]
    created = operation["responses"]["201"]
    assert "Location" in created["headers"]
    view = created["content"]["application/json"]["examples"]["payment"]["value"]
    assert set(view) == set(document["components"]["schemas"]["Payment"]["properties"])


def test_the_webhook_and_its_answers_are_documented(document: dict[str, Any]) -> None:
    item = document["paths"][WEBHOOK_PATH]
    assert any("lambda-url" in server["url"] for server in item["servers"])
    operation = item["post"]
    assert set(operation["responses"]) == WEBHOOK_STATUSES
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/WebhookPayload"}
    receipt = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert receipt == {"$ref": "#/components/schemas/WebhookReceipt"}


def test_the_documented_webhook_body_is_the_one_the_webhook_reads(document: dict[str, Any]) -> None:
    # given the documented body and its example (the webhook reads it without the model that documents it)
    schema = document["components"]["schemas"]["WebhookPayload"]
    media = document["paths"][WEBHOOK_PATH]["post"]["requestBody"]["content"]["application/json"]
    example = media["examples"]["success"]["value"]
    assert (set(schema["properties"]), set(schema["required"])) == (DOCUMENTED_FIELDS, REQUIRED_FIELDS)
    assert set(example) == DOCUMENTED_FIELDS
    # when the example is read, then every documented field is read, none kept as an unknown one
    assert read_webhook_payload(json.dumps(example).encode()).extra == {}
    # and an undocumented field is kept, not read
    assert read_webhook_payload(json.dumps({**example, "amount": "100"}).encode()).extra == {"amount": "100"}
    # and each field is required exactly when the document says so
    for name in schema["properties"]:
        without = json.dumps({key: value for key, value in example.items() if key != name}).encode()
        if name in schema["required"]:
            with pytest.raises(InvalidWebhookPayload) as refusal:
                read_webhook_payload(without)
            assert refusal.value.errors == [FieldError(name, "Field required")]
        else:
            assert read_webhook_payload(without).extra == {}


@pytest.mark.parametrize("name", ["businessId", "paymentId", "collectionId", "phoneNumber"])
def test_the_documented_length_limits_are_the_webhooks(document: dict[str, Any], name: str) -> None:
    # given the longest value the document allows for a field
    schema = document["components"]["schemas"]["WebhookPayload"]["properties"][name]
    longest = next(option for option in schema.get("anyOf", [schema]) if option["type"] == "string")["maxLength"]
    media = document["paths"][WEBHOOK_PATH]["post"]["requestBody"]["content"]["application/json"]
    example = media["examples"]["success"]["value"]

    def spelled(length: int) -> str:  # a valid value of that length (a number padded with spaces)
        return "00237" + " " * (length - 14) + "655123456" if name == "phoneNumber" else "x" * length

    # when it is sent, then it is read; one character more is refused, naming the limit
    read_webhook_payload(json.dumps({**example, name: spelled(longest)}).encode())
    with pytest.raises(InvalidWebhookPayload) as refusal:
        read_webhook_payload(json.dumps({**example, name: spelled(longest + 1)}).encode())
    assert [(error.field, str(longest) in error.message) for error in refusal.value.errors] == [(name, True)]
