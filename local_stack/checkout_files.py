"""The checkout component, served beside the local HTTP API: ``GET /checkout/`` and its files.

Locally only, so that ``make run`` then a browser shows a whole payment with the
simulator: the page and the API share an origin. The deployed API serves no files;
merchants host ``web/checkout/`` themselves (README).
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from .api_docs import api_docs_file
from .http_front import Answer, HttpApiFront, RawRequest
from .template import ROOT

CHECKOUT_PREFIX = "/checkout/"
CHECKOUT_DIR = ROOT / "web" / "checkout"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def checkout_file(request: RawRequest, directory: Path = CHECKOUT_DIR) -> Answer | None:
    """The answer for a request under ``/checkout/``, or None when the path is not the checkout's."""
    if request.method not in {"GET", "HEAD"}:
        return None
    if request.path == CHECKOUT_PREFIX.rstrip("/"):
        return Answer(HTTPStatus.MOVED_PERMANENTLY, [("location", CHECKOUT_PREFIX)], b"")
    if not request.path.startswith(CHECKOUT_PREFIX):
        return None
    name = request.path.removeprefix(CHECKOUT_PREFIX) or "index.html"
    file = (directory / name).resolve()
    kind = _CONTENT_TYPES.get(file.suffix)
    if kind is None or not file.is_relative_to(directory.resolve()) or not file.is_file():
        return Answer(HTTPStatus.NOT_FOUND, [("content-type", "text/plain")], b"Not Found")
    # no-cache: an edited file shows on the next reload
    return Answer(HTTPStatus.OK, [("content-type", kind), ("cache-control", "no-cache")], file.read_bytes())


class HttpApiWithCheckout(HttpApiFront):
    """The HTTP API front, plus the checkout's files under ``/checkout/`` and the API's docs (``/docs``)."""

    def handle(self, request: RawRequest) -> Answer:
        return checkout_file(request) or api_docs_file(request) or super().handle(request)
