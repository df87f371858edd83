"""What the rendered templates promise beyond cfn-lint and checkov (make lint-infra):
names from the contract, log groups that a function cannot recreate, the prediction log
kept until its retention is decided, and the rotation wired when the app rotates."""

from __future__ import annotations

import json

from chalice.utils import to_cfn_resource_name

from contract.resources import ROTATE_API_KEYS, TTL_ATTRIBUTE, StageNames
from devtools.infra import data_stack, functions_stack

NAMES = StageNames.template()


def test_every_function_is_named_by_the_contract_and_logs_to_a_group_made_first() -> None:
    functions = functions_stack.app_functions()
    resources = functions_stack.template(functions)["Resources"]
    expected = {"APIHandler": NAMES.api_function} | {
        to_cfn_resource_name(name): NAMES.function(name) for name in functions
    }
    for logical, name in expected.items():
        function = resources[logical]
        assert function["Properties"]["FunctionName"] == {"Fn::Sub": name}
        (group,) = function["DependsOn"]
        # Named like the function, not through its Ref: the function depends on it.
        assert resources[group]["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}
    text = json.dumps(resources)
    assert "logs:CreateLogGroup" not in text
    assert "${ApiHandler}" not in text  # Chalice's broken reference is overridden


def test_the_rotation_is_wired_only_when_the_app_has_its_function() -> None:
    without = functions_stack.template([])["Resources"]
    assert "ApiKeysRotation" not in without

    resources = functions_stack.template([ROTATE_API_KEYS])["Resources"]
    rotation = resources["ApiKeysRotation"]["Properties"]
    function = to_cfn_resource_name(ROTATE_API_KEYS)
    assert rotation["SecretId"] == {"Fn::Sub": NAMES.secret}
    assert rotation["RotationLambdaARN"] == {"Fn::GetAtt": [function, "Arn"]}
    assert rotation["RotateImmediatelyOnUpdate"] is False  # the first key stays
    permission = resources["RotationInvokePermission"]["Properties"]
    assert permission["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": function}


def test_tables_take_their_adapters_keys_and_only_idempotency_items_expire() -> None:
    from chalice_app.aws import prediction_log, run_table

    resources = data_stack.template()["Resources"]
    for logical, module, expires in [
        ("PredictionTable", prediction_log, False),
        ("RunTable", run_table, True),
    ]:
        properties = resources[logical]["Properties"]
        assert properties["KeySchema"] == module.TABLE_SCHEMA["KeySchema"]
        assert properties["AttributeDefinitions"] == module.TABLE_SCHEMA["AttributeDefinitions"]
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": TTL_ATTRIBUTE,
            "Enabled": expires,
        }
