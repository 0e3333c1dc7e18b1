"""An incident event as written to the outbox and as clients receive it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

EventType = Literal[
    "incident.created",
    "incident.updated",
    "incident.resolved",
    "alert.correlated",
    "decision.made",
    "approval.requested",
    "approval.decided",
    "runbook.started",
    "runbook.output",
    "runbook.finished",
    "sla.warning",
    "sla.breached",
    "assignment",
    "notification",
    "note.added",
]


class EventDraft(BaseModel):
    """An event before the outbox numbers it. `dedup_key` comes from the writing call's token, so the
    same call run again writes nothing new."""

    dedup_key: str = Field(max_length=200)
    type: EventType
    company_id: str
    incident_id: str | None
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class EventPublic(BaseModel):
    id: int
    type: EventType
    company_id: str
    incident_id: str | None
    at: datetime
    data: dict[str, Any]

    # The WebSocket message, encoded once: the hub hands the same object to every connection.
    _message: str | None = PrivateAttr(default=None)

    def as_message(self) -> str:
        """`{"type": "event", "event": {...}}` as JSON text."""
        if self._message is None:
            self._message = json.dumps({"type": "event", "event": self.model_dump(mode="json")})
        return self._message
