"""`make cost` (python -m devtools.infra.cost) runs offline as its own process, and its
figures come from the templates: the same command on a copy of infra/ whose network
stack lost its ALB costs exactly the ALB's hours less at rest (and its capacity units
per prediction through the ECS front), and nothing else changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.infra.cfn import dump, load
from devtools.infra.cost import OLD, Prices
from tests.conftest import REPO_ROOT

# A closed loopback port as every proxy: any request to AWS (or anywhere) fails at once.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}


def _cost(stage: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, **OFFLINE}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(name, None)
    ran = subprocess.run(
        [sys.executable, "-m", "devtools.infra.cost", "--stage", stage, "--json", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    figures: dict[str, Any] = json.loads(ran.stdout)
    return figures


def test_a_lambda_only_stage_has_no_front_of_the_old_kind_and_costs_less_at_rest() -> None:
    figures = _cost("dev")

    dev, old = figures["items"]["dev"], figures["items"][OLD]
    assert "internal ALB" not in dev["at_rest"] and "Fargate tasks" not in dev["at_rest"]
    assert {"internal ALB", "Fargate tasks", "interface endpoints"} <= set(old["at_rest"])
    assert list(dev["per_1000"]) == ["lambda"] and list(old["per_1000"]) == ["ecs"]
    assert figures["summary"]["dev"]["at_rest"] < figures["summary"][OLD]["at_rest"]


def test_dropping_the_alb_from_the_template_drops_its_price_and_nothing_else(
    tmp_path: Path,
) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(REPO_ROOT / "infra", infra)
    network = load((infra / "network.yaml").read_text())
    assert network["Resources"]["LoadBalancer"]["Type"] == (
        "AWS::ElasticLoadBalancingV2::LoadBalancer"
    )
    del network["Resources"]["LoadBalancer"]
    (infra / "network.yaml").write_text(dump(network, "a test"))

    before = _cost("prd")
    after = _cost("prd", "--infra", str(infra))

    prices = Prices()
    alb_month = prices.hours * prices["alb_hour"]
    for topology in ("prd", OLD):  # the old topology reads the same network template
        was, now = before["summary"][topology], after["summary"][topology]
        assert was["at_rest"] - now["at_rest"] == pytest.approx(alb_month, abs=1e-9)
        assert "internal ALB" not in after["items"][topology]["at_rest"]
        # Through the ECS front a prediction no longer pays the ALB's capacity units.
        capacity = before["items"][topology]["per_1000"]["ecs"]["ALB capacity units"]
        assert capacity > 0
        assert was["per_1000"]["ecs"] - now["per_1000"]["ecs"] == pytest.approx(capacity)
        assert was["per_1000"].get("lambda") == now["per_1000"].get("lambda")
        changed = {
            name
            for name, usd in before["items"][topology]["at_rest"].items()
            if after["items"][topology]["at_rest"].get(name) != usd
        }
        assert changed == {"internal ALB"}
