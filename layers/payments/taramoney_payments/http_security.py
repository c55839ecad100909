"""Security headers on every HTTP answer of the service (the payments API and the webhook).

Set where the answer is built, after routing and error mapping, so that no answer
(a payment, a problem, a refusal of the webhook) goes out without them:
- ``Strict-Transport-Security``: browsers never talk to the API over plain HTTP;
- ``X-Content-Type-Options: nosniff``: a JSON answer is never run as script or HTML;
- ``Cache-Control: no-store``: payment data stays out of browser and proxy caches;
- ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'``: a JSON
  document loads nothing and is framed by nobody;
- ``Referrer-Policy: no-referrer``: links followed from an answer leak no URL.
CORS headers are not set here: API Gateway answers CORS itself from the template's
``CorsConfiguration`` (``AllowedOrigins``) and drops what a function says about it.
"""

from __future__ import annotations

from typing import Any

SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def with_security_headers(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` (a Lambda proxy answer, payload 2.0) with the security headers added."""
    headers = dict(response.get("headers") or {})
    present = {name.lower() for name in headers}
    headers.update({name: value for name, value in SECURITY_HEADERS.items() if name.lower() not in present})
    return {**response, "headers": headers}
