"""The two pages and their files: ``/`` the student's exam page, ``/teacher`` the dashboard,
``/static/<name>`` scripts and styles. Served by Litestar itself: no build step, no CDN.

The pages sign in on their own (they call the API with a bearer token), so these handlers are
public: they declare ``opt=PUBLIC`` or ``exclude_from_auth`` and skip authentication
(engine/auth/policy.py resolves it when the app is built).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.handlers import HTTPRouteHandler

from engine.compression import SKIP_COMPRESSION
from engine.web.assets import ASSETS, Asset

YEAR_S = 365 * 24 * 3600
# the pages call only their own origin; nothing inline but the JSON the server builds
CSP = (
    "default-src 'self'; img-src 'self' https: data: blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _send(
    request: Request[Any, Any, Any],
    asset: Asset,
    cache_control: str,
    extra: dict[str, str] | None = None,
) -> Response[bytes]:
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = asset.gzipped, "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def _page(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    return _send(
        request,
        ASSETS[name],
        "no-cache",
        {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"},
    )


@get("/", exclude_from_auth=True, include_in_schema=False, opt={SKIP_COMPRESSION: True})
async def student_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _page(request, "student.html")


@get("/teacher", exclude_from_auth=True, include_in_schema=False, opt={SKIP_COMPRESSION: True})
async def teacher_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _page(request, "teacher.html")


def _static_handler(asset: Asset) -> HTTPRouteHandler:
    """One fixed route per file (no path parameter: the set of files is known at start)."""

    async def send(request: Request[Any, Any, Any]) -> Response[bytes]:
        if asset.name == "sw.js":
            # a service worker's own script is always revalidated, and may control the site
            return _send(request, asset, "no-cache", {"Service-Worker-Allowed": "/"})
        versioned = request.query_params.get("v") == asset.version
        return _send(
            request, asset, f"public, max-age={YEAR_S}, immutable" if versioned else "no-cache"
        )

    send.__name__ = "static_" + asset.name.replace(".", "_").replace("-", "_")
    return get(
        f"/static/{asset.name}",
        exclude_from_auth=True,
        include_in_schema=False,
        name=send.__name__,
        opt={SKIP_COMPRESSION: True},  # gzipped once at start (engine/web/assets.py)
    )(send)


WEB_ROUTER = Router(
    path="/",
    route_handlers=[
        student_page,
        teacher_page,
        *(_static_handler(a) for a in ASSETS.values() if not a.name.endswith(".html")),
    ],
)
