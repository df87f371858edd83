"""Fixtures: the fronts (chalice.test.Client, the proxy over HTTP) on each backend
(a private local home per module; the session's stage on moto_server), parametrized."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fronts import ApiHome, ChaliceFront, Front, HttpFront, make_api_home, sqlite_log

from ecs_proxy.launch import running_proxy
from tests.conftest import AwsStack, environ, logged_predictions


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
    from chalice_app.wiring import reset_backends

    kind, _, backend = request.param.partition("-")
    if backend == "aws":
        stack: AwsStack = request.getfixturevalue("aws_stack")
        key, env = stack.key, stack.env
        home = tmp_path_factory.mktemp("aws-proxy")
        logged = lambda: logged_predictions(stack)  # noqa: E731
    else:
        api: ApiHome = request.getfixturevalue("api_home")
        key, home, logged = api.key, api.home, sqlite_log(api.home)
        env = {"PVP_HOME": str(api.home)}
    backend = backend or "local"
    if kind == "proxy":
        with running_proxy(home, env=env) as server:
            yield HttpFront(server.host, server.port, backend, key, logged)
        return
    # In-process: the app reads its configuration once, so set it, then forget the old.
    with environ({**env, "OMP_NUM_THREADS": "1"}):
        reset_backends()
        try:
            yield ChaliceFront(backend, key, logged)
        finally:
            reset_backends()
