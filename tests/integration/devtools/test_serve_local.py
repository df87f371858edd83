"""`make run` on a fresh machine: sample, train, deploy, key, then a working API."""

from __future__ import annotations

import http.client
import json
import re
import stat
from pathlib import Path

import pytest

from devtools.launch import running_proxy
from tests.events import prediction_request


@pytest.mark.slow
def test_fresh_home_ends_with_a_working_api(tmp_path: Path) -> None:
    home = tmp_path / "pvp"
    # serve_local trains before it serves: /ping answering means all of it is done.
    with running_proxy(
        home, workers=1, env={"HOME": str(tmp_path)}, timeout=120, module="devtools.serve_local"
    ) as server:
        text = server.log_path.read_text()
        key = re.search(r"your API key \(shown once\): (\S+)", text)
        assert key, text
        assert "curl" in text and str(home / "api-keys.json") in text
        assert stat.S_IMODE((home / "api-keys.json").stat().st_mode) == 0o600
        body = prediction_request()
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.request("POST", "/get_prediction", json.dumps(body), {"API-key": key.group(1)})
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert json.loads(response.read())["value"] > 0
