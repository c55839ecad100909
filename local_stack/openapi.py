"""The OpenAPI 3.1 document of the payments API and of the webhook, generated from the code.

The payments API's resolver gives the operations (paths, summaries, success answers and
the payment view's schema, from the routes' own declarations); this module adds what
a route does not declare: the request bodies (the pydantic model that reads a payment
request; for the webhook, which reads its body without pydantic, a model of its own), the
``Idempotency-Key`` header, every refusal as RFC 9457 problem details (built by the
same ``problem_body`` the functions answer with), examples, servers, and the webhook
that Taramoney calls on the function URL.

It runs on a developer's machine only (``make openapi`` writes ``docs/openapi.json``;
the local stack serves it at ``/openapi.json`` with Swagger UI at ``/docs``): the
deployed function never loads Powertools' OpenAPI machinery.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from .template import ROOT

LAYER = ROOT / "layers" / "payments"
DOCUMENT = ROOT / "docs" / "openapi.json"
_REF = "#/components/schemas/{model}"
_TITLE = "Taramoney payments"


def _load_layer() -> None:
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))


_load_layer()

from taramoney_payments import errors  # noqa: E402 - the layer is on the path only now
from taramoney_payments.models import Payment, PaymentStatus  # noqa: E402
from taramoney_payments.payment_request import PaymentRequest  # noqa: E402
from taramoney_payments.phone import MAX_PHONE_NUMBER_CHARS  # noqa: E402
from taramoney_payments.problems import PROBLEM_CONTENT_TYPE, problem_body  # noqa: E402
from taramoney_payments.requests_parsing import MAX_BODY_BYTES  # noqa: E402
from taramoney_payments.webhook_payload import MAX_IDENTIFIER_CHARS, MAX_WEBHOOK_BYTES  # noqa: E402


class FieldProblem(BaseModel):
    """One broken field of a refused request."""

    field: str = Field(description="The field, dotted for nested ones (`metadata.note`), or a header's name")
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: the body of every refusal, `Content-Type: application/problem+json`."""

    model_config = ConfigDict(title="ProblemDetails")

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int = Field(description="The HTTP status, repeated")
    detail: str = Field(description="What went wrong with this request, for a human")
    code: str = Field(description="The machine-readable code to act on")
    errors: list[FieldProblem] | None = Field(default=None, description="Each broken field (validation codes)")
    payment_id: str | None = Field(
        default=None, alias="paymentId", description="The payment the refusal concerns, when one was stored"
    )


_Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_IDENTIFIER_CHARS)]


class WebhookPayload(BaseModel):
    """The webhook's body, for the document only: the function reads it with ``read_webhook_payload``.

    That reader is standard library (for the webhook's cold start), so its schema is told
    here; ``tests/unit/test_openapi.py`` keeps the two to the same fields and limits.
    """

    model_config = ConfigDict(extra="allow", alias_generator=to_camel)

    business_id: _Identifier
    status: str
    phone_number: Annotated[str, StringConstraints(max_length=MAX_PHONE_NUMBER_CHARS)]
    payment_id: _Identifier | None = None
    collection_id: _Identifier | None = None
    creation_date: AwareDatetime | None = None
    change_date: AwareDatetime | None = None


class WebhookReceipt(BaseModel):
    """The webhook's answer when it applied a callback, or recognised a duplicate or a stale one."""

    received: bool = Field(description="Always true")
    payment_id: str = Field(alias="paymentId")
    status: PaymentStatus = Field(description="The payment's status after this callback")


