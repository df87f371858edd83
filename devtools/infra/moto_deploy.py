"""The infra/ templates deployed into moto_server's CloudFormation, as on AWS.

moto's CloudFormation skips a resource type it lacks with a warning only
(moto/cloudformation/parsing.py), so a stack "deploys" with nothing created. Here a
stack is complete or an error: every resource of the template must be in the stack's
resources afterwards, except the types of NOT_ON_MOTO, which are taken out first (with
whatever names them) and, where the app needs them, created in Python from the same
template properties (`stand_in`).

The functions' stack is Chalice's packaged SAM template, merged, turned into plain
CloudFormation offline by aws-sam-translator (devtools/infra/sam_translate.py, run by
the linters' Python), with its code in the stage bucket and the layer published to
moto's Lambda: so the first `make deploy` is not the first time it is deployed anywhere.
Where the stage has the ECS front, the network and ECS stacks go first, as on AWS: the
functions' stack imports the subnets, the callers' group and the ALB's URL for the
test invoker.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from contract.resources import ACCOUNT_STACK, PLACEHOLDER_ACCOUNT, StageNames
from devtools.infra import account_stack, data_stack, ecs_stack, network_stack
from devtools.infra.cfn import Template, existing, load, resolved
from devtools.infra.package import Package
from devtools.infra.stages import StageSettings, settings_of

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_PYTHON = REPO_ROOT / ".venv-tools" / "infra" / "bin" / "python"
TRANSLATE = Path(__file__).with_name("sam_translate.py")
# The resource types moto 5.2.5 cannot create from a template, and what happens instead.
NOT_ON_MOTO: dict[str, str] = {
    "AWS::S3::BucketPolicy": "moto's CloudFormation lacks it; its one rule refuses plain "
    "HTTP, which is all moto_server serves: nothing stands in",
    "AWS::SecretsManager::Secret": "moto's CloudFormation lacks it: created in Python with "
    "the template's name and shape",
    "AWS::SecretsManager::RotationSchedule": "moto lacks it and cannot invoke a rotation "
    "Lambda: the rotation tests call the four steps directly",
    "AWS::SageMaker::ModelPackageGroup": "moto's CloudFormation lacks it: created in Python "
    "with the template's name",
    "AWS::ApiGateway::Account": "an account setting (the access log role) nothing on moto reads",
    "AWS::ApiGateway::RestApi": 'moto 5.2.5 wants Name and ignores the OpenAPI Body ("The '
    "REST API doesn't contain any methods\"): the contract tests cover the routes",
    "AWS::ApiGateway::Deployment": "deploys the REST API moto cannot build",
    "AWS::ApiGateway::Stage": "moto has no CloudFormation Stage",
    "AWS::CloudWatch::Alarm": "moto's CloudFormation lacks it: created in Python with "
    "PutMetricAlarm from the template's properties (botocore checks their shape), never "
    "evaluated",
    "AWS::SNS::Subscription": "moto's CloudFormation takes a topic's Subscription property "
    "only; nothing on moto reads email: nothing stands in",
}
# The types the app needs on moto too, which `stand_in` creates.
STOOD_IN = (
    "AWS::SecretsManager::Secret",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::CloudWatch::Alarm",
)
# CloudFormation's pseudo parameters, as moto_server's account and partition have them.
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": PLACEHOLDER_ACCOUNT, "AWS::NoValue": ""}
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}")


class StackNotCreatedError(RuntimeError):
    """moto skipped or failed a resource the stack must have."""


def _references(value: Any) -> Iterator[str]:
    """Logical ids (and parameters) a resource's properties name."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from _SUB_NAME.findall(text)
                if isinstance(inner, list):
                    yield from _references(inner[1])
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def without_unsupported(template: Template) -> tuple[Template, dict[str, str]]:
    """The template less NOT_ON_MOTO's types and what names them; {logical id: why}."""
    resources = dict(template["Resources"])
    removed = {
        name: NOT_ON_MOTO[body["Type"]]
        for name, body in resources.items()
        if body["Type"] in NOT_ON_MOTO
    }
    changed = True
    while changed:
        changed = False
        for name, body in resources.items():
            if name in removed:
                continue
            depends = body.get("DependsOn", [])
            names = set(_references(body.get("Properties", {})))
            names |= set([depends] if isinstance(depends, str) else depends)
            gone = sorted(names & set(removed))
            if gone:
                removed[name] = f"names {', '.join(gone)}"
                changed = True
    kept = {name: body for name, body in resources.items() if name not in removed}
    outputs = {
        name: output
        for name, output in template.get("Outputs", {}).items()
        if not set(_references(output)) & set(removed)
    }
    return {**template, "Resources": kept, "Outputs": outputs}, removed


