"""The committed OpenAPI document is what the code generates, and covers every route."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from chalice_app.app import app
from chalice_app.openapi import DOCUMENT_PATH, build_document, render


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert DOCUMENT_PATH.read_text() == render(), (
        "code and chalice_app/openapi.json drifted: run `python -m chalice_app.openapi`"
    )


def test_the_document_is_valid_openapi_3_1() -> None:
    document = json.loads(DOCUMENT_PATH.read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_and_method_is_documented_and_nothing_else() -> None:
    documented = {
        (path, method.upper())
        for path, operations in build_document()["paths"].items()
        for method in operations
    }
    routed = {(path, method) for path, entries in app.routes.items() for method in entries}
    assert documented == routed