# What each operation may refuse, with an example detail for each code (SPEC sections 3 and 4).
_API_REFUSALS: dict[str, list[tuple[type[errors.PaymentError], str]]] = {
    "startPayment": [
        (errors.MalformedJson, "The body must be a JSON object"),
        (errors.PayloadTooLarge, f"The body must not exceed {MAX_BODY_BYTES} bytes"),
        (errors.RequestValidationFailed, "The request has invalid fields"),
        (errors.InvalidPhoneNumberError, "not a Cameroon mobile number"),
        (errors.UnsupportedOperatorError, "Nexttel numbers cannot pay with Orange Money or MTN MoMo"),
        (errors.IdempotencyKeyReused, "This Idempotency-Key was used with another body"),
        (errors.RequestInProgress, "A request with this Idempotency-Key is still running; retry shortly"),
        (errors.TooManyPendingPayments, "This phone number already has 3 payments waiting"),
        (errors.ProviderRejected, "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"),
        (errors.ProviderUnavailable, "Taramoney answered HTTP 503"),
        (errors.ProviderTimedOut, "Taramoney did not answer in time; the payment stays PENDING"),
        (errors.ServiceUnavailable, errors.UNAVAILABLE_DETAIL),
    ],
    "getPayment": [
        (errors.PaymentNotFound, "No payment has the id 'yzcXebg6SpvSrQvKFEuCJw'"),
        (errors.ServiceUnavailable, errors.UNAVAILABLE_DETAIL),
    ],
}
_WEBHOOK_REFUSALS: list[tuple[type[errors.PaymentError], str]] = [
    (errors.MalformedJson, "The body must be a JSON object"),
    (errors.InvalidWebhookPayload, "The webhook payload has invalid fields"),
    (errors.WebhookNotAuthenticated, "The webhook address is not valid"),
    (errors.ForeignBusiness, "The callback names another business"),
    (errors.PaymentNotFound, "No payment has this id"),
    (errors.MethodNotAllowed, "Only POST is accepted"),
    (errors.PhoneNumberMismatch, "The callback's phone number is not the payment's"),
    (errors.PayloadTooLarge, f"The body must not exceed {MAX_WEBHOOK_BYTES} bytes"),
    (errors.WebhookNotStored, "The callback could not be stored; nothing was applied"),
]
# Refusals that name the payment they stored (its status tells what happened).
_NAMES_PAYMENT = (errors.ProviderRejected, errors.ProviderUnavailable)
_FIELD_ERRORS: dict[str, list[errors.FieldError]] = {
    "VALIDATION_ERROR": [
        errors.FieldError("productPrice", "must be between 100 and 1000000 XAF"),
        errors.FieldError("productName", "Field required"),
    ],
    "INVALID_PHONE_NUMBER": [errors.FieldError("phoneNumber", "not a Cameroon mobile number")],
    "UNSUPPORTED_OPERATOR": [
        errors.FieldError("phoneNumber", "Nexttel numbers cannot pay with Orange Money or MTN MoMo")
    ],
    "INVALID_PAYLOAD": [errors.FieldError("status", "must be SUCCESS or FAILURE")],
}
_EXAMPLE_PAYMENT_ID = "yzcXebg6SpvSrQvKFEuCJw"


def payments_api_module() -> ModuleType:
    """``functions/payments_api/app.py``, imported under a name of its own, as Lambda would load it."""
    name = "openapi_payments_api_app"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / "payments_api" / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load functions/payments_api/app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build_document() -> dict[str, Any]:
    """The whole document, as ``docs/openapi.json`` holds it."""
    app = payments_api_module().app
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=_TITLE,
            version=_project_version(),
            description=_DESCRIPTION,
            servers=_servers(),
            tags=[
                {"name": "Payments", "description": "For your frontend: start a payment, read it"},
                {"name": "Webhook", "description": "For Taramoney: the callback that settles a payment"},
            ],
        )
    )
    document["paths"] = {_camel_path(path): item for path, item in sorted(document["paths"].items())}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (PaymentRequest, ProblemDetails, WebhookPayload, WebhookReceipt):
        schemas.update(_schema_of(model))
    for item in document["paths"].values():
        for operation in item.values():
            _complete_operation(operation)
    document["paths"]["/payments/{paymentId}/{token}"] = _webhook_path()
    _drop_unused_schemas(document)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_DESCRIPTION = """\
Take Orange Money and MTN Mobile Money payments in Cameroon through Taramoney.

`POST /payments` stores a payment PENDING and asks Taramoney to push a USSD prompt to
the customer's phone; show the customer the `ussdCode` of the answer. The outcome comes
later, by Taramoney's webhook (or the payment's deadline): poll `GET /payments/{paymentId}`
from a browser, and deliver orders on the `Payment Succeeded` EventBridge event.

Every refusal is an RFC 9457 problem (`application/problem+json`) whose `code` is the
thing to act on. API Gateway itself may also answer `{"message": "Not Found"}` (404, no
such route) and `{"message": "Too Many Requests"}` (429, throttling).
"""


def _project_version() -> str:
    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    return found.group(1) if found else "0.0.0"


def _servers() -> list[dict[str, Any]]:
    return [
        {
            "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
            "description": "The deployed HTTP API (the stack's ApiUrl output)",
            "variables": {"apiId": {"default": "abc123"}, "region": {"default": "eu-west-1"}},
        },
        {"url": "http://127.0.0.1:3000", "description": "make run (the local stack)"},
    ]


