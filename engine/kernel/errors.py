"""Refusals with a stable ``code``: what the caller did that the rules do not allow.

Services and domain code raise ``DomainError``; the HTTP edge (``engine/problems.py``) is the
one place that turns it into an RFC 9457 problem document, and the overflow Lambda and the
workers log it. Each error carries the HTTP status its code is answered with, because the code
and its status are one decision made where the rule is (a ``time_expired`` is always a 409); the
error itself knows nothing of the web framework.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal reported to the client as a problem document with a stable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extra = extra
        self.headers = headers


# The refusals named across the API, so a code is spelled one way everywhere.
def not_found(what: str) -> DomainError:
    return DomainError(
        404, "not_found", "Not found", f"{what} does not exist or is not yours to see"
    )


def forbidden(detail: str) -> DomainError:
    return DomainError(403, "forbidden", "Forbidden", detail)


def validation_failed(detail: str, errors: list[dict[str, Any]] | None = None) -> DomainError:
    extra = {"errors": errors} if errors else None
    return DomainError(400, "validation_failed", "The request is not valid", detail, extra=extra)


def conflict(code: str, title: str, detail: str | None = None) -> DomainError:
    return DomainError(409, code, title, detail)
