"""The functions' IAM policies: one template per function (infra/policies/), rendered
per stage.

A template is an IAM policy whose resource names are tokens: `${bucket}`,
`${run_table}`... (a `StageNames` property), `${function_name}` (the function's own
deployed name), `${function:NAME}` (another function's), `${analytics_job:KIND}` (what
the stage's processing jobs of that kind start with), `${data_prefix}` and the other
key prefixes of `contract.resources` (`${drift_report_prefix}`...); and
CloudFormation's `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}`.

- For Chalice (`.chalice/policy-<stage>[-<function>].json`, what `chalice deploy`
  attaches): every token becomes the stage's name; region and account become `*`,
  since the same files serve any account.
- For CloudFormation (the functions' and data stacks): names keep the stage as
  `${Stage}` and every ARN is an `Fn::Sub`, so the role is scoped to the stack's own
  region and account.

A function of IN_VPC runs in the stage's VPC where the stage has the ECS front
(`StageSettings.ecs_front`): its policy then adds `network_interfaces.json`, the
interfaces Lambda attaches it with, denied to the function's own code
(`lambda:SourceFunctionArn`, which Lambda sets on calls from inside the function and
not on those it makes itself: docs.aws.amazon.com/lambda/latest/dg/
permissions-source-function-arn.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract import resources
from contract.resources import TEST_INVOKER, StageNames

POLICY_DIR = Path(__file__).resolve().parents[2] / "infra" / "policies"
# Templates that are not a Chalice function's: the API handler's and SageMaker's role.
API = "api"
SAGEMAKER = "sagemaker"
# What a function in the VPC adds, and the functions that run there (the invoker calls the
# internal ALB) where the stage has the ECS front.
NETWORK_INTERFACES = "network_interfaces"
IN_VPC = (TEST_INVOKER,)
# Lower-case tokens are ours; CloudFormation's own (${AWS::Region}, ${Stage}) start upper.
_TOKEN = re.compile(r"\$\{([a-z_]+)(?::([a-z_]+))?\}")
_FOR_CHALICE = {"${AWS::Partition}": "aws", "${AWS::Region}": "*", "${AWS::AccountId}": "*"}

Policy = dict[str, Any]


def deployed_name(names: StageNames, function: str) -> str:
    return names.api_function if function == API else names.function(function)


def template(function: str) -> Policy:
    loaded: Policy = json.loads((POLICY_DIR / f"{function}.json").read_text(encoding="utf-8"))
    return loaded


def _tokens(names: StageNames, function: str) -> Callable[[re.Match[str]], str]:
    def value(found: re.Match[str]) -> str:
        token, argument = found.group(1), found.group(2)
        if token == "function_name":
            return deployed_name(names, function)
        if token == "function" and argument:
            return names.function(argument)
        if token == "analytics_job" and argument:
            return names.analytics_job_prefix(argument)
        prefix = getattr(resources, token.upper(), None)
        if token.endswith("_prefix") and isinstance(prefix, str):
            return prefix
        attribute = getattr(type(names), token, None)
        if not isinstance(attribute, property):
            raise KeyError(f"{POLICY_DIR / function}.json: unknown token ${{{token}}}")
        return str(getattr(names, token))

    return value


def _strings(document: Any, change: Callable[[str], Any]) -> Any:
    if isinstance(document, dict):
        return {key: _strings(value, change) for key, value in document.items()}
    if isinstance(document, list):
        return [_strings(value, change) for value in document]
    return change(document) if isinstance(document, str) else document


def runs_in_vpc(function: str, stage: str) -> bool:
    from devtools.infra.stages import settings_of

    return function in IN_VPC and settings_of(stage).ecs_front


def _render_for_chalice(name: str, function: str, stage: str) -> Policy:
    names = StageNames(stage)

    def change(text: str) -> str:
        text = _TOKEN.sub(_tokens(names, function), text)
        for placeholder, value in _FOR_CHALICE.items():
            text = text.replace(placeholder, value)
        return text

    rendered: Policy = _strings(template(name), change)
    return rendered


def for_chalice(function: str, stage: str) -> Policy:
    """The policy Chalice attaches to the function's role in `stage`."""
    rendered = _render_for_chalice(function, function, stage)
    if runs_in_vpc(function, stage):
        vpc = _render_for_chalice(NETWORK_INTERFACES, function, stage)
        rendered["Statement"] += vpc["Statement"]
    return rendered


def for_cloudformation(function: str, name: str | None = None) -> Policy:
    """The same policy for a template whose `Stage` parameter names the stage (`name`:
    another template rendered for this function, e.g. NETWORK_INTERFACES)."""
    names = StageNames.template()

    def change(text: str) -> Any:
        text = _TOKEN.sub(_tokens(names, function), text)
        return {"Fn::Sub": text} if "${" in text else text

    rendered: Policy = _strings(template(name or function), change)
    return rendered


def chalice_file(stage: str, function: str) -> str:
    """The file name `.chalice/config.json` gives the function's policy in `stage`."""
    return f"policy-{stage}.json" if function == API else f"policy-{stage}-{function}.json"


def render_chalice(function: str, stage: str) -> str:
    return json.dumps(for_chalice(function, stage), indent=2) + "\n"
