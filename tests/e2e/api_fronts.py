"""Two fronts over the same app (chalice.test.Client, the proxy over HTTP), a home, and
the way to open either front over that home."""

from __future__ import annotations

import http.client
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

from chalice_app.local.keys import ensure_key_file
from ecs_proxy.events import headers_from_environ
from ecs_proxy.launch import running_proxy

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


class Front(Protocol):
    name: str

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer: ...


@dataclass(frozen=True)
class ApiHome:
    home: Path
    key: str


def make_api_home(target: Path, trained_home: Path, sample_dir: Path) -> ApiHome:
    """A private, writable copy of the trained home with the sample and a key file."""
    shutil.copytree(trained_home, target)
    shutil.copytree(sample_dir, target / "sample", dirs_exist_ok=True)
    key = ensure_key_file(target / "api-keys.json")
    assert key is not None
    return ApiHome(target, key)


class ChaliceFront:
    name = "chalice"

    def __init__(self) -> None:
        from chalice.test import Client

        from chalice_app.app import app

        # The stage's environment_variables come from .chalice/config.json, as deployed.
        self._client = Client(app, stage_name="dev", project_dir=str(REPO_ROOT))

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        response = self._client.http.request(method, path, headers=headers or {}, body=body)
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, lowered, response.body)


class ChaliceWsgi:
    """The Chalice front as a WSGI app, for clients that speak WSGI (schemathesis's).

    Each request goes through chalice.test.Client, i.e. Chalice's LocalGateway: the
    same API Gateway event and route matching the Chalice front tests use.
    """

    def __init__(self, front: ChaliceFront | None = None) -> None:
        self.front = front  # may be set later, once the app's home exists

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        assert self.front is not None, "no Chalice front to call yet"
        path = environ.get("PATH_INFO") or "/"
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        answer = self.front.request(
            environ["REQUEST_METHOD"], path, body, headers_from_environ(environ)
        )
        start_response(f"{answer.status} {_phrase(answer.status)}", list(answer.headers.items()))
        return [answer.raw]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class HttpFront:
    name = "proxy"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            lowered = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, lowered, response.read())
        finally:
            conn.close()


def _set_env(values: dict[str, str]) -> dict[str, str | None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def open_front(name: str, home: Path, env: dict[str, str] | None = None) -> Iterator[Front]:
    """The named front over a home: a proxy subprocess, or the app in this process."""
    from chalice_app.wiring import reset_backends

    if name == "proxy":
        with running_proxy(home, env=env) as server:
            yield HttpFront(server.host, server.port)
        return
    # In-process: the app reads its configuration once, so set it, then forget the old.
    saved = _set_env({"PVP_HOME": str(home), "OMP_NUM_THREADS": "1", **(env or {})})
    reset_backends()
    try:
        yield ChaliceFront()
    finally:
        _restore_env(saved)
        reset_backends()
