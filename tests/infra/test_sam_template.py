"""The overflow's SAM template: cfn-lint clean, and the invariants that keep SQS and Lambda from
losing or double-running jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import SAM_TEMPLATE, find_tool, load_cfn, resolve_number, run_tool

TEMPLATE = load_cfn()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def props(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[name]["Properties"]
    return properties


def number(value: Any) -> float:
    return resolve_number(TEMPLATE, value)


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def test_cfn_lint_passes() -> None:
    result = run_tool([find_tool("cfn-lint"), str(SAM_TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_rejects_a_broken_template(tmp_path: Path) -> None:
    # proves cfn-lint really checks the SAM resources (it validates them against SAM's schema)
    broken = tmp_path / "template.yaml"
    text = SAM_TEMPLATE.read_text(encoding="utf-8")
    assert "MemorySize: 1769" in text
    broken.write_text(text.replace("MemorySize: 1769", "MemorySize: 100000"), encoding="utf-8")
    result = run_tool([find_tool("cfn-lint"), str(broken)])
    assert result.returncode != 0
    assert "100000" in result.stdout


def test_function_runtime_and_handler() -> None:
    function = props("OverflowFunction")
    assert RESOURCES["OverflowFunction"]["Type"] == "AWS::Serverless::Function"
    assert function["Handler"] == "overflow_lambda.handler.lambda_handler"
    assert function["Runtime"] in {"python3.11", "python3.12"}
    assert 1024 <= function["MemorySize"] <= 10240
    assert 10 <= function["Timeout"] <= 900
    assert number(function["ReservedConcurrentExecutions"]) >= 2
    assert function["Tracing"] == "Active"


def test_queue_visibility_timeout_covers_six_function_timeouts() -> None:
    queue = props("OverflowQueue")
    mapping = props("OverflowEventSource")
    timeout = props("OverflowFunction")["Timeout"]
    window = mapping.get("MaximumBatchingWindowInSeconds", 0)
    assert queue["VisibilityTimeout"] >= 6 * timeout + window
    assert queue["VisibilityTimeout"] <= 43200  # SQS maximum


def test_queue_redrives_to_the_dead_letter_queue() -> None:
    redrive = props("OverflowQueue")["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["OverflowDeadLetterQueue", "Arn"]}
    assert 3 <= redrive["maxReceiveCount"] <= 10
    # a message keeps its original enqueue time in a DLQ: it must outlive the source's retention
    dlq = props("OverflowDeadLetterQueue")
    assert dlq["MessageRetentionPeriod"] > props("OverflowQueue")["MessageRetentionPeriod"]
    assert "RedrivePolicy" not in dlq
    for queue in ("OverflowQueue", "OverflowDeadLetterQueue"):
        assert props(queue)["SqsManagedSseEnabled"] is True


def test_event_source_mapping_reports_partial_failures_within_reserved_concurrency() -> None:
    mapping = props("OverflowEventSource")
    assert mapping["FunctionName"] == {"Ref": "OverflowFunction"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["OverflowQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10  # more needs a longer batching window
    assert 0 <= mapping["MaximumBatchingWindowInSeconds"] <= 5
    maximum = number(mapping["ScalingConfig"]["MaximumConcurrency"])
    reserved = number(props("OverflowFunction")["ReservedConcurrentExecutions"])
    assert 2 <= maximum <= reserved  # else SQS batches are throttled back to the queue


def alarm_on(metric: str) -> dict[str, Any]:
    [alarm] = [
        a["Properties"]
        for a in of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    ]
    return alarm


@pytest.mark.parametrize(
    ("metric", "namespace", "dimension", "target"),
    [
        (
            "ApproximateNumberOfMessagesVisible",
            "AWS/SQS",
            "QueueName",
            {"Fn::GetAtt": ["OverflowDeadLetterQueue", "QueueName"]},
        ),
        (
            "ApproximateAgeOfOldestMessage",
            "AWS/SQS",
            "QueueName",
            {"Fn::GetAtt": ["OverflowQueue", "QueueName"]},
        ),
        ("Errors", "AWS/Lambda", "FunctionName", {"Ref": "OverflowFunction"}),
        ("Throttles", "AWS/Lambda", "FunctionName", {"Ref": "OverflowFunction"}),
    ],
)
def test_alarms_watch_the_right_resources(
    metric: str, namespace: str, dimension: str, target: Any
) -> None:
    alarm = alarm_on(metric)
    assert alarm["Namespace"] == namespace
    assert alarm["Dimensions"] == [{"Name": dimension, "Value": target}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["TreatMissingData"] == "notBreaching"


def test_a_single_dead_letter_is_an_alarm() -> None:
    alarm = alarm_on("ApproximateNumberOfMessagesVisible")
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == 1


def statements(role: str) -> list[dict[str, Any]]:
    found = []
    for policy in props(role)["Policies"]:
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# actions that have no resource-level permissions in IAM (so "*" is the only possible resource)
UNSCOPABLE = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


@pytest.mark.parametrize("role", ["OverflowFunctionRole", "DispatcherRole"])
def test_iam_is_least_privilege(role: str) -> None:
    assert "ManagedPolicyArns" not in props(role)
    for statement in statements(role):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert not any("*" in action for action in actions), actions
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPABLE, actions


def test_function_consumes_and_dispatcher_only_sends() -> None:
    queue = {"Fn::GetAtt": ["OverflowQueue", "Arn"]}
    sqs = [s for s in statements("OverflowFunctionRole") if s["Action"][0].startswith("sqs:")]
    assert [s["Resource"] for s in sqs] == [queue]
    assert "sqs:SendMessage" not in sqs[0]["Action"]
    [send] = statements("DispatcherRole")
    assert send["Resource"] == queue
    assert "sqs:SendMessage" in send["Action"]
    assert not {"sqs:ReceiveMessage", "sqs:DeleteMessage"} & set(send["Action"])
    principal = props("DispatcherRole")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "pods.eks.amazonaws.com"}


def test_function_reaches_only_the_database_and_redis() -> None:
    function = props("OverflowFunction")
    assert function["VpcConfig"]["SubnetIds"] == {"Ref": "SubnetIds"}
    assert function["VpcConfig"]["SecurityGroupIds"] == [{"Ref": "OverflowFunctionSecurityGroup"}]
    egress = props("OverflowFunctionSecurityGroup")["SecurityGroupEgress"]
    destinations = {
        (rule["DestinationSecurityGroupId"]["Ref"], rule["FromPort"]["Ref"]) for rule in egress
    }
    assert destinations == {
        ("DatabaseSecurityGroupId", "DatabasePort"),
        ("RedisSecurityGroupId", "RedisPort"),
    }
    ingress = [r["Properties"] for r in of_type("AWS::EC2::SecurityGroupIngress").values()]
    assert {(r["GroupId"]["Ref"], r["SourceSecurityGroupId"]["Ref"]) for r in ingress} == {
        ("DatabaseSecurityGroupId", "OverflowFunctionSecurityGroup"),
        ("RedisSecurityGroupId", "OverflowFunctionSecurityGroup"),
    }


def test_secrets_are_resolved_not_written_into_the_template() -> None:
    variables = props("OverflowFunction")["Environment"]["Variables"]
    for name in ("UJIAN_DATABASE_URL", "UJIAN_REDIS_URL"):
        value = variables[name]["Fn::Sub"]
        assert value.startswith("{{resolve:secretsmanager:${AppSecretArn}:SecretString:")
        assert value.endswith(f":{name}}}}}")
    assert props("OverflowFunction")["KmsKeyArn"] == {"Fn::GetAtt": ["OverflowKey", "Arn"]}
