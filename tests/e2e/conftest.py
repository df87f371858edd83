"""Fixtures: a private API home per module and the two fronts, parametrized."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fronts import ApiHome, ChaliceFront, Front, HttpFront, make_api_home

from ecs_proxy.launch import running_proxy


def _set_env(values: dict[str, str]) -> dict[str, str | None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def api_home(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> ApiHome:
    return make_api_home(tmp_path_factory.mktemp("api") / "home", trained_home, sample_dir)


@pytest.fixture(scope="module", params=["chalice", "proxy"])
def front(request: pytest.FixtureRequest, api_home: ApiHome) -> Iterator[Front]:
    """Each test runs once per front; both fronts share one home per module."""
    from chalice_app.wiring import reset_backends

    if request.param == "proxy":
        with running_proxy(api_home.home) as server:
            yield HttpFront(server.host, server.port)
        return
    # In-process: the app reads its configuration once, so set it, then forget the old.
    saved = _set_env({"PVP_HOME": str(api_home.home), "OMP_NUM_THREADS": "1"})
    reset_backends()
    try:
        yield ChaliceFront()
    finally:
        _restore_env(saved)
        reset_backends()
