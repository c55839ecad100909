"""What can go wrong with a payment, each with the status and code clients rely on.

The one HTTP error mapper (``problems``) turns these into RFC 9457 problem details.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class PaymentError(Exception):
    """A refusal a client can act on. Subclasses fix ``status``, ``code`` and ``title``."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    code: str = "INTERNAL_ERROR"
    title: str = "Internal error"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, payment_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.payment_id = payment_id


class MalformedJson(PaymentError):
    status, code, title = HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", "Malformed JSON"


class PayloadTooLarge(PaymentError):
    status, code, title = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Payload too large"


class RequestValidationFailed(PaymentError):
    status, code, title = HTTPStatus.UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", "Invalid request"


class InvalidPhoneNumberError(PaymentError):
    status, code, title = HTTPStatus.UNPROCESSABLE_ENTITY, "INVALID_PHONE_NUMBER", "Invalid phone number"


class UnsupportedOperatorError(PaymentError):
    status, code, title = HTTPStatus.UNPROCESSABLE_ENTITY, "UNSUPPORTED_OPERATOR", "Unsupported operator"


class IdempotencyKeyReused(PaymentError):
    status, code, title = HTTPStatus.CONFLICT, "IDEMPOTENCY_KEY_REUSED", "Idempotency key reused"


class RequestInProgress(PaymentError):
    status, code, title = HTTPStatus.CONFLICT, "REQUEST_IN_PROGRESS", "Request in progress"


class TooManyPendingPayments(PaymentError):
    status, code, title = HTTPStatus.TOO_MANY_REQUESTS, "TOO_MANY_PENDING_PAYMENTS", "Too many pending payments"


class PaymentNotFound(PaymentError):
    status, code, title = HTTPStatus.NOT_FOUND, "PAYMENT_NOT_FOUND", "Payment not found"


class ServiceUnavailable(PaymentError):
    """Our own storage (DynamoDB, Secrets Manager) failed or was too slow; nothing was ordered."""

    status, code, title = HTTPStatus.SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service temporarily unavailable"


UNAVAILABLE_DETAIL = "Payments are briefly unavailable; retry in a few seconds with the same request"


class ProviderRejected(PaymentError):
    status, code, title = HTTPStatus.BAD_GATEWAY, "PROVIDER_REJECTED", "Payment refused by the provider"


class ProviderUnavailable(PaymentError):
    status, code, title = HTTPStatus.BAD_GATEWAY, "PROVIDER_UNAVAILABLE", "Payment provider unavailable"


class ProviderTimedOut(ProviderUnavailable):
    status = HTTPStatus.GATEWAY_TIMEOUT


# The webhook's refusals (SPEC section 4). Their details never say which secret was wrong.
class MethodNotAllowed(PaymentError):
    status, code, title = HTTPStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed"


class WebhookNotAuthenticated(PaymentError):
    status, code, title = HTTPStatus.UNAUTHORIZED, "UNAUTHENTICATED", "Webhook not authenticated"


class SharedSecretMismatch(PaymentError):
    """A valid address token without the shared secret set here: answered as any unauthenticated call.

    Not a ``WebhookNotAuthenticated``: the token proves the caller holds the address Taramoney
    was given, so this is most likely Taramoney with a dashboard secret that differs from ours.
    """

    status, code, title = HTTPStatus.UNAUTHORIZED, "UNAUTHENTICATED", "Webhook not authenticated"


class InvalidWebhookPayload(PaymentError):
    status, code, title = HTTPStatus.BAD_REQUEST, "INVALID_PAYLOAD", "Invalid webhook payload"


class ForeignBusiness(PaymentError):
    status, code, title = HTTPStatus.FORBIDDEN, "FOREIGN_BUSINESS", "Webhook for another business"


class PhoneNumberMismatch(PaymentError):
    status, code, title = HTTPStatus.CONFLICT, "PHONE_NUMBER_MISMATCH", "Phone number does not match the payment"


class WebhookNotStored(PaymentError):
    status, code, title = HTTPStatus.INTERNAL_SERVER_ERROR, "WEBHOOK_NOT_STORED", "Webhook could not be stored"
