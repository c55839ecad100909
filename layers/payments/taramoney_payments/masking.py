"""What a log line may not show: the mask support may see, and a net for what slips through.

- Phone numbers: ``655123456`` is written ``655***456`` (``mask_phone``), and any Cameroon
  mobile number left in a line is masked the same way (``mask_phone_numbers``).
- Secrets: the values the service is given (the Taramoney apiKey, the webhook signing key,
  the shared ``tara-webhook-secret``) are registered with ``never_log`` as they are read,
  and show as ``***`` wherever they appear; so does the token of a webhook address
  (``/payments/{paymentId}/{token}``), which authenticates Taramoney's calls.
``mask_log_line`` applies all of it; the logger's formatter calls it on every line, so
a caller that forgets (an exception message, a logged event or payload) leaks nothing.

Kept apart from ``phone`` (the numbering plan and operator tables) so that the logger
can use it without loading them.
"""

from __future__ import annotations

import re

# A Cameroon mobile number as code or a customer writes it: 6XXXXXXXX, 2376XXXXXXXX,
# +2376XXXXXXXX or 002376XXXXXXXX, digits grouped by runs of spaces, dots or dashes or not
# ("+237 655 12 34 56", "655 - 12 - 34 - 56": every spelling the webhook's parser accepts),
# or by ``+`` and led by ``%2B`` as a form-encoded body writes them; not glued to other
# letters or digits (ids, hashes). In a JSON line, after an escape that ends in a letter
# (``\n``, ``\t``, ``\u00e9``) a number is not glued to it. The separator runs are possessive
# (``*+``): a long run without a digit after it is not tried again, character by character.
_SEPARATORS = r"[ .+-]*+"
_CAMEROON_MOBILE_IN_TEXT = re.compile(
    r"(?:(?<![\w.+-])|(?<=\\[nrtbf])|(?<=\\u[0-9a-fA-F]{4}))"
    rf"(?:(?:\+|00|%2[Bb]){_SEPARATORS})?(?:237{_SEPARATORS})?6(?:{_SEPARATORS}\d){{8}}(?![\w-])"
)
# What every such number ends with. Searching for it first is about 15 times faster on a log
# line without one (most lines): it starts with a literal, so the regex engine skips ahead.
_MOBILE_NUMBER_TAIL = re.compile(rf"6(?:{_SEPARATORS}\d){{8}}")
# A webhook address: our payment id, then its token (43 URL-safe characters; shorter forgeries too),
# its slashes as they are, escaped (``\/``, as PHP writes JSON, then doubled in a JSON log line),
# escaped as a code point (``\u002F``), URL-encoded (``%2F``, the address as a form or query
# value) or URL-encoded twice (``%252F``, that value inside another address).
# Not a module's path in a traceback (``layers/payments/taramoney_payments/idempotency.py``).
# It starts with a slash, not with the backslashes of an escaped one: a pattern that may start
# with any number of them is tried again at each backslash of a run (quadratic on a long run).
_ENCODED_SLASH = r"(?:%(?:25)?2[Ff]|u002[Ff])"
_SLASH = r"(?:\\*/|%(?:25)?2[Ff]|\\+u002[Ff])"
_WEBHOOK_TOKEN_IN_TEXT = re.compile(
    rf"((?:/|{_ENCODED_SLASH})payments{_SLASH}[\w%-]{{1,128}}?{_SLASH})[\w%=-]{{8,}}+(?!\.py\b)"
)
# What every such address holds after our id's path segment. Searched for first, as for phone
# numbers: most lines have none ("payments" alone is in every line: the service's name).
_WEBHOOK_TOKEN_HINT = re.compile(r"payments(?:[\\/]|%(?:25)?2[Ff])")
_MIN_SECRET_CHARS = 8  # shorter values would mask ordinary words; real keys are far longer
_secrets: list[str] = []  # longest first, sorted as they are registered: a secret holding another is masked whole


def mask_phone(number: str) -> str:
    """``655123456`` -> ``655***456``: enough to help support, never the whole number."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "***"
    return f"{digits[:3]}***{digits[-3:]}"


def mask_phone_numbers(text: str) -> str:
    """``text`` with every Cameroon mobile number in it masked as ``mask_phone`` does."""
    if _MOBILE_NUMBER_TAIL.search(text) is None:
        return text
    return _CAMEROON_MOBILE_IN_TEXT.sub(lambda found: mask_phone(re.sub(r"\D", "", found.group(0))[-9:]), text)


def never_log(*values: str | None) -> None:
    """Register secret values: from now on every log line shows ``***`` in their place."""
    registered = {*_secrets, *(value for value in values if value and len(value) >= _MIN_SECRET_CHARS)}
    _secrets[:] = sorted(registered, key=len, reverse=True)


def redact_secrets(text: str) -> str:
    """``text`` without any registered secret or webhook address token."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    if _WEBHOOK_TOKEN_HINT.search(text) is None:
        return text
    return _WEBHOOK_TOKEN_IN_TEXT.sub(r"\1***", text)


def mask_log_line(text: str) -> str:
    """A log line as it may be written: no secret, no webhook token, no full phone number."""
    return mask_phone_numbers(redact_secrets(text))
