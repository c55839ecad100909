"""/docs and /openapi.json are answered beside the local API; nothing else is taken from it."""

from __future__ import annotations

import pytest

from local_stack.api_docs import api_docs_file
from local_stack.http_front import RawRequest


def get(path: str, method: str = "GET") -> RawRequest:
    return RawRequest(method, path, [("host", "127.0.0.1:3000")], b"", "127.0.0.1")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/docs", "text/html; charset=utf-8"),
        ("/docs/", "text/html; charset=utf-8"),
        ("/openapi.json", "application/json"),
        ("/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/docs/swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
def test_the_documentation_is_served(path: str, content_type: str) -> None:
    answer = api_docs_file(get(path))
    assert answer is not None
    assert (answer.status, dict(answer.headers)["content-type"]) == (200, content_type)
    assert len(answer.body) > 100


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/payments/abc"), ("POST", "/docs"), ("GET", "/docs/../template.yaml")]
)
def test_other_requests_are_left_to_the_api(method: str, path: str) -> None:
    assert api_docs_file(get(path, method)) is None
