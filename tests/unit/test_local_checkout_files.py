"""The local stack serves the checkout at /checkout/ of the API port, and nothing else of the disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_stack.checkout_files import checkout_file
from local_stack.http_front import RawRequest


def get(path: str, method: str = "GET") -> RawRequest:
    return RawRequest(method, path, [("host", "127.0.0.1:3000")], b"", "127.0.0.1")


@pytest.mark.parametrize(
    ("path", "content_type", "starts_with"),
    [
        ("/checkout/", "text/html; charset=utf-8", b"<!doctype html>"),
        ("/checkout/index.html?lang=en", "text/html; charset=utf-8", b"<!doctype html>"),
        ("/checkout/checkout.js", "text/javascript; charset=utf-8", b"// <taramoney-checkout>"),
        ("/checkout/checkout.css", "text/css; charset=utf-8", b"/*"),
    ],
)
def test_the_checkout_files_are_served(path: str, content_type: str, starts_with: bytes) -> None:
    answer = checkout_file(get(path))
    assert answer is not None
    assert answer.status == 200
    assert ("content-type", content_type) in answer.headers
    assert answer.body.startswith(starts_with)


def test_the_bare_prefix_redirects_so_relative_urls_resolve() -> None:
    answer = checkout_file(get("/checkout"))
    assert answer is not None
    assert (answer.status, answer.headers) == (301, [("location", "/checkout/")])


@pytest.mark.parametrize(
    "path", ["/checkout/../template.yaml", "/checkout/..%2ftemplate.yaml", "/checkout/nope.js", "/checkout/x.py"]
)
def test_nothing_else_of_the_disk_is_served(path: str) -> None:
    answer = checkout_file(get(path))
    assert answer is not None
    assert answer.status == 404


@pytest.mark.parametrize(("method", "path"), [("GET", "/payments/abc"), ("POST", "/checkout/"), ("GET", "/")])
def test_other_requests_are_left_to_the_api(method: str, path: str) -> None:
    assert checkout_file(get(path, method)) is None


def test_a_file_outside_the_folder_is_refused_even_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "checkout"
    folder.mkdir()
    (tmp_path / "secret.js").write_text("secret")
    (folder / "link.js").symlink_to(tmp_path / "secret.js")
    answer = checkout_file(get("/checkout/link.js"), directory=folder)
    assert answer is not None
    assert answer.status == 404
