"""The buildspecs call the Makefile's targets and nothing else (make deploy is the one path
to a stage), or an AWS CLI deploy call; every variable they read is one the pipeline's
project for them sets. The Makefile's targets are read from make's own database."""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.resources import SHIPPED_STAGES
from devtools.infra import pipeline_stack
from tests.conftest import REPO_ROOT

BUILDSPECS = (pipeline_stack.DEPLOY_BUILDSPEC, pipeline_stack.SMOKE_BUILDSPEC)
# `aws cloudformation deploy ...`: the other form the issue allows.
AWS_DEPLOY = ("aws", "cloudformation", "deploy")
_ASSIGNMENT = re.compile(r"(?P<name>[A-Z_][A-Z0-9_]*)=(?P<value>\S*)")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@cache
def make_targets(makefile: Path = REPO_ROOT / "Makefile") -> frozenset[str]:
    """The Makefile's declared (.PHONY) targets, from `make -pq`'s database: what make
    itself reads, not a second parser of the file. -q runs no recipe."""
    database = subprocess.run(
        ["make", "-pq", "-f", str(makefile)],
        cwd=makefile.parent,
        capture_output=True,
        text=True,
        check=False,  # -q exits 1 when the default goal is not up to date
    ).stdout
    phony = next(line for line in database.splitlines() if line.startswith(".PHONY:"))
    return frozenset(phony.split(":", 1)[1].split())


def commands(buildspec: dict[str, Any]) -> list[str]:
    found = []
    for phase in buildspec.get("phases", {}).values():
        found += phase.get("commands", []) + phase.get("finally", [])
    return found


def refusal(command: str, targets: frozenset[str]) -> str | None:
    """Why `command` is neither `make <targets> [NAME=value ...]` nor an AWS CLI deploy
    call, or None when it is one of them."""
    if any(mark in command for mark in ("`", "$(", ";", "|", "&", ">", "<", "\n")):
        return "shell syntax: only plain commands"
    words = shlex.split(command)
    if tuple(words[:3]) == AWS_DEPLOY:
        return None
    if not words or words[0] != "make":
        return f"{words[:1]} is not make"
    asked = [word for word in words[1:] if not _ASSIGNMENT.fullmatch(word)]
    if not asked:
        return "make with no target"
    unknown = [word for word in asked if word not in targets]
    return f"not a target of the Makefile: {unknown}" if unknown else None


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / name).read_text())
    return loaded


def test_make_reads_the_targets_the_makefile_declares() -> None:
    targets = make_targets()
    assert {"test", "package", "deploy", "smoke", "lint-infra"} <= targets
    assert "$(BIN)/activate" not in targets and ".venv/bin/activate" not in targets


@pytest.mark.parametrize("name", BUILDSPECS)
def test_every_command_is_a_make_target(name: str) -> None:
    buildspec = _load(name)
    assert buildspec["version"] == 0.2
    found = commands(buildspec)
    assert found
    assert {command: refusal(command, make_targets()) for command in found} == dict.fromkeys(found)


def test_the_deploy_buildspec_tests_packages_and_deploys_in_that_order() -> None:
    targets = [shlex.split(command)[1] for command in commands(_load("buildspec.yml"))]
    assert targets == ["test", "package", "deploy"]
    assert _load("buildspec.yml")["phases"]["install"]["runtime-versions"] == {"python": 3.11}


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("pip install -r requirements.txt", "is not make"),
        ("make tests", "not a target"),
        ("make test && curl https://example.com/x.sh", "shell syntax"),
        ("make deploy STAGE=$(cat stage)", "shell syntax"),
        ("make STAGE=dev", "no target"),
        ("python -m devtools.infra.deploy deploy --stage dev", "is not make"),
        ("aws s3 cp build/dev s3://bucket/", "is not make"),
    ],
)
def test_a_command_that_is_not_a_make_target_is_refused(command: str, why: str) -> None:
    found = refusal(command, make_targets())
    assert found is not None and why in found


def test_an_aws_cli_deploy_call_is_allowed() -> None:
    command = "aws cloudformation deploy --stack-name s --template-file t.yaml"
    assert refusal(command, make_targets()) is None


@pytest.mark.parametrize("stage", SHIPPED_STAGES)
def test_every_variable_a_buildspec_reads_is_set_by_its_project(stage: str) -> None:
    resources = pipeline_stack.stage_resources(stage)
    for resource in resources.values():
        if resource["Type"] != "AWS::CodeBuild::Project":
            continue
        properties = resource["Properties"]
        given = {v["Name"]: v["Value"] for v in properties["Environment"]["EnvironmentVariables"]}
        read = set(_VARIABLE.findall(" ".join(commands(_load(properties["Source"]["BuildSpec"])))))
        assert read <= set(given), properties["Name"]
        assert given["STAGE"] == stage
