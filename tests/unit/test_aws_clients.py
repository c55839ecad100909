"""The functions' AWS clients: made without botocore listing every service it has a model for.

botocore's own loader checks a service's name against a listing of its data folder, one
folder per service (about 440), and does it at every cold start. The functions' loader
knows the services the stack calls, so a client costs a look into its own service's folder.
It reads the models into plain dicts, not botocore's ``OrderedDict``s: the same data, sooner.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from taramoney_payments import aws
from tests.conftest import BOTOCORE_OWN_DATA_LOADER, REGION, reset_service_caches


@pytest.fixture(autouse=True)
def new_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in a new container: no client made, and every session with a loader that has read nothing yet
    (not the one the other tests share)."""
    monkeypatch.setattr(botocore.session.Session, "_register_data_loader", BOTOCORE_OWN_DATA_LOADER)
    reset_service_caches()
    yield
    reset_service_caches()


def folders_listed(monkeypatch: pytest.MonkeyPatch, make_client: Callable[[], Any]) -> set[str]:
    """The names of the folders making a client lists (botocore looks for models with ``os.listdir``)."""
    listed: list[str] = []
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        listed.append(path)
        return real_listdir(path)

    with monkeypatch.context() as patched:
        patched.setattr(os, "listdir", listdir)
        make_client()
    return {Path(path).name for path in listed}


@pytest.mark.parametrize("service", aws.CALLED_SERVICES)
def test_a_client_of_the_functions_lists_only_its_own_service_folder(
    monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    stock = folders_listed(monkeypatch, lambda: boto3.Session(region_name=REGION).client(service))
    ours = folders_listed(monkeypatch, lambda: aws.fail_fast_aws_client(service))

    assert len(stock - {service}) > 400  # a folder per service botocore has a model for
    assert ours == {service}  # the service's own folder (in botocore's data, and boto3's if it has one)


def test_a_client_for_a_service_the_stack_does_not_call_is_refused_with_the_ones_it_does() -> None:
    with pytest.raises(UnknownServiceError) as refused:
        aws.aws_client("s3")

    assert all(service in str(refused.value) for service in aws.CALLED_SERVICES)


def the_functions_loader() -> Any:
    return aws._session()._session.get_component("data_loader")


# What making a client of the functions reads: every region's endpoints, the partitions and the
# SDK's defaults, then each service's API and endpoint rules. (``_retry``, botocore's legacy
# retry rules, is read only in legacy retry mode, not by the functions' standard mode.)
SHARED_MODELS = ("endpoints", "partitions", "_retry", "sdk-default-configuration")
SERVICE_MODELS = ("service-2", "endpoint-rule-set-1")


def ordered_dicts_in(data: Any) -> int:
    """How many ``OrderedDict``s the data holds, at any depth (botocore's own loader builds only those)."""
    if isinstance(data, dict):
        return (type(data) is not dict) + sum(ordered_dicts_in(value) for value in data.values())
    if isinstance(data, list):
        return sum(ordered_dicts_in(item) for item in data)
    return 0


@pytest.mark.parametrize("model", SHARED_MODELS)
def test_the_functions_read_each_shared_model_as_botocore_does_into_plain_dicts(model: str) -> None:
    ours, stock = the_functions_loader().load_data(model), Loader().load_data(model)

    assert ordered_dicts_in(stock) > 0  # botocore's own, in about three times as long
    assert ordered_dicts_in(ours) == 0
    assert json.dumps(ours) == json.dumps(stock)  # the same data, in the same order


@pytest.mark.parametrize("service", aws.CALLED_SERVICES)
@pytest.mark.parametrize("model", SERVICE_MODELS)
def test_the_functions_read_each_service_model_as_botocore_does_into_plain_dicts(service: str, model: str) -> None:
    ours, stock = the_functions_loader().load_service_model(service, model), Loader().load_service_model(service, model)

    assert ordered_dicts_in(ours) == 0
    assert json.dumps(ours) == json.dumps(stock)


def test_a_model_file_that_is_not_there_is_not_found_so_botocore_looks_in_its_next_folder(tmp_path: Path) -> None:
    # botocore searches ~/.aws/models before its own data: a file missing there must read as None, not as empty
    assert aws._ModelFileLoader().load_file(str(tmp_path / "service-2")) is None


def test_the_functions_read_a_model_from_aws_data_path_first_as_botocore_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a DynamoDB model of its own in a folder of AWS_DATA_PATH, as an operator may add one
    stock = Loader().load_service_model("dynamodb", "service-2")
    own = {**stock, "metadata": {**stock["metadata"], "serviceFullName": "DynamoDB, as patched here"}}
    folder = tmp_path / "dynamodb" / stock["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(own))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    # then the functions' DynamoDB client is made from it
    client = aws.aws_client("dynamodb")
    assert client.meta.service_model.metadata["serviceFullName"] == "DynamoDB, as patched here"
