"""What is taken out of a template before moto deploys it: the listed types and
whatever names them, so nothing left refers to a resource that is not there."""

from __future__ import annotations

from devtools.infra.moto_deploy import NOT_ON_MOTO, without_unsupported


def test_a_listed_type_goes_with_everything_that_names_it() -> None:
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
            "Handler": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "r"}},
            "Invoke": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Handler"},
                    "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:x:${Api}/*"},
                },
            },
            "AfterInvoke": {"Type": "AWS::Logs::LogGroup", "DependsOn": "Invoke"},
            "Logs": {"Type": "AWS::Logs::LogGroup", "DependsOn": ["Handler"]},
        },
        "Outputs": {
            "Url": {"Value": {"Fn::GetAtt": ["Api", "RootResourceId"]}},
            "Name": {"Value": {"Ref": "Handler"}},
        },
    }

    kept, removed = without_unsupported(template)

    assert set(kept["Resources"]) == {"Handler", "Logs"}
    assert removed == {
        "Api": NOT_ON_MOTO["AWS::ApiGateway::RestApi"],
        "Invoke": "names Api",
        "AfterInvoke": "names Invoke",
    }
    assert set(kept["Outputs"]) == {"Name"}
