"""The whole prediction log, scanned for API keys after clients asked through every
front: every entry names its client (the key's name), and no form of any key the
suite issued is anywhere in it (the rows, and locally the SQLite files' bytes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.secrets_watch import issued, leaks

BODY = {
    "Type": "casa",
    "Sector": "la reina",
    "NetUsableArea": 180.0,
    "NetArea": 400.0,
    "NRooms": 4,
    "NBathroom": 3,
    "Latitude": -33.445,
    "Longitude": -70.545,
}


def test_no_key_is_anywhere_in_the_log(front: Any, request: pytest.FixtureRequest) -> None:
    headers = {"API-key": front.key, "Content-Type": "application/json"}
    ids = set()
    for rooms in (2, 3, 4):
        answer = front.request(
            "POST", "/get_prediction", json.dumps({**BODY, "NRooms": rooms}).encode(), headers
        )
        assert answer.status == 200, answer.raw
        ids.add(answer.json()["prediction_id"])

    logged = front.logged()  # every row (locally) or item (a Scan on moto) of the log
    assert ids <= set(logged)
    assert {logged[i]["client"] for i in ids} == {"default"}
    keys = issued() | {front.key}
    assert leaks(json.dumps(logged, default=str), keys) == []
    if front.backend == "local":  # and the database's own files, byte for byte
        home: Path = request.getfixturevalue("api_home").home
        files = sorted(home.glob("predictions.sqlite*"))
        assert files
        for path in files:
            assert leaks(path.read_bytes().decode("latin-1"), keys) == [], path
