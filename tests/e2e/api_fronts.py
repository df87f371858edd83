"""Two fronts over the same app (chalice.test.Client, the proxy over HTTP), each on a
backend: the local one (a home) or AWS (moto_server and the model server); and the
Chalice front as a WSGI app, for WSGI clients."""

from __future__ import annotations

import http.client
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

from chalice_app.local.keys import ensure_key_file
from devtools.launch import running_proxy
from devtools.moto_stack import environ
from ecs_proxy.lambda_event import headers_from_environ
from tests.events import prediction_request
from tests.secrets_watch import register

REPO_ROOT = Path(__file__).resolve().parents[2]
# A valid /get_prediction body, for tests that need many answers and no particular one.
PREDICTION_BODY = json.dumps(prediction_request()).encode()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


Logged = Callable[[], dict[str, dict[str, Any]]]


class Front(Protocol):
    name: str
    backend: str
    key: str

    def logged(self) -> dict[str, dict[str, Any]]:
        """The prediction log's entries, by prediction id."""
        ...

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
    return ApiHome(target, register(key))


def sqlite_log(home: Path) -> Logged:
    def read() -> dict[str, dict[str, Any]]:
        with sqlite3.connect(home / "predictions.sqlite") as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM predictions").fetchall()
        return {row["prediction_id"]: dict(row) for row in rows}

    return read


@dataclass
class _Backend:
    backend: str
    key: str
    logged: Logged


class ChaliceFront(_Backend):
    name = "chalice"

    def __init__(self, backend: str, key: str, logged: Logged) -> None:
        from chalice.test import Client

        from chalice_app.app import app

        super().__init__(backend, key, logged)
        # On AWS the stage's environment_variables come from .chalice/config.json, as
        # deployed; the local backend is no stage's, so it reads no stage config.
        project = REPO_ROOT if backend == "aws" else Path(__file__).parent
        self._client = Client(app, stage_name="dev", project_dir=str(project))

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


class HttpFront(_Backend):
    name = "proxy"

    def __init__(self, host: str, port: int, backend: str, key: str, logged: Logged) -> None:
        super().__init__(backend, key, logged)
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


@contextmanager
def open_front(
    kind: str,
    home: Path,
    key: str,
    logged: Logged,
    *,
    backend: str = "local",
    env: dict[str, str] | None = None,
) -> Iterator[Front]:
    """A front over a backend: a proxy subprocess, or the app in this process."""
    from chalice_app.wiring import reset_backends

    if kind == "proxy":
        with running_proxy(home, env=env) as server:
            yield HttpFront(server.host, server.port, backend, key, logged)
        return
    # In-process: the app reads its configuration once, so set it, then forget the old.
    with environ({**(env or {}), "OMP_NUM_THREADS": "1"}):
        reset_backends()
        try:
            yield ChaliceFront(backend, key, logged)
        finally:
            reset_backends()


def open_local_front(
    kind: str, api: ApiHome, env: dict[str, str] | None = None
) -> AbstractContextManager[Front]:
    """A front on the local backend over an API home."""
    env = {"PVP_HOME": str(api.home), **(env or {})}
    return open_front(kind, api.home, api.key, sqlite_log(api.home), env=env)
