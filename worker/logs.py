"""Logging for the processes: every handler, uvicorn's access log included, redacts credentials."""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from core.log_redaction import RedactCredentials, redact_all_handlers


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_all_handlers()


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, each of its handlers with the redacting filter."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_credentials"] = {"()": RedactCredentials}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_credentials")
    return config
