"""Phone numbers in logs: the mask support may see, and a net for numbers that slip through.

Kept apart from ``phone`` (which loads ``phonenumbers``) so that the logger can use it
without paying for the operator tables.
"""

from __future__ import annotations

import re

# A Cameroon mobile number as code tends to print it: 6XXXXXXXX, 2376XXXXXXXX,
# +2376XXXXXXXX or 002376XXXXXXXX, not glued to other letters or digits (ids, hashes).
_CAMEROON_MOBILE_IN_TEXT = re.compile(r"(?<![\w-])(?:\+|00)?(?:237)?(6\d{8})(?![\w-])")


def mask_phone(number: str) -> str:
    """``655123456`` -> ``655***456``: enough to help support, never the whole number."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "***"
    return f"{digits[:3]}***{digits[-3:]}"


def mask_phone_numbers(text: str) -> str:
    """``text`` with every Cameroon mobile number in it masked as ``mask_phone`` does."""
    return _CAMEROON_MOBILE_IN_TEXT.sub(lambda found: mask_phone(found.group(1)), text)
