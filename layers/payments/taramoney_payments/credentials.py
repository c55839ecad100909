"""The merchant's Taramoney credentials and the webhook signing key, from Secrets Manager.

Read through Powertools parameters, cached for ``SECRET_MAX_AGE_SECONDS`` so a warm
container does not call Secrets Manager per payment. The read uses the fail-fast client
(short timeouts, few retries): an outage must not eat the function's whole timeout.
When a refresh fails, the last secret read is used on: a Secrets Manager outage must not
stop payments and webhooks that the cached secret can still serve. A container that never
read the secret has nothing to fall back on and fails. Never logged, never returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from aws_lambda_powertools.utilities import parameters

from .aws import fail_fast_aws_client
from .masking import never_log
from .observability import logger
from .settings import get_settings


@dataclass(frozen=True, slots=True)
class MerchantCredentials:
    api_key: str = field(repr=False)
    business_id: str = field(repr=False)
    webhook_signing_key: str = field(repr=False)
    # Set in the Taramoney dashboard, if the merchant uses it; sent as `tara-webhook-secret`.
    webhook_shared_secret: str | None = field(default=None, repr=False)


class CredentialsUnavailable(RuntimeError):
    """The secret could not be read, and no earlier read of it is at hand."""


class _SecretSource:
    """The secret through one Powertools provider, and the last credentials it gave."""

    def __init__(self, provider: parameters.SecretsProvider, secret_id: str, max_age_seconds: int) -> None:
        self._provider = provider
        self._secret_id = secret_id
        self._max_age = max_age_seconds
        self._last_good: MerchantCredentials | None = None
        self._last_secret: object = None

    def read(self) -> MerchantCredentials:
        try:
            secret = self._provider.get(self._secret_id, transform="json", max_age=self._max_age)
        except parameters.GetParameterError as error:
            if self._last_good is None:
                raise CredentialsUnavailable("the Taramoney secret could not be read from Secrets Manager") from error
            logger.warning("Secrets Manager failed; using the secret read before", extra={"reason": str(error)})
            return self._last_good
        # Built, and its values registered as never logged, once per secret value, not once per payment.
        if self._last_good is None or secret != self._last_secret:
            self._last_good = _credentials_from(secret)
            self._last_secret = secret
        return self._last_good


def _credentials_from(secret: object) -> MerchantCredentials:
    if not isinstance(secret, dict):
        raise RuntimeError("the Taramoney secret must be a JSON object")
    try:
        credentials = MerchantCredentials(
            api_key=secret["apiKey"],
            business_id=secret["businessId"],
            webhook_signing_key=secret["webhookSigningKey"],
            webhook_shared_secret=secret.get("webhookSharedSecret") or None,
        )
    except KeyError as error:
        raise RuntimeError(f"the Taramoney secret lacks {error.args[0]}") from None
    # None shows in a log, the business id included: Taramoney's field notes count it among the
    # merchant's secrets, and a refused webhook's payload, which carries it, is logged.
    never_log(
        credentials.api_key,
        credentials.business_id,
        credentials.webhook_signing_key,
        credentials.webhook_shared_secret,
    )
    return credentials


@cache
def _secret_source() -> _SecretSource:
    settings = get_settings()
    provider = parameters.SecretsProvider(boto3_client=fail_fast_aws_client("secretsmanager"))
    return _SecretSource(provider, settings.taramoney_secret_id, settings.secret_max_age_seconds)


def load_credentials() -> MerchantCredentials:
    return _secret_source().read()
