"""Reading webhook bodies: a size cap enforced while streaming, and JSON parsed into a model or a 422."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


async def read_body_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def field_errors(err: ValidationError, prefix: tuple[str | int, ...] = ("body",)) -> list[dict[str, Any]]:
    return [
        {"loc": [*prefix, *e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in err.errors(include_url=False, include_context=False, include_input=False)
    ]


def parse_json(model: type[Model], body: bytes) -> Model:
    """The body as `model`, or 422 listing each field that is wrong."""
    try:
        return model.model_validate_json(body)
    except ValidationError as err:
        raise HTTPException(422, field_errors(err)) from None


def unusable_field(field: str, message: str) -> HTTPException:
    """A 422 for one field of a tool's payload that parsed but cannot be used."""
    return HTTPException(422, [{"loc": ["body", field], "msg": message, "type": "value_error"}])


def validated(model: type[Model], data: dict[str, Any], where: tuple[str | int, ...]) -> Model:
    """A mapped value as `model`, or 422 saying which part of the tool's payload could not be used."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise HTTPException(422, field_errors(err, where)) from None
