"""The SSM executor with boto3's real code: against moto's server (the calls and their parameters, and
AssumeRole), and against a fake SSM for what moto cannot do (failures, slow commands, throttling)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from temporalio.exceptions import ApplicationError

from core.companies.aws_access import AwsAccess
from core.remediation.aws_access import company_session
from core.remediation.errors import classify
from core.remediation.executors.ssm import SsmRunCommand, comment
from tests.support.aws import ACCOUNT, fake_credentials, moto_server
from tests.support.fake_ssm import FakeSsm, fake_ssm_behind_boto3

REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/alert-whisperer-runbooks"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def moto(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    fake_credentials(monkeypatch)
    for service in ("SSM", "STS", "EC2", "IAM"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_url)
    return moto_url


@pytest.fixture
async def fake_ssm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSsm]:
    async with fake_ssm_behind_boto3(monkeypatch) as fake:
        yield fake


def instances(count: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in reservation["Instances"]]


async def ssm_of(access: AwsAccess | None = None, poll_interval_s: float = 0.05) -> SsmRunCommand:
    session = await asyncio.to_thread(company_session, "co_test", access or AwsAccess(), REGION)
    return await SsmRunCommand.connect(session, poll_interval_s=poll_interval_s)


# --- against moto -----------------------------------------------------------------------------------------


async def test_a_command_is_sent_to_the_instances_and_polled_to_success(moto: str) -> None:
    targets = instances(2)
    ssm = await ssm_of()
    note = comment("0123456789abcdef", "run-1", "action", 0)
    command_id = await ssm.send("systemctl restart nginx", targets, timeout_s=120, comment=note)
    outcome = await ssm.wait(command_id, targets, sent_at=time.time())
    assert outcome.exit_code == 0 and outcome.error is None
    assert [i.instance_id for i in outcome.instances] == targets

    listed = boto3.client("ssm", region_name=REGION).list_commands(CommandId=command_id)["Commands"][0]
    assert listed["DocumentName"] == "AWS-RunShellScript"
    assert sorted(listed["InstanceIds"]) == sorted(targets)
    assert listed["Parameters"]["commands"] == ["systemctl restart nginx"]
    assert listed["Parameters"]["executionTimeout"] == ["120"]
    assert listed["Comment"] == note == "aw:0123456789abcdef action#0 run-1"
    assert await ssm.find_sent("0123456789abcdef", targets, listed["RequestedDateTime"]) == command_id
    assert await ssm.find_sent("fedcba9876543210", targets, listed["RequestedDateTime"]) is None


async def test_a_company_role_is_assumed_with_its_external_id(moto: str) -> None:
    access = AwsAccess(role_arn=ROLE_ARN, external_id="msp-acme-7f3c", region=REGION)
    session = await asyncio.to_thread(company_session, "co_acme", access, "eu-west-1")
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/alert-whisperer-runbooks/alert-whisperer-co_acme"
    )
    assert session.region_name == REGION
    assert session.get_credentials().token  # temporary credentials, not the worker's

    targets = instances(1)  # seen from the role: same account
    ssm = await SsmRunCommand.connect(session, poll_interval_s=0.05)
    command_id = await ssm.send("uptime", targets, timeout_s=60, comment="aw:x")
    assert (await ssm.wait(command_id, targets, sent_at=time.time())).exit_code == 0


async def test_stored_keys_are_used_when_there_is_no_role(moto: str) -> None:
    access = AwsAccess(access_key_id="AKIAEXAMPLEKEY000001", secret_access_key="s3cr3t", region="eu-west-1")
    session = await asyncio.to_thread(company_session, "co_acme", access, REGION)
    credentials = session.get_credentials()
    assert (credentials.access_key, credentials.secret_key) == ("AKIAEXAMPLEKEY000001", "s3cr3t")
    assert session.region_name == "eu-west-1"


async def test_no_targets_is_a_clear_error_that_is_not_retried(moto: str) -> None:
    ssm = await ssm_of()
    with pytest.raises(ApplicationError) as refused:
        await ssm.send("uptime", [], timeout_s=60, comment="aw:x")
    assert refused.value.non_retryable and refused.value.type == "SsmNoTargets"


# --- against the fake SSM ---------------------------------------------------------------------------------


async def test_a_failing_command_reports_the_worst_exit_code_and_each_instance_output(
    fake_ssm: FakeSsm,
) -> None:
    fake_ssm.script("df -h /var", exit_code=2, stdout="/var 100%\n", stderr="no space\n")
    ssm = await ssm_of()
    command_id = await ssm.send("df -h /var", ["i-1", "i-2"], timeout_s=60, comment="aw:x")
    outcome = await ssm.wait(command_id, ["i-1", "i-2"], sent_at=time.time())
    assert outcome.exit_code == 2 and outcome.error is None
    text = outcome.output_tail(4096)
    assert "== i-1 (Failed, exit 2) ==\n/var 100%\n\n[stderr]\nno space\n" in text
    assert "== i-2 (Failed, exit 2) ==" in text


async def test_polling_continues_while_the_command_is_in_progress(fake_ssm: FakeSsm) -> None:
    fake_ssm.script("sleep 5", in_progress_polls=4, missing_polls=2, stdout="done\n")
    ssm = await ssm_of()
    command_id = await ssm.send("sleep 5", ["i-1"], timeout_s=60, comment="aw:x")
    outcome = await ssm.wait(command_id, ["i-1"], sent_at=time.time())
    assert outcome.exit_code == 0
    assert fake_ssm.polls("sleep 5") == 2 + 4 + 1


async def test_a_command_that_timed_out_on_an_instance_has_an_error_and_no_exit_code(
    fake_ssm: FakeSsm,
) -> None:
    fake_ssm.script("sleep 999", status="TimedOut")
    ssm = await ssm_of()
    command_id = await ssm.send("sleep 999", ["i-1"], timeout_s=60, comment="aw:x")
    outcome = await ssm.wait(command_id, ["i-1"], sent_at=time.time())
    assert outcome.exit_code is None
    assert outcome.error == "i-1: TimedOut (ExecutionTimedOut)"


async def test_a_throttled_send_is_raised_as_transient(fake_ssm: FakeSsm) -> None:
    fake_ssm.throttle_sends = 1
    ssm = await ssm_of()
    with pytest.raises(ClientError) as throttled:
        await ssm.send("uptime", ["i-1"], timeout_s=60, comment="aw:x")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    assert fake_ssm.calls == ["SendCommand"], "boto3 must not resend a command by itself"


async def test_throttled_polls_are_polled_again(fake_ssm: FakeSsm) -> None:
    ssm = await ssm_of()
    command_id = await ssm.send("uptime", ["i-1"], timeout_s=60, comment="aw:x")
    fake_ssm.throttle_polls = 3
    assert (await ssm.wait(command_id, ["i-1"], sent_at=time.time())).exit_code == 0


@pytest.mark.parametrize(
    ("code", "kind", "hint"),
    [
        ("AccessDeniedException", "AwsAccessDenied", "ssm:SendCommand"),
        ("InvalidInstanceId", "SsmInvalidInstance", "instance ids"),
        ("InvalidDocument", "SsmInvalidDocument", "AWS-RunShellScript"),
    ],
)
async def test_refusals_are_not_retried_and_say_what_to_fix(
    fake_ssm: FakeSsm, code: str, kind: str, hint: str
) -> None:
    fake_ssm.refuse_sends = code
    ssm = await ssm_of()
    with pytest.raises(ApplicationError) as refused:
        await ssm.send("uptime", ["i-1"], timeout_s=60, comment="aw:x")
    assert refused.value.non_retryable and refused.value.type == kind
    assert hint in refused.value.message


# --- classification ---------------------------------------------------------------------------------------


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "SendCommand")


@pytest.mark.parametrize(
    "err",
    [
        client_error("ThrottlingException"),
        client_error("InternalServerError", 500),
        client_error("Whatever", 503),
        client_error("InvocationDoesNotExist"),
        client_error("ExpiredTokenException"),
        EndpointConnectionError(endpoint_url="http://x"),
        ReadTimeoutError(endpoint_url="http://x"),
    ],
)
def test_transient_errors_are_raised_as_they_are(err: Exception) -> None:
    assert classify(err, "ssm:SendCommand") is err


@pytest.mark.parametrize(
    "code",
    ["AccessDenied", "UnrecognizedClientException", "InvalidInstanceId", "ValidationException", "Unheard"],
)
def test_refusals_become_non_retryable(code: str) -> None:
    classified = classify(client_error(code), "ssm:SendCommand")
    assert isinstance(classified, ApplicationError) and classified.non_retryable
    assert code in classified.message
