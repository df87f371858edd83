"""infra/functions-merge.yaml: the merge template `chalice package --merge-template` takes.

Chalice's packaged SAM template holds the functions, their roles and log groups and the
REST API; this adds what it lacks or gets wrong, for every function the app declares:

- `FunctionName` from the contract: without it CloudFormation names a function
  `<stack>-DeployCallback-<suffix>`, which the pipeline's Lambda steps and the policies
  cannot name (`chalice deploy` names it `{app}-{stage}-{name}`, as the contract does).
- the shared dependencies layer, by ARN (`make deploy` publishes it).
- each role's policy from infra/policies/, scoped to the stack's region and account
  (merging replaces the role's `Policies` list: it does not extend it).
- the API handler's log group: Chalice 1.34 names it `/aws/lambda/${ApiHandler}` while
  the function is `APIHandler` (cfn-lint E3030; aws/chalice#2079). Every group is
  named from the contract instead of from its function's Ref.
- every function `DependsOn` its log group: created before the function can log,
  deleted after it stopped. With no `logs:CreateLogGroup` in any function's policy,
  no invocation can recreate a group a destroy removed, so a redeploy never meets a
  group Lambda made itself.
- API Gateway: X-Ray, a stage throttle, an access log, and API Gateway's own refusals
  (unknown route, throttled, its 5xx) in the API's `{"error": ...}` shape.
- the API keys' rotation schedule and Secrets Manager's permission to invoke the
  rotation function, when the app has one.
- the test invoker's target (`PVP_API_URL`): where the stage has the ECS front
  (`EcsFront`), the internal ALB's URL that the network stack exports, with the invoker
  in that stack's private subnets and callers' group, and its role allowed the network
  interfaces Lambda attaches it with; on a Lambda-only stage, outside any VPC, the
  stage's own API Gateway URL.
"""

from __future__ import annotations

from typing import Any

from chalice.utils import to_cfn_resource_name

from contract.environment import API_URL
from contract.resources import (
    LAMBDA_FUNCTIONS,
    ROTATE_API_KEYS,
    STAGE_PATTERN,
    TEST_INVOKER,
    StageNames,
)
from devtools.infra import policies
from devtools.infra.cfn import Template, checkov_skips, get_att, ref, sub
from devtools.infra.network_stack import (
    API_URL_EXPORT,
    CALLERS_EXPORT,
    SUBNETS_EXPORT,
    imported,
)
from devtools.infra.stages import StageSettings

SOURCE = "devtools/infra/functions_stack.py"
DEFAULTS = StageSettings()
NAMES = StageNames.template()
# Chalice's logical ids for the API handler, its role and its log group.
API_HANDLER, API_ROLE, API_LOG_GROUP = "APIHandler", "ApiHandlerRole", "ApiHandlerLogGroup"
# The stage has the ECS front (StageSettings.ecs_front): the network and ECS stacks exist.
ECS_FRONT = "EcsFront"
NO_VALUE = ref("AWS::NoValue")
# The URL Chalice's own EndpointURL output names: its API Gateway stage is the stage
# (`api_gateway_stage` in .chalice/config.json, held to it by a test).
GATEWAY_URL = "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/"
ROTATION_DAYS = 30
# One JSON line per request; no header is logged, so never an API key.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","method":"$context.httpMethod",'
    '"resource":"$context.resourcePath","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","bytes":"$context.responseLength",'
    '"error":"$context.error.message"}'
)
JSON = "application/json"
# API Gateway's own answers, in the API's error shape. An unknown route is a 404 (API
# Gateway says 403 "Missing Authentication Token", which sends clients hunting for a key).
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": {
        "StatusCode": "404",
        "ResponseTemplates": {JSON: '{"error": "no route for $context.path"}'},
    },
    "DEFAULT_4XX": {"ResponseTemplates": {JSON: '{"error": $context.error.messageString}'}},
    "DEFAULT_5XX": {"ResponseTemplates": {JSON: '{"error": $context.error.messageString}'}},
}
FUNCTION_SKIPS = checkov_skips(
    (
        "CKV_AWS_116",
        "no dead-letter queue: the API and the pipeline's steps are invoked "
        "synchronously and return their failure to the caller (a client, SageMaker); the "
        "watcher's schedule runs it again a minute later",
    ),
    (
        "CKV_AWS_117",
        "no VPC: the functions call only AWS APIs, over TLS, as their role (the "
        "test invoker, which calls the internal ALB, is in the VPC where the stage "
        "has the ECS front: a condition checkov does not read)",
    ),
    (
        "CKV_AWS_173",
        "the environment holds names and numbers, never a secret (the keys "
        "are in Secrets Manager): the Lambda service key suffices",
    ),
)
LOG_GROUP_SKIPS = checkov_skips(
    (
        "CKV_AWS_158",
        "CloudWatch Logs encrypts at rest by default; a KMS key adds a "
        "monthly charge and the logs carry no key or secret",
    ),
)


def app_functions() -> list[str]:
    """The app's Lambda functions besides the API handler, in the contract's order."""
    from app import app

    declared = {f.name for f in app.pure_lambda_functions} | {
        source.name for source in app.event_sources
    }
    unknown = declared - set(LAMBDA_FUNCTIONS)
    if unknown:
        raise ValueError(f"functions the contract does not name: {sorted(unknown)}")
    return [name for name in LAMBDA_FUNCTIONS if name in declared]


def _function(name: str, log_group: str) -> dict[str, Any]:
    return {
        "DependsOn": [log_group],
        "Metadata": FUNCTION_SKIPS,
        "Properties": {
            "FunctionName": sub(name),
            "Layers": [ref("DependenciesLayer")],
        },
    }


