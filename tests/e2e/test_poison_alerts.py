"""Whatever a webhook accepted can be routed: text that Temporal would refuse is cut, marked, to fit."""

from __future__ import annotations

from tests.support.stack import Stack, alert_body, eventually
from workflows.incident.visibility import (
    ALERT_SIGNATURE,
    ASSET_NAME,
    MAX_KEYWORD_BYTES,
    MAX_SUMMARY_BYTES,
    encoded_size,
)

# 171 emoji: 2,054 bytes JSON-escaped, over Temporal's 2,048-byte limit for a Keyword search attribute.
POISON_ASSET = "\U0001f600" * 171


async def test_an_alert_too_long_for_temporal_search_attributes_still_opens_its_incident(
    stack: Stack,
) -> None:
    acme = await stack.company()
    body = alert_body(asset_name=POISON_ASSET, signature="\U0001f525" * 255)
    incident_id = await stack.incident_of(await stack.post_alert(acme, body))
    (incident,) = await eventually(
        lambda: stack.incidents(acme.id), lambda rows: [i.alert_count for i in rows] == [1]
    )
    assert incident.id == incident_id and incident.asset_name == POISON_ASSET  # the database keeps it whole
    described = await stack.client.get_workflow_handle(incident_id).describe()
    for key in (ASSET_NAME, ALERT_SIGNATURE):
        shown = described.typed_search_attributes.get(key)
        assert shown is not None and shown.endswith("…") and encoded_size(shown) <= MAX_KEYWORD_BYTES
    summary = await described.static_summary()
    assert summary is not None and summary.endswith(")") and encoded_size(summary) <= MAX_SUMMARY_BYTES
