"""POST /api/webhooks/cloudwatch: CloudWatch alarms delivered by an Amazon SNS HTTPS subscription.

SNS cannot set headers or compute our HMAC, so the company comes from `?api_key=` in the subscription
URL and authenticity from SNS's own signature, checked on every message. See
docs/integrations/cloudwatch-sns.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.deps import ServicesDep
from api.integrations.cloudwatch_alarm import AlarmState, CloudWatchAlarm, alert_fields
from api.permissions import public
from api.webhooks.acceptance import AlertPayload, AlertsAccepted, Delivery, accepted_answer, ignored_answer
from api.webhooks.auth import take_rate
from api.webhooks.body import field_errors, validated
from api.webhooks.openapi import WEBHOOK_ERRORS, json_body_of
from api.webhooks.preamble import Hmac, receive
from core.companies.directory import CompanyCredentials
from core.ingest.sns.client import SnsUnreachable, SubscribeUrlRefused
from core.ingest.sns.message import SnsMessage, SnsMessageType
from core.ingest.sns.signature import SnsRejected
from core.runtime import Services

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

# Seconds SNS is asked to wait before retrying when AWS itself could not be reached.
RETRY_AFTER_S = "30"


@router.post(
    "/cloudwatch",
    response_model=AlertsAccepted,
    responses={
        202: {"model": AlertsAccepted, "description": "Stored; its incident will be known shortly"},
        400: {"description": "x-amz-sns-message-type differs from the message's Type"},
        403: {"description": "The SNS topic is not in integration_settings.cloudwatch.allowed_topic_arns"},
        422: {
            "description": "Not an SNS message, not a CloudWatch alarm, or a SubscribeURL we will not visit"
        },
        503: {"description": "AWS could not be reached to fetch the signing certificate or confirm"},
        **WEBHOOK_ERRORS,
    },
    openapi_extra=json_body_of(SnsMessage),
)
@public
async def receive_cloudwatch_alarm(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Query(description="SNS subscriptions cannot send headers")] = None,
    x_api_key: Annotated[str | None, Header()] = None,
    x_amz_sns_message_type: Annotated[str | None, Header(description="Set by SNS")] = None,
) -> JSONResponse:
    # SNS sends `text/plain; charset=UTF-8` whatever the body is: the body is JSON regardless.
    received = await receive(
        request,
        services,
        SnsMessage,
        api_key=x_api_key or api_key,
        how_to_send_key="add ?api_key=<the company's key> to the SNS subscription URL",
        hmac=Hmac.never,  # SNS signs the message itself; checked below
        alerts=None,  # taken once the message is known to come from SNS
    )
    message, credentials = received.payload, received.credentials
    if x_amz_sns_message_type is not None and x_amz_sns_message_type != message.Type.value:
        raise HTTPException(
            400, f"x-amz-sns-message-type {x_amz_sns_message_type!r} differs from the message's Type"
        )
    _check_topic_allowed(credentials, message.TopicArn)
    await _check_from_sns(services, message)
    take_rate(services, credentials.context.id)

    if message.Type is SnsMessageType.subscription_confirmation:
        await _confirm_subscription(services, message)
        return ignored_answer(f"subscription to {message.TopicArn} confirmed")
    if message.Type is SnsMessageType.unsubscribe_confirmation:
        return ignored_answer(f"SNS confirmed an unsubscribe from {message.TopicArn}; nothing to do")
    return await _accept_alarm(services, credentials, message)


def _check_topic_allowed(credentials: CompanyCredentials, topic_arn: str) -> None:
    # Checked before the signature, so a topic nobody allowed never makes us contact AWS.
    if topic_arn not in credentials.context.integrations.cloudwatch.allowed_topic_arns:
        raise HTTPException(
            403,
            f"SNS topic {topic_arn} is not allowed for this company: add it to "
            "integration_settings.cloudwatch.allowed_topic_arns with "
            f"PUT /api/companies/{credentials.context.id}, then let SNS retry (or request a new "
            "subscription confirmation)",
        )


async def _check_from_sns(services: Services, message: SnsMessage) -> None:
    try:
        await services.sns.verify(message)
    except SnsRejected as err:
        raise HTTPException(401, f"not a genuine Amazon SNS message: {err}") from None
    except SnsUnreachable as err:
        raise HTTPException(503, str(err), headers={"Retry-After": RETRY_AFTER_S}) from None


async def _confirm_subscription(services: Services, message: SnsMessage) -> None:
    try:
        await services.sns.confirm_subscription(message.SubscribeURL or "")
    except SubscribeUrlRefused as err:
        raise HTTPException(422, str(err)) from None
    except SnsUnreachable as err:
        raise HTTPException(503, str(err), headers={"Retry-After": RETRY_AFTER_S}) from None


async def _accept_alarm(
    services: Services, credentials: CompanyCredentials, message: SnsMessage
) -> JSONResponse:
    alarm = _alarm_in(message)
    if alarm.NewStateValue is AlarmState.insufficient_data:
        return ignored_answer(
            f"alarm {alarm.AlarmName} is INSUFFICIENT_DATA, which neither opens nor recovers"
        )
    settings = credentials.context.integrations.cloudwatch
    payload = validated(AlertPayload, alert_fields(alarm, settings, message.Subject), ("body", "Message"))
    # SNS keeps a message's MessageId on every retry: a redelivered alarm is answered as a duplicate.
    return await accepted_answer(
        services, credentials.context, [Delivery(payload, f"sns:{message.MessageId}")]
    )


def _alarm_in(message: SnsMessage) -> CloudWatchAlarm:
    try:
        return CloudWatchAlarm.model_validate_json(message.Message)
    except ValidationError as err:
        errors = field_errors(err, ("body", "Message"))
        for error in errors:
            error["msg"] = f"not a CloudWatch alarm state change: {error['msg']}"
        raise HTTPException(422, errors) from None
