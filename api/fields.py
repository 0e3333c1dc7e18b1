"""Constraints shared by request fields. PostgreSQL text cannot hold NUL, so no input may carry one:
refused as a 422 with a reason, instead of failing in the database driver."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import HTTPException, Query
from pydantic import AfterValidator, BeforeValidator

NO_NUL = r"^[^\x00]*$"  # for Path(...) and Query(...) parameters


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


NoNul = AfterValidator(_refuse_nul)  # for model fields: Annotated[str, Field(...), NoNul]


# Bidirectional control characters (U+061C, U+200E/F, U+202A-E, U+2066-9) reorder the text around them
# on screen: "db-\u202egnp.exe" displays as "db-exe.png". Alerts carrying them are still accepted, with
# the controls removed, so every reader (API, UI, notifications) shows what the characters really are.
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def without_bidi_controls(value: str) -> str:
    return value.translate(BIDI_CONTROLS)


_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]|$)")


def _iso_8601(value: object) -> object:
    # Pydantic would also read a number as a Unix time; the schema promises ISO 8601 date-times only.
    if isinstance(value, str) and not _ISO_DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 datetime, such as 2030-01-31T09:00:00Z")
    return value


# For datetime query parameters: Annotated[datetime | None, IsoDateTime, Query(...)].
IsoDateTime = BeforeValidator(_iso_8601)


# The optional company filter of the read-only lists and figures; `api.tenancy.company_scope` checks it.
CompanyFilter = Annotated[
    str | None,
    Query(max_length=40, pattern=NO_NUL, description="one company; default: every company of yours"),
]


def invalid_query(name: str, message: str) -> HTTPException:
    """A 422 for a query parameter that is well-formed but wrong (a range the wrong way round), in the
    shape of FastAPI's own validation errors, so clients parse one 422 format."""
    return HTTPException(422, [{"loc": ["query", name], "msg": message, "type": "value_error"}])
