"""tests/events/ has events for every function, each in the shape its sender uses and
naming the dev stage's resources as contract.resources names them."""

from __future__ import annotations

import json

import pytest

from chalice_app.app import app
from chalice_app.callbacks.step_event import parse_event
from contract.pipeline import EVENT_FIELDS
from contract.resources import ROTATE_API_KEYS, TEST_INVOKER, StageNames
from tests import events

DEV = StageNames("dev")
# Chalice's name for the API's function (`chalice invoke -n api_handler`).
API_HANDLER = "api_handler"
ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


def _functions() -> set[str]:
    functions = {function.name for function in app.pure_lambda_functions}
    return functions | {source.name for source in app.event_sources}


def test_every_function_has_events_and_every_folder_is_a_function() -> None:
    folders = {path.name for path in events.EVENTS_DIR.iterdir() if path.is_dir()} - {"__pycache__"}
    # The rotation function joins the app in its own change; its events are ready.
    assert folders == _functions() | {API_HANDLER, ROTATE_API_KEYS}
    assert all(events.names(folder) for folder in folders)


def test_the_invoker_events_are_the_old_systems_shape() -> None:
    for name in events.names(TEST_INVOKER):
        assert set(events.load(name)) == {"endpoint", "headers", "method_type", "payload"}, name


def test_a_placeholder_key_is_filled_wherever_it_stands() -> None:
    event = events.load("api_handler/get_prediction")
    filled = events.with_api_key(event, 'k"1')
    assert filled["headers"]["API-key"] == 'k"1'
    assert filled["multiValueHeaders"]["API-key"] == ['k"1']
    assert events.API_KEY_PLACEHOLDER not in json.dumps(filled)
    assert events.API_KEY_PLACEHOLDER in json.dumps(events.load("api_handler/get_prediction"))


def test_each_api_gateway_event_asks_for_its_route() -> None:
    for name in events.names(API_HANDLER):
        if "/malformed/" in name:
            continue
        event = events.load(name)
        assert event["requestContext"]["resourcePath"] in app.routes, name
        assert event["resource"] == event["requestContext"]["resourcePath"]


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("deploy_callback/accepted", True), ("record_rejection/rejected", False)],
)
def test_the_pipeline_step_events_are_what_the_steps_send(name: str, accepted: bool) -> None:
    event = events.load(name)
    assert tuple(event) == EVENT_FIELDS
    parsed = parse_event(event)
    assert parsed.accepted is accepted
    assert f":pipeline/{DEV.pipeline}/execution/{parsed.execution_id}" in parsed.execution_arn
    assert f":model-package/{DEV.model_package_group}/" in parsed.model_package_arn
    assert event["model_package_group"] == DEV.model_package_group
    prefix = f"s3://{DEV.bucket}/{DEV.artifacts_prefix}/"
    assert parsed.evaluation_uri.startswith(prefix) and parsed.model_data_url.startswith(prefix)


def test_the_rotation_events_are_secrets_managers_four_steps_on_the_stages_secret() -> None:
    sent = [events.load(name) for name in events.names(ROTATE_API_KEYS)]
    assert all(set(event) == {"SecretId", "ClientRequestToken", "Step"} for event in sent)
    assert sorted(event["Step"] for event in sent) == sorted(ROTATION_STEPS)
    assert len({event["ClientRequestToken"] for event in sent}) == 1  # one rotation
    assert all(f":secret:{DEV.secret}-" in event["SecretId"] for event in sent)


def test_the_schedule_event_is_eventbridges() -> None:
    (name,) = events.names("deploy_watch")
    event = events.load(name)
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert event["resources"][0].startswith("arn:aws:events:")
