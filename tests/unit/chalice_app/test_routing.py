from __future__ import annotations

from chalice_app.routing import RouteTable

TABLE = RouteTable(
    {
        "/ping": ["GET"],
        "/training/{execution_id}": ["GET"],
        "/training/latest": ["GET", "POST"],
    }
)


def test_literal_route() -> None:
    match = TABLE.match("/ping")
    assert match is not None and match.template == "/ping" and match.params == {}


def test_template_fills_path_parameters() -> None:
    match = TABLE.match("/training/run-1")
    assert match is not None
    assert match.template == "/training/{execution_id}"
    assert match.params == {"execution_id": "run-1"}


def test_literal_beats_template() -> None:
    match = TABLE.match("/training/latest")
    assert match is not None and match.template == "/training/latest"
    assert match.methods == {"GET", "POST"}


def test_no_match() -> None:
    for path in ("/", "/pingx", "/training/", "/training/a/b"):
        assert TABLE.match(path) is None
