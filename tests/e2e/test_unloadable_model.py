"""Models that cannot be loaded, met by a running server (both fronts).

A proxy started on a home whose only model is noise must boot and answer 503 with a
reason; a running server must serve as soon as a good version is deployed, and keep
serving it when a later deploy cannot be loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fronts import ApiHome, Front, make_api_home, open_local_front

from tests.conftest import deploy_copy, unloadable_model_files
from tests.events import prediction_request
from training_pipeline.model import MODEL_FILENAME

BODY = json.dumps(prediction_request()).encode()


def _spoil_every_model(home: Path) -> None:
    """Every version there is becomes noise (a bad disk): nothing to fall back on."""
    for model_file in home.glob(f"models/*/{MODEL_FILENAME}"):
        model_file.write_bytes(unloadable_model_files(b"")["random bytes"])


@pytest.fixture(params=["chalice", "proxy"])
def spoiled(
    request: pytest.FixtureRequest, tmp_path: Path, trained_home: Path, sample_dir: Path
) -> Iterator[tuple[Front, ApiHome]]:
    """A front started on a home of its own whose only model is noise."""
    api = make_api_home(tmp_path / "home", trained_home, sample_dir)
    _spoil_every_model(api.home)
    # For the proxy, this is the boot: running_proxy returns once /ping answers at all.
    with open_local_front(request.param, api) as front:
        yield front, api


def _ask(front: Front, api: ApiHome) -> tuple[tuple[int, dict[str, object]], ...]:
    ping = front.request("GET", "/ping")
    predicted = front.request(
        "POST", "/get_prediction", BODY, {"API-key": api.key, "Content-Type": "application/json"}
    )
    for answer in (ping, predicted):
        assert (
            str(api.home) not in answer.raw.decode() and "site-packages" not in answer.raw.decode()
        )
    return (ping.status, ping.json()), (predicted.status, predicted.json())


def test_unloadable_models_are_503_then_a_good_deploy_serves_and_survives_a_bad_one(
    spoiled: tuple[Front, ApiHome], trained_home: Path
) -> None:
    front, api_home = spoiled
    home, source = api_home.home, trained_home / "models" / "v0001"
    bad_files = unloadable_model_files((source / MODEL_FILENAME).read_bytes())
    assert front.request("GET", "/ping").status == 503  # booted, and says so
    for kind, content in bad_files.items():
        # GIVEN only unloadable models deployed, ever
        version = deploy_copy(home, source, content)
        (ping, predicted) = _ask(front, api_home)
        # THEN both routes say 503 and why, naming the version
        for status, body in (ping, predicted):
            assert status == 503, (kind, body)
            assert "cannot be loaded" in str(body["error"]), (kind, body)
            assert version in str(body["error"])
    # WHEN a good version is deployed, THEN it serves with no restart
    good = deploy_copy(home, source)
    (ping, predicted) = _ask(front, api_home)
    assert ping == (200, {"status": "ok", "model_version": good})
    assert predicted[0] == 200 and predicted[1]["model_version"] == good
    # WHEN a newer deploy cannot be loaded, THEN the good one keeps answering, and /ping
    # stays 200 but says the service is degraded and why
    bad = deploy_copy(home, source, bad_files["a module this server lacks"])
    for _ in range(4):  # both workers of the proxy, whichever saw the good one
        (ping, predicted) = _ask(front, api_home)
        assert predicted[0] == 200 and predicted[1]["model_version"] == good
        assert ping[0] == 200 and ping[1]["status"] == "degraded"
        reason = ping[1]["degraded"]["model"]  # type: ignore[index]
        assert bad in reason and f"still serving {good}" in reason and "library" in reason
