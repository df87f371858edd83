"""make smoke's runner against a real stage here: each event goes to the test invoker as
Lambda runs it (chalice.test.Client, the dev stage's configuration), which calls the ECS
proxy on 127.0.0.1 over HTTP, as the deployed invoker calls the stage's front. Only the
transport differs from AWS (Lambda's Invoke: tests/unit/devtools/infra/test_smoke.py).
A healthy stage passes; a wrong key, a stage with no model and a front that is down fail,
each naming the events and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fronts import ApiHome
from chalice.test import Client

from chalice_app.app import app
from chalice_app.local.keys import ensure_key_file
from contract.environment import API_URL
from contract.resources import TEST_INVOKER
from devtools.infra import smoke
from devtools.launch import RunningServer, free_port, running_proxy
from devtools.moto_stack import environ
from tests.conftest import REPO_ROOT
from tests.secrets_watch import leaks, register


@pytest.fixture(scope="module")
def proxy(api_home: ApiHome) -> Iterator[RunningServer]:
    with running_proxy(api_home.home, workers=1, env={"PVP_HOME": str(api_home.home)}) as server:
        yield server


def _run(url: str, key: str, **options: Any) -> list[smoke.Outcome]:
    with (
        environ({API_URL.name: url}),
        Client(app, stage_name="dev", project_dir=str(REPO_ROOT)) as client,
    ):

        def invoke(event: Any) -> Any:
            return client.lambda_.invoke(TEST_INVOKER, event).payload

        return smoke.run(invoke, key, **options)


def _failed(outcomes: list[smoke.Outcome]) -> dict[str, str]:
    return {o.event.removeprefix(f"{TEST_INVOKER}/"): o.got for o in outcomes if not o.ok}


def test_a_healthy_stage_passes_every_check(
    proxy: RunningServer, api_home: ApiHome, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = _run(proxy.base_url, api_home.key)

    assert [o.event for o in outcomes] == list(smoke.CHECKS)
    assert _failed(outcomes) == {}
    assert leaks(capsys.readouterr().out, [api_home.key]) == []


def test_a_wrong_key_fails_the_keyed_routes(proxy: RunningServer) -> None:
    outcomes = _run(proxy.base_url, "not-the-stages-key")

    failed = _failed(outcomes)
    assert set(failed) == {"get_prediction", "get_predictions", "training_status"}
    assert all(got.startswith("403 ") for got in failed.values())
    # The line says what to expect and what came: the API's own message.
    (line,) = [o.line() for o in outcomes if o.event.endswith("/get_prediction")]
    assert line.startswith("FAIL  test_invoker/get_prediction: expected 200, got 403 {")


@pytest.fixture(scope="module")
def modelless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    """A stage whose deploy has not trained yet: keys, no model."""
    home: Path = tmp_path_factory.mktemp("no-model")
    key = ensure_key_file(home / "api-keys.json")
    assert key is not None
    register(key)
    with running_proxy(home, workers=1, env={"PVP_HOME": str(home)}) as server:
        yield server, key


def test_a_stage_that_serves_no_model_fails_after_waiting(
    modelless: tuple[RunningServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, key = modelless

    outcomes = _run(server.base_url, key, wait=0.5)

    failed = _failed(outcomes)
    assert set(failed) == {"ping", "get_prediction", "get_predictions"}
    assert all(got.startswith("503 ") and "no model" in got for got in failed.values())
    assert "waiting for a model: 503" in capsys.readouterr().out


def test_a_front_that_is_down_fails_every_sent_event(api_home: ApiHome) -> None:
    outcomes = _run(f"http://127.0.0.1:{free_port()}", api_home.key)

    failed = _failed(outcomes)
    sent = [name for name, expected in smoke.CHECKS.items() if expected.refused is None]
    assert set(failed) == {name.removeprefix(f"{TEST_INVOKER}/") for name in sent}
    assert all(got.startswith("refused (refused)") for got in failed.values())
