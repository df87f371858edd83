"""The committed OpenAPI document is valid and covers every route (its freshness:
tests/unit/devtools/test_generated.py)."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from chalice_app.app import app
from chalice_app.openapi import DOCUMENT_PATH, build_document


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
