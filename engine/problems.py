"""RFC 9457 problem responses with a stable ``code`` for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from engine.kernel.errors import DomainError, validation_failed
from engine.problem_language import localise, preferred_language
from engine.redis_adapter.durability import NotDurable

__all__ = ["EXCEPTION_HANDLERS", "JsonBodyRequest", "ProblemDocument"]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ujian.dev/problems/"


class ProblemDocument(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    extra: dict[str, Any] | None = None


_CODES_BY_STATUS = {
    400: ("validation_failed", "The request is not valid"),
    401: ("unauthorized", "Sign-in required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "The request body is too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def _render(
    request: Request[Any, Any, Any], doc: ProblemDocument, headers: dict[str, str] | None
) -> Response[bytes]:
    doc.instance = request.url.path
    # title and detail in the reader's language (the code stays): engine/problem_language.py
    language = preferred_language(request.headers.get("accept-language"))
    doc.title, doc.detail = localise(doc.code, doc.title, doc.detail, language)
    headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    return Response(
        content=msgspec.json.encode(doc),
        status_code=doc.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def handle_problem(request: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    errors = exc.extra.get("errors") if exc.extra else None
    extra = {k: v for k, v in (exc.extra or {}).items() if k != "errors"} or None
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + exc.code,
        title=exc.title,
        status=exc.status,
        code=exc.code,
        detail=exc.detail,
        errors=errors,
        extra=extra,
    )
    return _render(request, doc, exc.headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    code, title = _CODES_BY_STATUS.get(status, ("internal_error", "Internal server error"))
    if status >= 500:
        code, title = "internal_error", "Internal server error"
    errors = None
    if isinstance(exc, ValidationException):
        # Litestar's msgspec decoding errors carry the field messages
        errors = [e for e in (exc.extra or []) if isinstance(e, dict)] or None
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + code,
        title=title,
        status=status,
        code=code,
        detail=exc.detail if exc.detail else None,
        errors=errors,
    )
    return _render(request, doc, dict(exc.headers) if exc.headers else None)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + "internal_error",
        title="Internal server error",
        status=500,
        code="internal_error",
        detail="An unexpected error occurred; it has been logged.",
    )
    return _render(request, doc, None)


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request: a JSON body nested deeper than the decoder's recursion limit, or a
    string of invalid UTF-8, is the client's body, not our bug, so it is refused like any
    other undecodable body (400 ``validation_failed``). msgspec raises these two instead of its
    DecodeError, which Litestar's decoding does not catch (found by the bad-input tests)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise validation_failed("the JSON body is nested too deeply") from None
        except UnicodeDecodeError:
            raise validation_failed("the JSON body is not valid UTF-8") from None


def handle_data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """PostgreSQL refused a value that came from the request (a NUL byte in text, a number
    past its column's range): the client's input, so a 400, and nothing was stored. Logged,
    because the endpoint should have refused it before the database did."""
    log.warning(
        "database refused request input on %s %s: %s", request.method, request.url.path, exc
    )
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + "validation_failed",
        title="The request is not valid",
        status=400,
        code="validation_failed",
        detail="a value in the request is out of range or not valid text",
    )
    return _render(request, doc, None)


def handle_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Redis or PostgreSQL cannot be reached (restarting, failing over): a 503 the client
    retries, not a 500 that reads like our bug. Nothing of the request was stored unless it
    was acknowledged, and every write is idempotent, so sending it again is safe."""
    log.warning(
        "a store is unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
    )
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + "service_unavailable",
        title="Service unavailable",
        status=503,
        code="service_unavailable",
        detail="the service cannot reach its storage for a moment; send the request again",
    )
    return _render(request, doc, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)})


def handle_not_durable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The write reached a Redis primary but not the replicas (or disks) that
    ``UJIAN_REDIS_ACK_DURABILITY`` asks for in time (ADR 0019): not acknowledged, so the client
    sends the same request again; the scripts are idempotent, and a write the promoted replica
    never had is stored again then."""
    log.warning("a write not held as asked on %s %s: %s", request.method, request.url.path, exc)
    doc = ProblemDocument(
        type=PROBLEM_TYPE_BASE + "write_not_durable",
        title="Not stored safely yet",
        status=503,
        code="write_not_durable",
        detail="the request was not yet stored where it cannot be lost; send it again",
    )
    return _render(request, doc, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)})


UNAVAILABLE_RETRY_AFTER_S = 1
# a store that is down, restarting or failing over, as each driver reports it
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    # a Redis Cluster failing over (its slots uncovered until a replica is promoted) or
    # moving a slot
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    ConnectionError,  # the OS: refused or reset
)

EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    **dict.fromkeys(UNAVAILABLE_ERRORS, handle_unavailable),
    NotDurable: handle_not_durable,
    DomainError: handle_problem,
    HTTPException: handle_http_exception,
    asyncpg.exceptions.DataError: handle_data_error,
    Exception: handle_unexpected,
}
