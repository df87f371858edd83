"""Fixtures: a private API home per module and the two fronts, parametrized."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fronts import ApiHome, Front, make_api_home, open_front


@pytest.fixture(scope="module")
def api_home(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> ApiHome:
    return make_api_home(tmp_path_factory.mktemp("api") / "home", trained_home, sample_dir)


@pytest.fixture(scope="module", params=["chalice", "proxy"])
def front(request: pytest.FixtureRequest, api_home: ApiHome) -> Iterator[Front]:
    """Each test runs once per front; both fronts share one home per module."""
    with open_front(request.param, api_home.home) as opened:
        yield opened
