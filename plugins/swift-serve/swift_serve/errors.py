"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.

Every failure a client can cause is an :class:`APIError` with an HTTP status;
the app turns it (and FastAPI's own 404/405) into that JSON body, so the
official ``openai`` client raises its matching exception (``AuthenticationError``,
``BadRequestError``, ``NotFoundError`` …) with our message.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

logger = logging.getLogger("swift_serve")

# The `type` OpenAI uses for each status family.
_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
}


class APIError(Exception):
    """A request the server answers with an error status.

    Args:
        status: HTTP status code.
        message: What was wrong and how to fix it (shown to the client).
        code: Machine-readable code (``invalid_api_key``, ``model_not_found`` …).
        param: The request field at fault, if one is.
    """

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return error_body(self.status, self.message, code=self.code, param=self.param)


def error_body(status: int, message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """``{"error": {...}}`` for ``status`` (server errors get type ``server_error``)."""
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def bad_request(message: str, param: str | None = None) -> APIError:
    """A 400 about ``param``."""
    return APIError(400, message, code="invalid_request", param=param)


def internal_error(exc: BaseException, what: str) -> APIError:
    """A 500 for a server bug: the traceback goes to the log under a request id, the client gets only the id.

    Args:
        exc: The exception that escaped.
        what: What failed, for the log and the client (``the engine``, ``streaming``).
    """
    request_id = uuid.uuid4().hex[:16]
    logger.error("%s failed (request id %s): %s", what, request_id, exc, exc_info=exc)
    return APIError(
        500,
        f"{what} failed; this is a server error (request id {request_id}): its details are in the server log",
        code="internal_error",
    )
