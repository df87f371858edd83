"""Two fronts over the same app (chalice.test.Client, the proxy over HTTP) and a home."""

from __future__ import annotations

import http.client
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chalice_app.local.keys import ensure_key_file

REPO_ROOT = Path(__file__).resolve().parents[2]
# A valid /get_prediction body, for tests that need many answers and no particular one.
PREDICTION_BODY = json.dumps(
    {
        "Type": "casa",
        "Sector": "Las Condes",
        "NetUsableArea": 200,
        "NetArea": 400,
        "NRooms": 4,
        "NBathroom": 3,
        "Latitude": -33.41,
        "Longitude": -70.55,
    }
).encode()


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
