"""The local stack documents its API: Swagger UI at /docs and the OpenAPI document at /openapi.json."""

from __future__ import annotations

import json

import pytest
import requests

from local_stack.api_docs import DOCUMENT
from tests.local_stack_session import RunningStack

pytestmark = pytest.mark.e2e


def test_swagger_ui_is_served_at_docs_with_its_own_assets(stack: RunningStack) -> None:
    # given the local stack / when a browser opens /docs
    page = requests.get(f"{stack.api}/docs", timeout=10)

    # then it gets Swagger UI pointed at the document, and the page's script and stylesheet, no CDN needed
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'url: "/openapi.json"' in page.text
    script = requests.get(f"{stack.api}/docs/swagger-ui-bundle.js", timeout=10)
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert requests.get(f"{stack.api}/docs/swagger-ui.css", timeout=10).headers["content-type"].startswith("text/css")


def test_the_openapi_document_is_served_with_this_stack_as_its_first_server(stack: RunningStack) -> None:
    answer = requests.get(f"{stack.api}/openapi.json", timeout=10)

    assert answer.status_code == 200
    served = answer.json()
    committed = json.loads(DOCUMENT.read_text())
    assert served["servers"][0]["url"] == "/"
    assert served["servers"][1:] == committed["servers"]
    assert served["paths"] == committed["paths"]


def test_the_documented_try_it_out_call_reaches_the_api(stack: RunningStack) -> None:
    # given the example body the document gives for starting a payment
    served = requests.get(f"{stack.api}/openapi.json", timeout=10).json()
    operation = served["paths"]["/payments"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["examples"]["payment"]["value"]

    # when it is sent to the first server, as Swagger UI's "Try it out" would
    answer = requests.post(f"{stack.api}/payments", json=example, timeout=30)

    # then the API answers one of the statuses the document lists for it
    assert str(answer.status_code) in operation["responses"], answer.text
