from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.lambda_runtime import LambdaContext, load_event, load_handler_module


@pytest.fixture
def api(function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TARAMONEY_API_URL", httpserver.url_for("/api/tara/cmmobile"))
    from tests.conftest import reset_service_caches

    reset_service_caches()
    return load_handler_module("payments_api")


def test_start_then_read(api: Any, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/tara/cmmobile", method="POST").respond_with_json(
        {"message": "API_ORDER_SUCESSFULL", "status": "SUCCESS", "ussdCode": "#150*50#", "vendor": "ORANGE_CAMEROON"}
    )
    event = load_event("payments_api/start_payment.json")
    answer = api.lambda_handler(event, LambdaContext())
    print(answer)
    assert answer["statusCode"] == 201
    body = json.loads(answer["body"])
    assert body["status"] == "PENDING"
    get = load_event("payments_api/get_payment.json")
    get["pathParameters"] = {"paymentId": body["paymentId"]}
    get["rawPath"] = get["requestContext"]["http"]["path"] = f"/payments/{body['paymentId']}"
    answer = api.lambda_handler(get, LambdaContext())
    print(answer)
    assert json.loads(answer["body"])["ussdCode"] == "#150*50#"
    again = api.lambda_handler(load_event("payments_api/start_payment.json"), LambdaContext())
    assert json.loads(again["body"])["paymentId"] == body["paymentId"]
    assert len(httpserver.log) == 1