def _camel_path(path: str) -> str:
    """The template's spelling of a route (``{paymentId}``) for the handler's (``<payment_id>``)."""
    return re.sub(r"\{(\w+)\}", lambda found: "{" + _camel(found.group(1)) + "}", path)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema and those it refers to, as components, told as a client reads them."""
    schema = model.model_json_schema(by_alias=True, ref_template=_REF)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    notes = _CLIENT_NOTES.get(model.__name__, {})
    schema["description"] = notes.get("", schema.get("description", ""))
    for name, changes in notes.items():
        if name:  # a None drops the key
            merged = {**schema["properties"][name], **changes}
            schema["properties"][name] = {key: value for key, value in merged.items() if value is not None}
    return {**definitions, model.__name__: schema}


# What a model's docstring says to a developer, told to a client instead; rules that validators enforce.
_CLIENT_NOTES: dict[str, dict[str, Any]] = {
    "PaymentRequest": {
        "": 'The body of `POST /payments`. Unknown fields and loose types (`100.5`, `"100"`, `true`) are refused.',
        "productPrice": {
            "description": "Whole XAF (FCFA), between the stack's MinAmount and MaxAmount (defaults 100 and 1000000)",
            "minimum": 100,
            "maximum": 1_000_000,
        },
        "phoneNumber": {
            "description": "An Orange or MTN Cameroon mobile number: `6XXXXXXXX`, `+2376XXXXXXXX`, `2376XXXXXXXX` "
            "or `002376XXXXXXXX`, with or without spaces, dots or dashes",
            "maxLength": 32,
        },
        "metadata": {"description": "Your own strings, kept and echoed in the payment view and its events"},
    },
    "WebhookPayload": {
        "": "What Taramoney posts to a payment's `webHookUrl`. Unknown fields are accepted and kept.",
        "status": {"title": None, "description": "SUCCESS or FAILURE, in any case"},
        "phoneNumber": {"description": "The paying number, in any spelling; must be the payment's"},
        "paymentId": {"description": "Taramoney's id for the transaction (ours is in the address)"},
    },
}


def _complete_operation(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            parameter["name"] = _camel(parameter["name"])
            parameter["description"] = "The `paymentId` that `POST /payments` answered"
            parameter["schema"] = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
    operation_id = operation["operationId"]
    if operation_id == "startPayment":
        operation["parameters"] = [_IDEMPOTENCY_KEY_HEADER, *operation.get("parameters", [])]
        operation["requestBody"] = {
            "required": True,
            "description": f"At most {MAX_BODY_BYTES} bytes; unknown fields are refused.",
            "content": {
                "application/json": {
                    "schema": {"$ref": _REF.format(model="PaymentRequest")},
                    "examples": {"payment": {"value": _REQUEST_EXAMPLE}},
                }
            },
        }
    for response in operation["responses"].values():
        for media in response.get("content", {}).values():
            if media.get("schema") == {"$ref": _REF.format(model="Payment")}:
                media["examples"] = {"payment": {"value": _payment_example()}}
    operation["responses"].update(_problem_responses(_API_REFUSALS[operation_id]))


_IDEMPOTENCY_KEY_HEADER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Send the same key again (a retry after a lost answer) and get the first answer again, same `paymentId`, "
        "with Taramoney called once. The same key with another body is refused (409 `IDEMPOTENCY_KEY_REUSED`); "
        "while the first request runs, 409 `REQUEST_IN_PROGRESS`. A random UUID per payment attempt is a good key."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "example": "0b6f4a2e-8c1d-4f7a-9e3b-5d2c7a1f9e80",
}
_REQUEST_EXAMPLE = {
    "productId": "product-456",
    "productName": "Nom du produit",
    "productPrice": 100,
    "phoneNumber": "655123456",
    "metadata": {"orderId": "order-789"},
}


def _payment_example() -> dict[str, Any]:
    created = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    return Payment(
        payment_id=_EXAMPLE_PAYMENT_ID,
        status=PaymentStatus.PENDING,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number="655123456",
        vendor="ORANGE_CAMEROON",
        ussd_code="#150*50#",
        metadata={"orderId": "order-789"},
        created_at=created,
        updated_at=created,
        expires_at=created + timedelta(minutes=15),
    ).view()


def _problem_responses(refusals: list[tuple[type[errors.PaymentError], str]]) -> dict[str, Any]:
    """One response per status, listing its codes, with a real problem body for each code as an example."""
    by_status: dict[int, list[tuple[type[errors.PaymentError], str]]] = {}
    for refusal in refusals:
        by_status.setdefault(int(refusal[0].status), []).append(refusal)
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        codes = [kind.code for kind, _ in by_status[status]]
        examples = {
            kind.code: {"summary": kind.title, "value": _problem_example(kind, detail)}
            for kind, detail in by_status[status]
        }
        responses[str(status)] = {
            "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{code}`" for code in codes),
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "schema": {
                        "allOf": [
                            {"$ref": _REF.format(model="ProblemDetails")},
                            {"type": "object", "properties": {"code": {"enum": sorted(set(codes))}}},
                        ]
                    },
                    "examples": examples,
                }
            },
        }
    return responses


def _problem_example(kind: type[errors.PaymentError], detail: str) -> dict[str, Any]:
    payment_id = _EXAMPLE_PAYMENT_ID if issubclass(kind, _NAMES_PAYMENT) else None
    return problem_body(kind(detail, errors=_FIELD_ERRORS.get(kind.code), payment_id=payment_id))


def _webhook_path() -> dict[str, Any]:
    receipt = {"received": True, "paymentId": _EXAMPLE_PAYMENT_ID, "status": "SUCCESS"}
    return {
        "servers": [
            {
                "url": "https://{urlId}.lambda-url.{region}.on.aws",
                "description": "The webhook function URL (the stack's WebhookUrl output)",
                "variables": {"urlId": {"default": "abc123"}, "region": {"default": "eu-west-1"}},
            },
            {"url": "http://127.0.0.1:3001", "description": "make run (the local stack)"},
        ],
        "post": {
            "tags": ["Webhook"],
            "operationId": "receiveTaramoneyWebhook",
            "summary": "Taramoney's callback: a payment succeeded or failed",
            "description": (
                "Not for your frontend. `POST /payments` gives Taramoney this address as the payment's "
                "`webHookUrl`: it names our payment and carries a token (HMAC-SHA256 of the payment id under a "
                "signing key kept in Secrets Manager), which is how a callback is tied to its payment and "
                "authenticated; Taramoney signs nothing. Taramoney never retries: a callback that passed "
                "authentication and validation is parked on a queue when DynamoDB fails and applied later."
            ),
            "parameters": [
                {
                    "name": "paymentId",
                    "in": "path",
                    "required": True,
                    "description": "Our payment id",
                    "schema": {"type": "string"},
                },
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "description": "HMAC-SHA256 of the payment id, base64url: the callback's credential",
                    "schema": {"type": "string"},
                },
                {
                    "name": "tara-webhook-secret",
                    "in": "header",
                    "required": False,
                    "description": "Required, and compared in constant time, when a shared webhook secret is set",
                    "schema": {"type": "string"},
                },
            ],
            "requestBody": {
                "required": True,
                "description": (
                    f"At most {MAX_WEBHOOK_BYTES} bytes. `status` in any case; `amount`/`originalAmount` may be "
                    "strings; dates carry an offset; unknown fields are kept."
                ),
                "content": {
                    "application/json": {
                        "schema": {"$ref": _REF.format(model="WebhookPayload")},
                        "examples": {"success": {"value": _WEBHOOK_EXAMPLE}},
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Applied, or a duplicate or stale callback that changed nothing",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": _REF.format(model="WebhookReceipt")},
                            "examples": {"received": {"value": receipt}},
                        }
                    },
                },
                **_problem_responses(_WEBHOOK_REFUSALS),
            },
        },
    }


_WEBHOOK_EXAMPLE = {
    "businessId": "your-business-id",
    "paymentId": "awerSxlerxrfrt-6",
    "collectionId": "456641929164",
    "phoneNumber": "655123456",
    "creationDate": "2026-11-28T11:00:03.678+01:00",
    "changeDate": "2026-11-28T11:01:41.112+01:00",
    "status": "SUCCESS",
}


def _drop_unused_schemas(document: dict[str, Any]) -> None:
    """Leave out the resolver's validation-error schemas: the API answers problem details instead."""
    schemas = document["components"]["schemas"]
    while True:
        text = json.dumps({key: value for key, value in document.items() if key != "components"})
        text += json.dumps(schemas)
        unused = [name for name in schemas if f'"{_REF.format(model=name)}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or [str(DOCUMENT)])[0])
    target.write_text(render(build_document()))
    print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
