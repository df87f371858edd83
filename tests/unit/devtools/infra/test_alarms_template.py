"""infra/alarms.yaml beyond cfn-lint and checkov (make lint-infra): every alarm notifies
the encrypted topic and names a runbook section that exists, the ECS front's alarms and
widgets exist only with that front, and the dashboard shows every alarm of its stage."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from contract.metrics import FRONT_ECS, STATUS_CLASSES
from devtools.infra import alarms_stack
from devtools.infra.alarms_stack import ALARMS, ECS_ALARMS, HAS_ECS, MIN_ANSWERS
from devtools.infra.cfn import existing
from tests.conftest import REPO_ROOT

RUNBOOK = REPO_ROOT / "docs" / "operations.md"


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = alarms_stack.template()["Resources"]
    return resources


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but hyphens dropped."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alarm_notifies_the_topic_and_names_a_runbook_section_that_exists() -> None:
    anchors = {
        _slug(line.lstrip("#")) for line in RUNBOOK.read_text().splitlines() if line[:1] == "#"
    }
    resources = _resources()
    alarms = {n: r for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {alarm.logical for alarm in ALARMS}
    for alarm in ALARMS:
        properties = alarms[alarm.logical]["Properties"]
        assert properties["AlarmName"] == {"Fn::Sub": alarm.name}
        assert properties["AlarmActions"] == properties["OKActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm.anchor in anchors, f"docs/operations.md has no section #{alarm.anchor}"
        assert properties["AlarmDescription"].endswith(f"What to do: {alarm.runbook}")
    topic = resources["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmKey"}
    key = resources["AlarmKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    # CloudWatch must be able to use the key, or the encrypted topic drops every alarm.
    (cloudwatch,) = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"].get("Service")]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


@pytest.mark.parametrize("front", ["true", "false"])
def test_the_ecs_fronts_alarms_and_widgets_exist_only_with_that_front(front: str) -> None:
    template = alarms_stack.template()
    made = existing(template, {"Stage": "prd", "EcsFront": front})
    ecs = {alarm.logical for alarm in ECS_ALARMS}
    assert (ecs <= set(made)) is (front == "true")
    assert all(template["Resources"][name]["Condition"] == HAS_ECS for name in ecs)

    dashboard = template["Resources"]["Dashboard"]["Properties"]
    _, with_ecs, without = dashboard["DashboardBody"]["Fn::If"]
    chosen = (with_ecs if front == "true" else without)["Fn::Sub"]
    body = json.loads(chosen[0] if isinstance(chosen, list) else chosen)
    (status, *graphs) = body["widgets"]
    shown = {arn.rsplit(":", 1)[1] for arn in status["properties"]["alarms"]}
    expected = [a for a in ALARMS if front == "true" or a not in ECS_ALARMS]
    assert shown == {alarm.name for alarm in expected}
    titles = " ".join(graph["properties"]["title"] for graph in graphs)
    assert (f"({FRONT_ECS})" in titles) is (front == "true")


def test_a_rate_is_one_class_over_every_class_and_nothing_below_the_minimum() -> None:
    queries = alarms_stack.answer_rate_queries("lambda", "503")
    stats = [q for q in queries if "MetricStat" in q]
    classes = [
        next(
            d["Value"]
            for d in q["MetricStat"]["Metric"]["Dimensions"]
            if d["Name"] == "status_class"
        )
        for q in stats
    ]
    assert classes == list(STATUS_CLASSES)
    assert [q["Id"] for q in queries if q["ReturnData"]] == ["rate"]
    whole = next(q for q in queries if q["Id"] == "answers")["Expression"]
    assert all(f"FILL({q['Id']}, 0)" in whole for q in stats)
    rate = next(q for q in queries if q["Id"] == "rate")["Expression"]
    part = f"class{STATUS_CLASSES.index('503')}"
    assert rate == f"IF(answers >= {MIN_ANSWERS}, FILL({part}, 0) / answers, 0)"
