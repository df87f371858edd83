"""Fixtures: the fronts (chalice.test.Client, the proxy over HTTP) on each backend
(a private local home per module; the session's stage on moto_server), parametrized."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fronts import ApiHome, Front, make_api_home, open_front, open_local_front, sqlite_log

from contract.environment import BATCH_LOG_SECONDS, ENDPOINT_TIMEOUT
from tests.conftest import AwsStack, logged_predictions


@pytest.fixture(scope="module")
def api_home(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> ApiHome:
    return make_api_home(tmp_path_factory.mktemp("api") / "home", trained_home, sample_dir)


@pytest.fixture(scope="module", params=["chalice", "proxy", "chalice-aws", "proxy-aws"])
def front(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Front]:
    """Each test runs once per front and backend; a module shares one home or stage."""
    kind, _, backend = request.param.partition("-")
    if backend == "aws":
        stack: AwsStack = request.getfixturevalue("aws_stack")
        # moto takes 50-70 ms a BatchWriteItem here (AWS a few): a busy machine must not
        # cut a 1,000-row batch's log short. The endpoint (the local model server) answers
        # in milliseconds, so the time budget's endpoint share goes to the log instead;
        # the deadline itself: test_aws_prediction_log.
        key = stack.key
        env = {**stack.env, ENDPOINT_TIMEOUT.name: "2", BATCH_LOG_SECONDS.name: "12"}
        home = tmp_path_factory.mktemp("aws-proxy")
        logged = lambda: logged_predictions(stack)  # noqa: E731
    else:
        api: ApiHome = request.getfixturevalue("api_home")
        key, home, logged = api.key, api.home, sqlite_log(api.home)
        env = {"PVP_HOME": str(api.home)}
    with open_front(kind, home, key, logged, backend=backend or "local", env=env) as opened:
        yield opened


@pytest.fixture(scope="module", params=["chalice", "proxy"])
def local_front(request: pytest.FixtureRequest, api_home: ApiHome) -> Iterator[Front]:
    """The two fronts on the local backend only: for faults and guards of its own."""
    with open_local_front(request.param, api_home) as opened:
        yield opened
