"""The one exception type that becomes an HTTP answer in the contract's shape."""

from __future__ import annotations

from typing import Any, Mapping


class ApiError(Exception):
    """An answer other than success: ``{"error": message}`` unless ``body`` says otherwise.

    Raised by the HTTP layer and by the run models alike (models never build responses; the
    app turns this into one).
    """

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = "application/json; charset=utf-8",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = {"error": message} if body is None else body
        self.headers = dict(headers or {})
        self.media_type = media_type


class NotFound(ApiError):
    def __init__(self, message: str = "Not found", *, should_retry: bool | None = None) -> None:
        headers = {} if should_retry is None else {"x-should-retry": "true" if should_retry else "false"}
        super().__init__(404, message, headers=headers)


class Conflict(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)
