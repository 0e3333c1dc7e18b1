"""Constraints shared by request fields. PostgreSQL text cannot hold NUL, so no input may carry one:
refused as a 422 with a reason, instead of failing in the database driver."""

from __future__ import annotations

from pydantic import AfterValidator

NO_NUL = r"^[^\x00]*$"  # for Path(...) and Query(...) parameters


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


NoNul = AfterValidator(_refuse_nul)  # for model fields: Annotated[str, Field(...), NoNul]
