"""The test invoker against the ECS proxy on 127.0.0.1 (a real server process on the
local backend), a closed port, a listener that never answers and one that hangs up: run
as a function and as Lambda runs it (chalice.test.Client), with every event in
tests/events/. Whatever happens, a result comes back, never an exception, and the key it
forwards reaches no output."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_fronts import ApiHome
from chalice.test import Client

from chalice_app.app import app
from chalice_app.invoker import event as kinds
from chalice_app.invoker.service import MARGIN_SECONDS, invoke
from contract.environment import API_URL
from contract.resources import TEST_INVOKER
from devtools.launch import RunningServer, free_port, running_proxy
from devtools.moto_stack import environ
from tests import events
from tests.conftest import REPO_ROOT
from tests.secrets_watch import leaks

ROUTES = {path: entries.keys() for path, entries in app.routes.items()}
INVOKER_EVENTS = events.names(TEST_INVOKER)
# What the proxy on the local backend answers each event (its training data paths are
# S3 URIs, which the local backend refuses without starting a run), or the error kind
# of an event the invoker refuses to send.
EXPECTED: dict[str, int | str] = {
    "test_invoker/ping": 200,
    "test_invoker/openapi": 200,
    "test_invoker/get_prediction": 200,
    "test_invoker/get_predictions": 200,
    "test_invoker/start_training": 422,
    "test_invoker/training_status": 404,
    "test_invoker/refused/unknown_endpoint": kinds.UNKNOWN_ENDPOINT,
    "test_invoker/refused/unknown_method": kinds.METHOD_NOT_ALLOWED,
}
SENT = [name for name in INVOKER_EVENTS if isinstance(EXPECTED[name], int)]
# Every other function's events: the invoker must refuse each, not crash on it.
OTHERS = [name for name in events.names("") if not name.startswith(f"{TEST_INVOKER}/")]


@pytest.fixture(scope="module")
def proxy(api_home: ApiHome) -> Iterator[RunningServer]:
    with running_proxy(api_home.home, workers=1, env={"PVP_HOME": str(api_home.home)}) as server:
        yield server


def _event(name: str, api_home: ApiHome) -> Any:
    return events.with_api_key(events.load(name), api_home.key)


def _call(url: str | None, event: Any, seconds_left: float = 10.0) -> dict[str, Any]:
    env = {API_URL.name: url} if url else {}
    return invoke(event, ROUTES, env, seconds_left)


def _lambda() -> Client:
    """The app as the dev stage deploys it (.chalice/config.json), invoked as Lambda does."""
    return Client(app, stage_name="dev", project_dir=str(REPO_ROOT))


def _outcome(result: dict[str, Any]) -> int | str:
    assert set(result) == {"status_code", "body", "error"}
    if result["error"] is None:
        assert isinstance(result["status_code"], int)
        return int(result["status_code"])
    assert result["status_code"] is None and result["body"] is None
    assert result["error"]["message"]
    return str(result["error"]["kind"])


def test_every_invoker_event_has_its_expected_outcome() -> None:
    assert set(EXPECTED) == set(INVOKER_EVENTS)


@pytest.mark.parametrize("name", INVOKER_EVENTS)
def test_each_event_against_the_proxy(name: str, proxy: RunningServer, api_home: ApiHome) -> None:
    result = _call(proxy.base_url, _event(name, api_home))

    assert _outcome(result) == EXPECTED[name], result
    if name == events.PREDICTION_EVENT:
        assert result["body"]["value"] > 0 and result["body"]["model_version"].startswith("v")
    if name == events.BATCH_EVENT:
        priced, house, unknown = result["body"]["predictions"]
        assert (
            priced["value"] > 0
            and house["value"] > 0
            and unknown["fields"] == {"Sector": "unknown category"}
        )
    if name.endswith("start_training"):
        assert result["body"]["result"] == "FAILURE"  # the old contract's refusal


def test_through_chalice_as_lambda_runs_it(
    proxy: RunningServer, api_home: ApiHome, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the stage's configuration as deployed, with the URL the stack would set
    with environ({API_URL.name: proxy.base_url}), _lambda() as client:
        # WHEN Lambda invokes the function with each of its events
        results = {
            name: client.lambda_.invoke(TEST_INVOKER, _event(name, api_home)).payload
            for name in INVOKER_EVENTS
        }

    # THEN each has its outcome, and the logs name routes, never the key it forwarded
    assert {name: _outcome(result) for name, result in results.items()} == EXPECTED
    output = capsys.readouterr().out
    assert output.count('"message":"called the API"') == len(INVOKER_EVENTS)
    assert '"route":"/get_prediction"' in output
    assert leaks(output, [api_home.key]) == []


@pytest.mark.parametrize("name", OTHERS)
def test_another_functions_event_is_refused_not_sent(name: str, proxy: RunningServer) -> None:
    result = _call(proxy.base_url, events.load(name))
    assert _outcome(result) == kinds.BAD_EVENT


@pytest.mark.parametrize("name", SENT)
def test_a_closed_port_is_refused(name: str, api_home: ApiHome) -> None:
    result = _call(f"http://127.0.0.1:{free_port()}", _event(name, api_home))
    assert _outcome(result) == kinds.REFUSED
    assert "refused" in result["error"]["message"]


@pytest.fixture
def silent_listener() -> Iterator[tuple[str, threading.Event]]:
    """Accepts connections, reads nothing, answers nothing, until the test ends."""
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as server:
        held: list[socket.socket] = []

        def accept() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                try:
                    held.append(server.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.getsockname()[1]}", stop
        stop.set()
        thread.join()
        for conn in held:
            conn.close()


@pytest.mark.parametrize("name", SENT)
def test_a_hanging_api_times_out_inside_the_functions_own_time(
    name: str, api_home: ApiHome, silent_listener: tuple[str, threading.Event]
) -> None:
    url, _ = silent_listener
    seconds_left = MARGIN_SECONDS + 0.5

    started = time.monotonic()
    result = _call(url, _event(name, api_home), seconds_left)
    elapsed = time.monotonic() - started

    assert _outcome(result) == kinds.TIMEOUT
    # The budget is what the function has left less its margin: it answers in time.
    assert 0.5 <= elapsed < seconds_left


def test_a_hanging_api_through_chalice_leaves_the_function_time_to_answer(
    silent_listener: tuple[str, threading.Event], api_home: ApiHome
) -> None:
    url, _ = silent_listener
    with environ({API_URL.name: url}), _lambda() as client:
        started = time.monotonic()
        result = client.lambda_.invoke(TEST_INVOKER, _event(events.PREDICTION_EVENT, api_home))
        elapsed = time.monotonic() - started

    # Chalice's test context gives a function 3 s; the invoker answers before that.
    assert _outcome(result.payload) == kinds.TIMEOUT
    assert elapsed < 3.0


def test_an_api_that_hangs_up_is_a_bad_answer(api_home: ApiHome) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:

        def hang_up() -> None:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        result = _call(url, _event(events.PREDICTION_EVENT, api_home))
        thread.join(timeout=5)

    assert _outcome(result) == kinds.BAD_ANSWER


def test_a_header_http_cannot_carry_is_refused_not_a_crash(proxy: RunningServer) -> None:
    event = events.load("test_invoker/ping")
    event["headers"] = {"X-Client": "Ñuñoa ☃"}  # beyond latin-1, what HTTP/1.1 headers carry
    result = _call(proxy.base_url, event)
    assert _outcome(result) == kinds.BAD_EVENT
    assert "cannot be sent" in result["error"]["message"]


def test_tls_to_a_plain_http_server_is_unreachable_not_a_crash(proxy: RunningServer) -> None:
    result = _call(f"https://{proxy.host}:{proxy.port}", events.load("test_invoker/ping"))
    assert _outcome(result) == kinds.UNREACHABLE


@pytest.mark.parametrize("url", [None, "ftp://alb.internal", "http://alb internal"])
def test_without_a_usable_url_the_result_says_so(url: str | None) -> None:
    result = _call(url, events.load("test_invoker/ping"))
    assert _outcome(result) == kinds.NOT_CONFIGURED
    assert API_URL.name in result["error"]["message"]