def create_stack(
    cloudformation: Any, name: str, template: Template, parameters: Mapping[str, str]
) -> dict[str, str]:
    """Create the stack; {logical id: physical id}, every resource present or an error."""
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(resolved(template, dict(parameters))),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
    created = {
        item["LogicalResourceId"]: item["PhysicalResourceId"]
        for page in pages
        for item in page["StackResourceSummaries"]
    }
    # A resource whose Condition is false for these parameters is rightly absent.
    missing = sorted(set(existing(template, dict(parameters))) - set(created))
    if missing:
        kinds = ", ".join(f"{m} ({template['Resources'][m]['Type']})" for m in missing)
        raise StackNotCreatedError(
            f"moto did not create {kinds} in {name}: add the type to NOT_ON_MOTO with what "
            "stands in for it, or change the template"
        )
    return created


def resolve(value: Any, parameters: Mapping[str, str]) -> Any:
    """A property as CloudFormation would read it, for the parameters' Refs and Subs."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return _SUB_NAME.sub(lambda found: parameters[found.group(1)], value["Fn::Sub"])
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    return value


def resolve_all(value: Any, names: Mapping[str, str]) -> Any:
    """`resolve` all the way down: every Ref and Sub inside lists and mappings."""
    if isinstance(value, dict) and set(value) & {"Fn::Sub", "Ref"}:
        return resolve(value, names)
    if isinstance(value, dict):
        return {key: resolve_all(inner, names) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolve_all(inner, names) for inner in value]
    return value


def stand_in(
    clients: Callable[[str], Any],
    template: Template,
    removed: Mapping[str, str],
    parameters: Mapping[str, str],
    secret_value: Callable[[Mapping[str, Any]], str],
) -> None:
    """Create in Python what moto's CloudFormation cannot and the app needs."""
    for name in removed:
        body = template["Resources"][name]
        if body["Type"] not in STOOD_IN:
            continue
        properties = {k: resolve(v, parameters) for k, v in body.get("Properties", {}).items()}
        if body["Type"] == "AWS::SecretsManager::Secret":
            clients("secretsmanager").create_secret(
                Name=properties["Name"],
                Description=properties["Description"],
                SecretString=secret_value(properties["GenerateSecretString"]),
            )
        elif body["Type"] == "AWS::CloudWatch::Alarm":
            clients("cloudwatch").put_metric_alarm(
                **resolve_all(body["Properties"], {**PSEUDO, **parameters})
            )
        elif body["Type"] == "AWS::SageMaker::ModelPackageGroup":
            clients("sagemaker").create_model_package_group(
                ModelPackageGroupName=properties["ModelPackageGroupName"],
                ModelPackageGroupDescription=properties["ModelPackageGroupDescription"],
            )


def first_key_secret(key: str) -> Callable[[Mapping[str, Any]], str]:
    """What GenerateSecretString makes: its template with the generated key added."""

    def value(generate: Mapping[str, Any]) -> str:
        secret = json.loads(generate["SecretStringTemplate"])
        secret[generate["GenerateStringKey"]] = key
        return json.dumps(secret)

    return value


def deploy_data(clients: Callable[[str], Any], stage: str, key: str) -> dict[str, str]:
    """The account's and the stage's data stacks, with their stand-ins; the data stack's
    resources. `key` plays the secret's generated first key."""
    cloudformation = clients("cloudformation")
    names = StageNames(stage)
    account, _ = without_unsupported(account_stack.template())
    if not _exists(cloudformation, ACCOUNT_STACK):  # shared by every stage of the account
        create_stack(cloudformation, ACCOUNT_STACK, account, {})
    parameters = {
        "Stage": stage,
        "DeletionProtection": settings_of(stage).parameters()["DeletionProtection"],
    }
    full = data_stack.template()
    template, removed = without_unsupported(full)
    created = create_stack(cloudformation, names.data_stack, template, parameters)
    stand_in(clients, full, removed, parameters, first_key_secret(key))
    return created


def _exists(cloudformation: Any, name: str) -> bool:
    stacks = cloudformation.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])
    return any(s["StackName"] == name for s in stacks["StackSummaries"])


# What moto's ECS stack runs: no image is pulled there, so any reference will do.
MOTO_IMAGE = "registry.invalid/property-value-predictor@sha256:" + "0" * 64


def deploy_front(
    clients: Callable[[str], Any], stage: str, settings: StageSettings | None = None
) -> dict[str, str]:
    """The stage's network and ECS stacks, when it has the ECS front; their resources.
    `settings`: another stage's, for a test's stage of its own."""
    settings = settings or settings_of(stage)
    if not settings.ecs_front:
        return {}
    cloudformation = clients("cloudformation")
    names = StageNames(stage)
    if _exists(cloudformation, names.ecs_stack):
        return {}  # deployed already (make deploy's empty change set)
    created = create_stack(
        cloudformation, names.network_stack, network_stack.template(), {"Stage": stage}
    )
    parameters = {
        "Stage": stage,
        "ProxyImage": MOTO_IMAGE,
        "LogRouterImage": MOTO_IMAGE,
        **settings.ecs_parameters(),
    }
    created |= create_stack(cloudformation, names.ecs_stack, ecs_stack.template(), parameters)
    return created


