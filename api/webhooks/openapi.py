"""How webhook routes, which read their bodies raw to check signatures, describe themselves in OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel

# Answers every webhook endpoint documents besides its own success and 422.
WEBHOOK_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Unknown API key, or missing/wrong signature or timestamp"},
    413: {"description": "Body over 256 KiB"},
    429: {"description": "Company rate limit exceeded; see Retry-After"},
}


# Bodies that routes read raw (to check signatures) and so declare for OpenAPI themselves (api/app.py).
RAW_BODY_MODELS: dict[str, type[BaseModel]] = {}


def json_body_of(model: type[BaseModel]) -> dict[str, object]:
    """OpenAPI for a body the route reads itself, as `model` describes it."""
    RAW_BODY_MODELS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }
