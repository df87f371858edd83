"""infra/network.yaml: the VPC of a stage with the ECS front, and its internal ALB.

- Two private subnets in two AZs and no route out (no internet or NAT gateway): what
  the task and the invoker reach is the VPC's, through endpoints. Gateway endpoints for
  S3 (ECR's image layers, the stage bucket) and DynamoDB (free); interface endpoints
  (priced per hour and AZ: `make cost`) for ECR's API and registry, CloudWatch Logs
  (the tasks' logs and, through them, their EMF metrics: no `monitoring` endpoint is
  needed, infra/ecs.yaml says why), Secrets Manager, and SageMaker's runtime and API.
- Security groups, each rule naming the group it admits: the ALB takes the callers'
  group (the test invoker's, and any caller given it) on the listener's port; the
  task takes the ALB on the proxy's port; the endpoints take the task on 443.
- The internal ALB: HTTP on 80, or HTTPS on 443 with the `CertificateArn` given (and
  `ApiHostName`, the name on the certificate that the operator points at the ALB);
  its target group checks the liveness route, so a task is never killed because the
  endpoint is not InService yet.

Outputs are exported (`StageNames.export`) for the functions', ECS and alarms stacks.
"""

from __future__ import annotations

from typing import Any, Final

from contract.environment import PORT
from contract.resources import APP_NAME, LIVENESS_PATH, STAGE_PATTERN, StageNames
from devtools.infra.cfn import Template, checkov_skips, get_att, ref, sub

SOURCE = "devtools/infra/network_stack.py"
NAMES = StageNames.template()
# The proxy's port in the task (the container convention the image sets, 8080).
CONTAINER_PORT: Final = PORT.default
HTTPS: Final = 443
# What the task and the invoker call, by interface endpoint (service name suffix).
INTERFACE_ENDPOINTS: Final = {
    "EcrApiEndpoint": "ecr.api",
    "EcrDockerEndpoint": "ecr.dkr",
    "LogsEndpoint": "logs",
    "SecretsManagerEndpoint": "secretsmanager",
    "SageMakerRuntimeEndpoint": "sagemaker.runtime",
    "SageMakerApiEndpoint": "sagemaker.api",
}
SUBNETS: Final = ("PrivateSubnetA", "PrivateSubnetB")
# Each subnet a /20 of the VPC's /16: 4,091 addresses, for the tasks, the invoker's and
# the endpoints' network interfaces.
SUBNET_CIDRS: Final = ("10.40.0.0/20", "10.40.16.0/20")
CIDR: Final = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2}"
USE_TLS: Final = "UseTls"
# The exports other stacks import, by output name.
SUBNETS_EXPORT: Final = "PrivateSubnets"
CALLERS_EXPORT: Final = "CallerSecurityGroup"
TASKS_EXPORT: Final = "TaskSecurityGroup"
TARGET_GROUP_EXPORT: Final = "TargetGroup"
LOAD_BALANCER_EXPORT: Final = "LoadBalancerFullName"
TARGET_GROUP_NAME_EXPORT: Final = "TargetGroupFullName"
API_URL_EXPORT: Final = "InternalApiUrl"


def imported(export: str) -> dict[str, Any]:
    """What another stack of the same stage writes to read one of these outputs."""
    return {"Fn::ImportValue": sub(NAMES.export(export))}


def _tags(name: str) -> list[dict[str, Any]]:
    return [
        {"Key": "Name", "Value": sub(f"{APP_NAME}-${{Stage}}-{name}")},
        {"Key": "app", "Value": APP_NAME},
        {"Key": "stage", "Value": ref("Stage")},
    ]


def _listener_port() -> dict[str, Any]:
    return {"Fn::If": [USE_TLS, HTTPS, 80]}


def _subnet(index: int) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {
            "VpcId": ref("Vpc"),
            "CidrBlock": ref(f"{SUBNETS[index]}Cidr"),
            "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
            "MapPublicIpOnLaunch": False,
            "Tags": _tags(f"private-{'ab'[index]}"),
        },
    }


def _group(name: str, description: str, egress: list[dict[str, Any]]) -> dict[str, Any]:
    """A group whose egress is only `egress` (an explicit rule replaces the default
    allow-all; 127.0.0.1/32 stands for "none" where a group sends nothing)."""
    rules = egress or [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "no egress"}]
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": description,
            "VpcId": ref("Vpc"),
            "SecurityGroupEgress": rules,
            "Tags": _tags(name),
        },
    }


def _tcp(port: Any, description: str, **peer: Any) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "Description": description,
        **peer,
    }


def _ingress(group: str, source: str, port: Any, description: str) -> dict[str, Any]:
    # A resource of its own: inline, the groups would name each other (a cycle).
    return {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "GroupId": get_att(group, "GroupId"),
            **_tcp(port, description, SourceSecurityGroupId=get_att(source, "GroupId")),
        },
    }


