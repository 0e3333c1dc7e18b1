"""Keeps credentials out of log lines, uvicorn's access log included.

CloudWatch (SNS) can only send the API key in the URL (`?api_key=`), and that key alone is enough for
the Datadog and Alertmanager webhooks, so an access log line must not carry it. The filter rewrites
each record before any handler formats it: query parameters and header-like `name: value` or
`name=value` pairs whose name says key, token, secret, password or authorization; `Bearer`/`Basic`
credentials; our API keys and JWTs wherever they appear.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[REDACTED]"

_CREDENTIAL_NAMES = (
    r"(?:x[-_])?api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|id[-_]?token|token"
    r"|(?:hmac[-_]|client[-_])?secret|password|passwd|pwd|authorization|cookie|set-cookie|x[-_]signature"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Bearer and Basic credentials, also inside "Authorization: Bearer ...".
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{4,}"), rf"\1\2{REDACTED}"),
    # name=value (query strings, forms) and name: value (header lines).
    (
        re.compile(
            rf"(?i)(?<![A-Za-z0-9_-])((?:{_CREDENTIAL_NAMES})\s*[=:]\s*[\"']?)"
            r"(?!\[REDACTED\])(?!(?:bearer|basic)\s)([^\s&\"',;)}\]]+)"
        ),
        rf"\1{REDACTED}",
    ),
    # 'name': 'value', "name": "value" (dicts, JSON) and (b'name', b'value') (ASGI header pairs).
    (
        re.compile(
            rf"(?i)(b?([\"'])(?:{_CREDENTIAL_NAMES})\2\s*[:,]\s*b?([\"']))"
            r"(?!\[REDACTED\])(?!(?:bearer|basic)\s)((?:(?!\3).)+)"
        ),
        rf"\1{REDACTED}",
    ),
    # Our API keys (aw_...) and JWTs, wherever they turn up.
    (re.compile(r"\baw_[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactCredentials(logging.Filter):
    """Attach to handlers (not loggers): a handler sees records from every logger below it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            # uvicorn's access formatter unpacks its args (client, method, path, version, status).
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_all_handlers() -> None:
    """Puts the filter on every handler configured so far, on the root logger and on named loggers."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [item for item in logging.root.manager.loggerDict.values() if isinstance(item, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactCredentials) for f in handler.filters):
                handler.addFilter(RedactCredentials())
