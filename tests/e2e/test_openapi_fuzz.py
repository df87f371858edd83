"""Schemathesis, driven by the committed OpenAPI document, against both fronts.

Every operation gets its examples, the coverage phase's boundary and negative cases,
and a fixed budget of generated ones (positive and negative), derandomized with a
fixed seed: the same requests every run. Each answer must be no 5xx and conform to the
document (status, content type, schema, headers); invalid data must be refused, a
missing key must be refused, undocumented methods must get 405.

Off, with reason: positive_data_acceptance (a Sector the schema allows may be one the
deployed model never saw: a documented 422, not a bug).

Each front has a home of its own whose training data is a tiny invalid CSV, so a 200
from /start_training costs a run that fails at validation in about a second instead of
a training; while it lives, other starts meet the one-run limit (409).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_fronts import ApiHome, ChaliceWsgi, make_api_home, open_local_front
from schemathesis.config import SchemathesisConfig

from chalice_app.openapi import DOCUMENT_PATH, EXAMPLE_EXECUTION_ID
from devtools.launch import running_proxy
from training_pipeline.run_log import RunLog

EXAMPLES = 25  # generated per operation and phase, beyond examples and coverage
SEED = 20261130
# The fuzz home's only key: the schema's auth is configured when this module loads.
FUZZ_KEY = "fuzz-key-" + "k" * 32


def _schema(**extra: Any) -> Any:
    settings: dict[str, Any] = {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "auth": {"openapi": {"ApiKey": {"api_key": FUZZ_KEY}}},
        "checks": {"positive_data_acceptance": {"enabled": False}},
    }
    for name, value in extra.items():
        settings[name] = {**settings.get(name, {}), **value}
    return schemathesis.openapi.from_path(
        DOCUMENT_PATH, config=SchemathesisConfig.from_dict(settings)
    )


proxy_schema = _schema()
# Undeclared methods are the gateway's business on the Chalice front, not the app's:
# Chalice's LocalGateway answers OPTIONS itself (and chalice.test.Client then fails on
# the body-less answer), and API Gateway answers undeclared methods with its own 403
# before any Lambda runs. The app's own 405 is pinned on both fronts by test_api_contract.
chalice_schema = _schema(
    phases={"coverage": {"unexpected-methods": ["put", "patch", "delete", "trace"]}},
    checks={"unsupported_method": {"enabled": False}},
)
# Every chalice_schema case goes to this WSGI app, in process (no socket); its front is
# opened by the chalice_front fixture, once the home exists.
chalice_gateway = ChaliceWsgi()
chalice_schema.app = chalice_gateway


def _fuzz_home(
    factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> tuple[ApiHome, dict[str, str]]:
    """A home of its own per front: a run one front starts must not make the other's 409s."""
    home = make_api_home(factory.mktemp("fuzz") / "home", trained_home, sample_dir).home
    (home / "api-keys.json").write_text(json.dumps({"fuzz": FUZZ_KEY}))
    data = home / "data"
    data.mkdir()
    for name in ("train.csv", "test.csv", "tiny.csv"):
        (data / name).write_text("type\ncasa\n")
    tiny = str(data / "tiny.csv")
    # The run the document's example names, so GET /training/{execution_id} can be 200.
    runs = RunLog(home)
    runs.claim(EXAMPLE_EXECUTION_ID, tiny, tiny)
    runs.update(EXAMPLE_EXECUTION_ID, status="failed", reason="an example", step="validate")
    return ApiHome(home, FUZZ_KEY), {"PVP_TRAIN_PATH": tiny, "PVP_VALIDATION_PATH": tiny}


@pytest.fixture(scope="module")
def proxy_url(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> Iterator[str]:
    api, env = _fuzz_home(tmp_path_factory, trained_home, sample_dir)
    with running_proxy(api.home, env={"PVP_HOME": str(api.home), **env}) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def chalice_front(
    tmp_path_factory: pytest.TempPathFactory, trained_home: Path, sample_dir: Path
) -> Iterator[None]:
    api, env = _fuzz_home(tmp_path_factory, trained_home, sample_dir)
    with open_local_front("chalice", api, env) as front:
        chalice_gateway.front = front  # type: ignore[assignment]
        yield
        chalice_gateway.front = None


# (front, operation) -> status -> answers, for the coverage check at the end.
SEEN: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)


@pytest.mark.slow
@proxy_schema.parametrize()
def test_the_proxy_keeps_the_contract(case: Any, proxy_url: str) -> None:
    response = case.call_and_validate(base_url=proxy_url)
    SEEN["proxy", case.operation.label][response.status_code] += 1


@pytest.mark.slow
@chalice_schema.parametrize()
def test_the_chalice_front_keeps_the_contract(case: Any, chalice_front: None) -> None:
    response = case.call_and_validate()
    SEEN["chalice", case.operation.label][response.status_code] += 1


@pytest.mark.slow
def test_every_operation_was_answered_and_refused_on_both_fronts() -> None:
    if not SEEN:
        pytest.skip("the fuzz tests did not run in this session")
    for front in ("proxy", "chalice"):
        for label in ("GET /ping", "GET /openapi.json"):
            assert 200 in SEEN[front, label], (front, label)
        for label in (
            "POST /get_prediction",
            "POST /get_predictions",
            "GET /training/{execution_id}",
        ):
            statuses = SEEN[front, label]
            assert 200 in statuses and 403 in statuses, (front, label, statuses)
        # One run at a time: once a case has started one, the others meet it (409).
        starts = SEEN[front, "POST /start_training"] + SEEN[front, "GET /start_training"]
        assert {200, 403, 409, 422} <= set(starts), (front, starts)
        assert 422 in SEEN[front, "POST /get_prediction"]
        assert 422 in SEEN[front, "POST /get_predictions"]  # not a list, or too long
        assert 404 in SEEN[front, "GET /training/{execution_id}"]
    total = sum(sum(c.values()) for c in SEEN.values())
    print(f"\nschemathesis: {total} checked answers")
    for (front, label), statuses in sorted(SEEN.items()):
        print(f"  {front:8} {label:32} {dict(sorted(statuses.items()))}")
