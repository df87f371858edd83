"""A key store that cannot be read is the service's fault (503), never "invalid key".

Both fronts start with nothing cached (a fresh proxy, fresh backends), so every request
must read the broken file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_fronts import ApiHome, Front, make_api_home

BROKEN = {
    "not JSON": "{not json",
    "no key in it": "{}",
    "keys that are not strings": '{"default": 12345}',
    "a JSON list": '["a", "b"]',
}


@pytest.fixture(scope="module")
def api_home(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> ApiHome:
    home = make_api_home(tmp_path_factory.mktemp("keys") / "home", trained_home, sample_dir)
    (home.home / "api-keys.json").write_text(BROKEN["not JSON"])
    return home


def _predict(front: Front, key: str | None) -> tuple[int, dict[str, object], str]:
    headers = {} if key is None else {"API-key": key}
    answer = front.request("POST", "/get_prediction", b"{}", headers)
    return answer.status, answer.json(), answer.raw.decode()


def test_a_broken_key_store_is_503_without_paths_and_recovers(
    local_front: Front, api_home: ApiHome
) -> None:
    front, key_file = local_front, api_home.home / "api-keys.json"
    for name, content in BROKEN.items():
        # GIVEN a key file that holds no usable key
        key_file.write_text(content)
        for key in (api_home.key, "some-other-key"):
            # WHEN a client sends a key (the right one, or not)
            status, body, raw = _predict(front, key)
            # THEN the service says it cannot check keys, without saying where they live
            assert status == 503, (name, raw)
            assert body["error"] == "API keys cannot be checked now; try again later"
            assert body["request_id"]
            assert str(api_home.home) not in raw and "api-keys" not in raw
        # A request without a key needs no store to be refused.
        assert _predict(front, None)[0] == 403
    key_file.unlink()
    assert _predict(front, api_home.key)[0] == 503
    # AND once the file is back, the same key works with no restart
    key_file.write_text(json.dumps({"default": api_home.key}))
    status, _, raw = _predict(front, api_home.key)
    assert status == 422, raw  # past the key check: the empty body is refused