def _log_group(function_name: str) -> dict[str, Any]:
    # Named from the contract, not from the function's Ref: the function depends on it.
    return {
        "Metadata": LOG_GROUP_SKIPS,
        "Properties": {"LogGroupName": sub(f"/aws/lambda/{function_name}")},
    }


def _role(logical: str, policy: str) -> dict[str, Any]:
    return {
        "Properties": {
            "Policies": [
                {
                    "PolicyName": f"{logical}Policy",
                    "PolicyDocument": policies.for_cloudformation(policy),
                }
            ]
        }
    }


def _invoker(function: dict[str, Any], role: dict[str, Any]) -> None:
    """The test invoker: the internal ALB from inside the VPC, or API Gateway from outside."""
    function["Properties"]["VpcConfig"] = {
        "Fn::If": [
            ECS_FRONT,
            {
                "SubnetIds": {"Fn::Split": [",", imported(SUBNETS_EXPORT)]},
                "SecurityGroupIds": [imported(CALLERS_EXPORT)],
            },
            NO_VALUE,
        ]
    }
    function["Properties"]["Environment"] = {
        "Variables": {
            API_URL.name: {"Fn::If": [ECS_FRONT, imported(API_URL_EXPORT), sub(GATEWAY_URL)]}
        }
    }
    role["Properties"]["Policies"].append(
        {
            "Fn::If": [
                ECS_FRONT,
                {
                    "PolicyName": "NetworkInterfacesPolicy",
                    "PolicyDocument": policies.for_cloudformation(
                        TEST_INVOKER, policies.NETWORK_INTERFACES
                    ),
                },
                NO_VALUE,
            ]
        }
    )


def _rest_api() -> dict[str, Any]:
    return {
        "Metadata": checkov_skips(
            (
                "CKV_AWS_120",
                "no cache: every answer is one request's (a price and its "
                "log id, a run); a cache would serve one client's answer to another",
            ),
        ),
        "Properties": {
            "TracingEnabled": True,
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": ref("ThrottleRate"),
                    "ThrottlingBurstLimit": ref("ThrottleBurst"),
                    "MetricsEnabled": True,
                }
            ],
            "AccessLogSetting": {
                "DestinationArn": get_att("ApiAccessLog", "Arn"),
                "Format": ACCESS_LOG_FORMAT,
            },
            "GatewayResponses": GATEWAY_RESPONSES,
        },
    }


def _rotation() -> dict[str, Any]:
    function = to_cfn_resource_name(ROTATE_API_KEYS)
    return {
        "RotationInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": ref(function),
                "Action": "lambda:InvokeFunction",
                "Principal": "secretsmanager.amazonaws.com",
                "SourceAccount": ref("AWS::AccountId"),
            },
        },
        "ApiKeysRotation": {
            "Type": "AWS::SecretsManager::RotationSchedule",
            "DependsOn": ["RotationInvokePermission"],
            "Properties": {
                "SecretId": sub(NAMES.secret),
                "RotationLambdaARN": get_att(function, "Arn"),
                "RotationRules": {"ScheduleExpression": f"rate({ROTATION_DAYS} days)"},
                # The first key, which the data stack generated, stays until the schedule.
                "RotateImmediatelyOnUpdate": False,
            },
        },
    }


def template(functions: list[str] | None = None) -> Template:
    functions = app_functions() if functions is None else functions
    resources: dict[str, Any] = {
        API_HANDLER: _function(NAMES.api_function, API_LOG_GROUP),
        API_ROLE: _role(API_ROLE, policies.API),
        API_LOG_GROUP: _log_group(NAMES.api_function),
    }
    for name in functions:
        logical = to_cfn_resource_name(name)
        log_group = f"{logical}LogGroup"
        resources[logical] = _function(NAMES.function(name), log_group)
        resources[f"{logical}Role"] = _role(f"{logical}Role", name)
        resources[log_group] = _log_group(NAMES.function(name))
        if name == TEST_INVOKER:
            _invoker(resources[logical], resources[f"{logical}Role"])
    resources["RestAPI"] = _rest_api()
    resources["ApiAccessLog"] = {
        "Type": "AWS::Logs::LogGroup",
        "Metadata": LOG_GROUP_SKIPS,
        "Properties": {
            "LogGroupName": sub(f"/aws/apigateway/{NAMES.api_function}/access"),
            "RetentionInDays": ref("AccessLogDays"),
        },
    }
    if ROTATE_API_KEYS in functions:
        resources.update(_rotation())
    return {
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN.pattern,
                "Description": "The stage the package was built for (chalice package --stage)",
            },
            "DependenciesLayer": {
                "Type": "String",
                "Description": "ARN of the shared layer version (layers/, make layer)",
            },
            # A stage devtools/infra/stages.py does not name gets these.
            "ThrottleRate": {"Type": "Number", "Default": DEFAULTS.throttle_rate, "MinValue": 1},
            "ThrottleBurst": {"Type": "Number", "Default": DEFAULTS.throttle_burst, "MinValue": 1},
            "AccessLogDays": {"Type": "Number", "Default": DEFAULTS.access_log_days},
            ECS_FRONT: {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": str(DEFAULTS.ecs_front).lower(),
                "Description": "The stage's network and ECS stacks exist (the invoker's target)",
            },
        },
        "Conditions": {ECS_FRONT: {"Fn::Equals": [ref(ECS_FRONT), "true"]}},
        "Resources": resources,
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)
