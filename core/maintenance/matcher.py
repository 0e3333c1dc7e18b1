"""Which alerts a maintenance window covers: asset and signature globs, and exact labels. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from core.maintenance.schedule import Schedule


@dataclass(frozen=True)
class AlertTraits:
    """What a window looks at in an alert."""

    asset_name: str
    signature: str
    asset_id: str | None = None
    labels: Mapping[str, Any] | None = None


def label_text(value: Any) -> str:
    """A label as text: strings as they are, anything else as JSON (`true`, `5`), as tools write them."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _any_glob(patterns: tuple[str, ...], values: Iterable[str | None]) -> bool:
    if not patterns:
        return True
    candidates = [v.casefold() for v in values if v]
    return any(fnmatchcase(value, pattern) for pattern in patterns for value in candidates)


@dataclass(frozen=True)
class AlertScope:
    """Empty parts match every alert; a window with none covers all of its company's alerts."""

    assets: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        assets: Iterable[str] = (),
        signatures: Iterable[str] = (),
        labels: Mapping[str, Any] | None = None,
    ) -> AlertScope:
        # Case-insensitive globs: compare case-folded pattern and value with the case-sensitive matcher,
        # so the outcome does not depend on the operating system as fnmatch.fnmatch's does.
        return cls(
            tuple(p.casefold() for p in assets),
            tuple(p.casefold() for p in signatures),
            tuple((str(k), label_text(v)) for k, v in (labels or {}).items()),
        )

    def covers(self, alert: AlertTraits) -> bool:
        labels = alert.labels or {}
        return (
            _any_glob(self.assets, (alert.asset_name, alert.asset_id))
            and _any_glob(self.signatures, (alert.signature,))
            and all(key in labels and label_text(labels[key]) == value for key, value in self.labels)
        )


@dataclass(frozen=True)
class MaintenanceRule:
    """One enabled window as intake sees it: when it is open, and which alerts it covers."""

    window_id: str
    schedule: Schedule
    scope: AlertScope

    def suppresses(self, alert: AlertTraits, at: datetime) -> bool:
        return self.scope.covers(alert) and self.schedule.is_open(at)
