"""The API's documentation beside the local HTTP API: Swagger UI at ``/docs``, the document at ``/openapi.json``.

Locally only, like the checkout: the deployed API serves neither. The document is
the committed ``docs/openapi.json`` (a test keeps it current with the code), told that
this stack is its first server so that "Try it out" calls it. Swagger UI's script and
stylesheet are the copies Powertools ships, so the page works with no network.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import aws_lambda_powertools

from .http_front import Answer, RawRequest
from .template import ROOT

DOCS_PATH = "/docs"
DOCUMENT_PATH = "/openapi.json"
DOCUMENT = ROOT / "docs" / "openapi.json"
SWAGGER_UI_DIR = Path(aws_lambda_powertools.__file__).parent / "event_handler" / "openapi" / "swagger_ui"
_ASSETS = {
    "/docs/swagger-ui-bundle.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "/docs/swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Taramoney payments API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui">Loading the API documentation...</div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                                 docExpansion: "list", presets: [SwaggerUIBundle.presets.apis]});
  </script>
</body>
</html>
"""


def api_docs_file(request: RawRequest, document: Path = DOCUMENT) -> Answer | None:
    """The answer for ``/docs``, its assets and ``/openapi.json``, or None for any other request."""
    if request.method not in {"GET", "HEAD"}:
        return None
    if request.path in {DOCS_PATH, DOCS_PATH + "/"}:
        return _ok("text/html; charset=utf-8", _PAGE.encode())
    if request.path == DOCUMENT_PATH:
        return _ok("application/json", json.dumps(_served_here(document)).encode())
    if request.path in _ASSETS:
        name, kind = _ASSETS[request.path]
        return _ok(kind, (SWAGGER_UI_DIR / name).read_bytes())
    return None


def _served_here(document: Path) -> dict[str, object]:
    """The document with this stack (the page's own origin) as the API's first server."""
    content: dict[str, object] = json.loads(document.read_text())
    servers = content.get("servers")
    here = {"url": "/", "description": "This local stack"}
    content["servers"] = [here, *servers] if isinstance(servers, list) else [here]
    return content


def _ok(kind: str, body: bytes) -> Answer:
    return Answer(HTTPStatus.OK, [("content-type", kind), ("cache-control", "no-cache")], body)