def _pointed_at(value: Any, url: str) -> Any:
    """`value` with the invoker's API Gateway URL (the REST API moto cannot build) as `url`."""
    from devtools.infra.functions_stack import GATEWAY_URL

    if value == {"Fn::Sub": GATEWAY_URL}:
        return url
    if isinstance(value, dict):
        return {key: _pointed_at(inner, url) for key, inner in value.items()}
    if isinstance(value, list):
        return [_pointed_at(inner, url) for inner in value]
    return value


def translated(package: Package, code_uri: str, env: Mapping[str, str]) -> Template:
    """The merged SAM template as plain CloudFormation, its code at `code_uri`."""
    if not TOOLS_PYTHON.exists():
        raise RuntimeError(f"{TOOLS_PYTHON} is missing: make infra-tools creates it")
    sam = load(package.template.read_text())
    for body in sam["Resources"].values():
        if body["Type"] == "AWS::Serverless::Function":
            body["Properties"]["CodeUri"] = code_uri
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "sam.json", Path(tmp) / "out.json"
        source.write_text(json.dumps(sam))
        ran = subprocess.run(
            [str(TOOLS_PYTHON), str(TRANSLATE), str(source), str(out)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ran.returncode != 0:
            raise RuntimeError(f"SAM translation failed:\n{ran.stderr}")
        result: Template = json.loads(out.read_text())
    return result


def deploy_functions(
    clients: Callable[[str], Any],
    stage: str,
    package: Package,
    env: Mapping[str, str],
    api_url: str = "http://127.0.0.1/",
    settings: StageSettings | None = None,
) -> dict[str, str]:
    """The functions' stack from the package: code in the stage bucket, layer published,
    the template translated, the stage's front stacks first; its resources. `env` points
    the translator at moto; `settings` are another stage's, for a test's own stage."""
    settings = settings or settings_of(stage)
    names = StageNames(stage)
    digest = package.layer_zip.with_name("layer.zip.sha256").read_text().strip()
    key = f"packages/{stage}/deployment.zip"
    clients("s3").upload_file(str(package.function_zip), names.bucket, key)
    layer = clients("lambda").publish_layer_version(
        LayerName=names.layer,
        Description=f"sha256:{digest}",
        Content={"ZipFile": package.layer_zip.read_bytes()},
        CompatibleRuntimes=["python3.11"],
    )
    # On a Lambda-only stage the invoker calls API Gateway, which moto cannot build: it
    # gets the URL `api_url` instead (where the API runs locally, when it does).
    full = _pointed_at(translated(package, f"s3://{names.bucket}/{key}", env), api_url)
    template, _ = without_unsupported(full)
    deploy_front(clients, stage, settings)
    parameters = {
        "Stage": stage,
        "DependenciesLayer": layer["LayerVersionArn"],
        **{
            name: value
            for name, value in settings.parameters().items()
            if name in template.get("Parameters", {})
        },
    }
    return create_stack(clients("cloudformation"), names.functions_stack, template, parameters)


def deploy_alarms(clients: Callable[[str], Any], stage: str, region: str) -> dict[str, str]:
    """The stage's alarms stack (topic, key, dashboard), its alarms stood in by
    PutMetricAlarm where the stage's conditions keep them; the stack's resources."""
    from devtools.infra import alarms_stack

    names = StageNames(stage)
    parameters = {"Stage": stage, "EcsFront": settings_of(stage).parameters()["EcsFront"]}
    full = alarms_stack.template()
    template, removed = without_unsupported(full)
    cloudformation = clients("cloudformation")
    created = create_stack(cloudformation, names.alarms_stack, template, parameters)
    # The alarms the stage's conditions keep, their imports (the ALB's names) resolved.
    kept = {n: why for n, why in removed.items() if n in existing(full, parameters)}
    pages = cloudformation.get_paginator("list_exports").paginate()
    exports = {e["Name"]: e["Value"] for page in pages for e in page["Exports"]}
    resources = {n: imported(full["Resources"][n], exports, parameters) for n in kept}
    # The alarms notify the topic: its ARN is what their Ref of it reads.
    known = {**parameters, **created, "AWS::Region": region}
    stand_in(clients, {"Resources": resources}, kept, known, _no_secret)
    return created


def imported(value: Any, exports: Mapping[str, str], parameters: Mapping[str, str]) -> Any:
    """`value` with every Fn::ImportValue replaced by the export it names."""
    if isinstance(value, dict) and set(value) == {"Fn::ImportValue"}:
        return exports[resolve(value["Fn::ImportValue"], parameters)]
    if isinstance(value, dict):
        return {key: imported(inner, exports, parameters) for key, inner in value.items()}
    if isinstance(value, list):
        return [imported(inner, exports, parameters) for inner in value]
    return value


def _no_secret(generate: Mapping[str, Any]) -> str:
    raise ValueError("the alarms stack has no secret")
