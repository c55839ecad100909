"""The merchant's Taramoney credentials and the webhook signing key, from Secrets Manager.

Read through Powertools parameters, cached for ``SECRET_MAX_AGE_SECONDS`` so a warm
container does not call Secrets Manager per payment. Never logged, never returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_lambda_powertools.utilities import parameters

from .settings import get_settings


@dataclass(frozen=True, slots=True)
class MerchantCredentials:
    api_key: str = field(repr=False)
    business_id: str = field(repr=False)
    webhook_signing_key: str = field(repr=False)
    # Set in the Taramoney dashboard, if the merchant uses it; sent as `tara-webhook-secret`.
    webhook_shared_secret: str | None = field(default=None, repr=False)


def load_credentials() -> MerchantCredentials:
    settings = get_settings()
    secret = parameters.get_secret(
        settings.taramoney_secret_id, transform="json", max_age=settings.secret_max_age_seconds
    )
    if not isinstance(secret, dict):
        raise RuntimeError("the Taramoney secret must be a JSON object")
    try:
        return MerchantCredentials(
            api_key=secret["apiKey"],
            business_id=secret["businessId"],
            webhook_signing_key=secret["webhookSigningKey"],
            webhook_shared_secret=secret.get("webhookSharedSecret") or None,
        )
    except KeyError as error:
        raise RuntimeError(f"the Taramoney secret lacks {error.args[0]}") from None
