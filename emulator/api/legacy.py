"""What the legacy hand-written routes (schedules, env vars) share: ``await request.json()``
and zod's raw issues in ``{"error": ..., "issues": [...]}`` (management.md §2.2, family 1)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..core.errors import ApiError
from ..core.wire_json import parse_json

INVALID_BODY = "Invalid request body"


async def read_json(request: Request) -> Any:
    """The body as JSON. Upstream answers an unstructured 500 when it is not JSON; the
    emulator answers 400 ``{"error": "Invalid request body"}`` (it never answers 500 to input)."""
    try:
        return parse_json(await request.body())
    except ValueError:
        raise ApiError(400, INVALID_BODY) from None


def invalid(issues: list[dict[str, Any]], error: str = INVALID_BODY) -> ApiError:
    return ApiError(400, error, body={"error": error, "issues": issues})