def _security_groups() -> dict[str, Any]:
    return {
        "CallerSecurityGroup": _group(
            "callers",
            "Callers of the internal API (the test invoker, and any caller given it)",
            [
                _tcp(
                    _listener_port(),
                    "the ALB's listener",
                    DestinationSecurityGroupId=get_att("AlbSecurityGroup", "GroupId"),
                )
            ],
        ),
        "AlbSecurityGroup": _group(
            "alb",
            "The internal ALB: from the callers group, to the tasks",
            [
                _tcp(
                    CONTAINER_PORT,
                    "the proxy in the tasks",
                    DestinationSecurityGroupId=get_att("TaskSecurityGroup", "GroupId"),
                )
            ],
        ),
        "TaskSecurityGroup": _group(
            "tasks",
            "The ECS proxy tasks: from the ALB, out to the endpoints only",
            # The subnets route nowhere but the VPC and its gateway endpoints (whose
            # prefix lists a template cannot name), so 443 anywhere reaches only those
            # and the interface endpoints.
            [_tcp(HTTPS, "the VPC endpoints (AWS APIs over TLS)", CidrIp="0.0.0.0/0")],
        ),
        "EndpointSecurityGroup": _group(
            "endpoints", "The interface endpoints: from the tasks, on 443", []
        ),
        "AlbFromCallers": _ingress(
            "AlbSecurityGroup", "CallerSecurityGroup", _listener_port(), "the callers' group"
        ),
        "TasksFromAlb": _ingress(
            "TaskSecurityGroup", "AlbSecurityGroup", CONTAINER_PORT, "the internal ALB"
        ),
        "EndpointsFromTasks": _ingress(
            "EndpointSecurityGroup", "TaskSecurityGroup", HTTPS, "the proxy's AWS calls"
        ),
    }


def _gateway_endpoint(service: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {
            "VpcId": ref("Vpc"),
            "VpcEndpointType": "Gateway",
            "ServiceName": sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
            "RouteTableIds": [ref("PrivateRouteTable")],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def _endpoints() -> dict[str, Any]:
    bucket = f"arn:${{AWS::Partition}}:s3:::{NAMES.bucket}"
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
    found: dict[str, Any] = {
        # The endpoint policies bound what the VPC reaches at all; the roles bound who.
        "S3Endpoint": _gateway_endpoint(
            "s3",
            [
                {
                    "Sid": "TheStageBucket",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [sub(bucket), sub(f"{bucket}/*")],
                },
                {
                    # Where ECR keeps image layers (docs.aws.amazon.com/AmazonECR/latest/
                    # userguide/vpc-endpoints.html, "Minimum Amazon S3 bucket permissions").
                    "Sid": "EcrImageLayers",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": sub(
                        "arn:${AWS::Partition}:s3:::prod-${AWS::Region}-starport-layer-bucket/*"
                    ),
                },
            ],
        ),
        "DynamoDbEndpoint": _gateway_endpoint(
            "dynamodb",
            [
                {
                    "Sid": "TheStageTables",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "dynamodb:*",
                    "Resource": [
                        sub(table + NAMES.prediction_table),
                        sub(table + NAMES.run_table),
                    ],
                }
            ],
        ),
    }
    for logical, service in INTERFACE_ENDPOINTS.items():
        found[logical] = {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": ref("Vpc"),
                "VpcEndpointType": "Interface",
                "ServiceName": sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                "PrivateDnsEnabled": True,
                "SubnetIds": [ref(subnet) for subnet in SUBNETS],
                "SecurityGroupIds": [ref("EndpointSecurityGroup")],
            },
        }
    return found


def _load_balancer() -> dict[str, Any]:
    return {
        "LoadBalancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Metadata": checkov_skips(
                (
                    "CKV_AWS_91",
                    "no access log: it needs a bucket writable by ELB's own account; "
                    "the tasks write one access line per request (PVP_ACCESS_LOG) to "
                    "their log group",
                ),
            ),
            "Properties": {
                "Type": "application",
                "Scheme": "internal",
                "Subnets": [ref(subnet) for subnet in SUBNETS],
                "SecurityGroups": [ref("AlbSecurityGroup")],
                "LoadBalancerAttributes": [
                    # A header the proxy would refuse never reaches it.
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                    # Above the API's worst case (28 s), as API Gateway's 29 s is.
                    {"Key": "idle_timeout.timeout_seconds", "Value": "60"},
                ],
                "Tags": _tags("api"),
            },
        },
        "TargetGroup": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "TargetType": "ip",  # Fargate tasks: awsvpc, one address each
                "Protocol": "HTTP",
                "Port": CONTAINER_PORT,
                "VpcId": ref("Vpc"),
                "HealthCheckPath": LIVENESS_PATH,
                "HealthCheckIntervalSeconds": 15,
                "HealthyThresholdCount": 2,
                "UnhealthyThresholdCount": 3,
                "Matcher": {"HttpCode": "200"},
                "TargetGroupAttributes": [
                    # A stopping task finishes what it holds (the proxy's graceful stop).
                    {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
                ],
                "Tags": _tags("api"),
            },
        },
        "HttpListener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Condition": "PlainHttp",
            "Metadata": checkov_skips(
                (
                    "CKV_AWS_2",
                    "HTTP only when no certificate is given (CertificateArn makes it "
                    "HTTPS): the ALB is internal, in subnets with no route out, and takes "
                    "only the callers' security group",
                ),
                ("CKV_AWS_103", "no TLS on this listener (see CKV_AWS_2)"),
            ),
            "Properties": {
                "LoadBalancerArn": ref("LoadBalancer"),
                "Protocol": "HTTP",
                "Port": 80,
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}],
            },
        },
        "HttpsListener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Condition": USE_TLS,
            "Properties": {
                "LoadBalancerArn": ref("LoadBalancer"),
                "Protocol": "HTTPS",
                "Port": HTTPS,
                "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "Certificates": [{"CertificateArn": ref("CertificateArn")}],
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}],
            },
        },
    }


def _vpc() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": ref("VpcCidr"),
                # The interface endpoints' private DNS needs both.
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
                "Tags": _tags("vpc"),
            },
        },
        "PrivateRouteTable": {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": ref("Vpc"), "Tags": _tags("private")},
        },
    }
    for index, subnet in enumerate(SUBNETS):
        resources[subnet] = _subnet(index)
        resources[f"{subnet}Routes"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": ref(subnet), "RouteTableId": ref("PrivateRouteTable")},
        }
    return resources


def _exported(value: Any, export: str, description: str) -> dict[str, Any]:
    return {
        "Description": description,
        "Value": value,
        "Export": {"Name": sub(NAMES.export(export))},
    }


def template() -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: a stage's VPC, its endpoints and the internal ALB",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN.pattern,
                "Description": "The stage every name ends with",
            },
            "VpcCidr": {
                "Type": "String",
                "Default": "10.40.0.0/16",
                "AllowedPattern": CIDR,
                "Description": "The VPC's addresses",
            },
            # Written out, not Fn::Cidr of the VPC's: moto's CloudFormation lacks Fn::Cidr.
            **{
                f"{subnet}Cidr": {
                    "Type": "String",
                    "Default": cidr,
                    "AllowedPattern": CIDR,
                    "Description": f"The addresses of the subnet in the stage's AZ {index + 1}",
                }
                for index, (subnet, cidr) in enumerate(zip(SUBNETS, SUBNET_CIDRS, strict=True))
            },
            "CertificateArn": {
                "Type": "String",
                "Default": "",
                "Description": "ACM certificate for an HTTPS listener (empty: HTTP on 80)",
            },
            "ApiHostName": {
                "Type": "String",
                "Default": "",
                "Description": "The certificate's name, pointed at the ALB (with CertificateArn)",
            },
        },
        "Conditions": {
            USE_TLS: {"Fn::Not": [{"Fn::Equals": [ref("CertificateArn"), ""]}]},
            "PlainHttp": {"Fn::Equals": [ref("CertificateArn"), ""]},
        },
        "Resources": {
            **_vpc(),
            **_security_groups(),
            **_endpoints(),
            **_load_balancer(),
        },
        "Outputs": {
            SUBNETS_EXPORT: _exported(
                {"Fn::Join": [",", [ref(subnet) for subnet in SUBNETS]]},
                SUBNETS_EXPORT,
                "The private subnets, comma-separated",
            ),
            CALLERS_EXPORT: _exported(
                get_att("CallerSecurityGroup", "GroupId"),
                CALLERS_EXPORT,
                "Give this group to whatever calls the internal API",
            ),
            TASKS_EXPORT: _exported(
                get_att("TaskSecurityGroup", "GroupId"), TASKS_EXPORT, "The tasks' group"
            ),
            TARGET_GROUP_EXPORT: _exported(
                ref("TargetGroup"), TARGET_GROUP_EXPORT, "The tasks' target group"
            ),
            LOAD_BALANCER_EXPORT: _exported(
                # LoadBalancerFullName is what follows "loadbalancer/" in its ARN (its
                # Ref); moto's load balancer has no GetAtt for it.
                {"Fn::Select": [1, {"Fn::Split": ["loadbalancer/", ref("LoadBalancer")]}]},
                LOAD_BALANCER_EXPORT,
                "The ALB's CloudWatch dimension",
            ),
            TARGET_GROUP_NAME_EXPORT: _exported(
                # TargetGroupFullName is the ARN's resource part ("targetgroup/name/id"),
                # taken from its Ref: moto's target group has no GetAtt.
                {"Fn::Select": [5, {"Fn::Split": [":", ref("TargetGroup")]}]},
                TARGET_GROUP_NAME_EXPORT,
                "The target group's CloudWatch dimension",
            ),
            API_URL_EXPORT: _exported(
                {
                    "Fn::If": [
                        USE_TLS,
                        sub("https://${ApiHostName}"),
                        sub("http://${LoadBalancer.DNSName}"),
                    ]
                },
                API_URL_EXPORT,
                "The internal API's URL (what the test invoker calls)",
            ),
        },
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)
