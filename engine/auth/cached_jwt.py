"""JWT authentication that verifies each access token once per process.

A page sends the same access token with every request for the token's whole lifetime, and the
profile of the answer endpoint showed decoding and verifying it (base64, JSON, HMAC, claims) to
be a third of the request. The result of a successful check is therefore kept, keyed by the
signing secret and the exact token string, until the token's own expiry: a token that differs
in any byte (a forged signature included) is verified afresh.

Revocation (engine/auth/revocation.py) is asked on every request, memoised tokens included: a
few dict lookups against this process's copy of the revoked sign-ins, no I/O.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuthenticationMiddleware

from engine.auth.policy import enforce_resolved_policy
from engine.auth.revocation import revoked, subjects_of
from engine.kernel.principal import Principal

# bounded: past this many live tokens the memo starts over (a refill is one verify per token)
MAX_TOKENS = 200_000

# (secret, token) -> (expiry, result, the subjects a revocation may name, issued at ms)
_verified: dict[tuple[str, str], tuple[float, AuthenticationResult, tuple[str, ...], int]] = {}


def issued_ms(result: AuthenticationResult) -> int:
    """When the token was made, in ms (the ``ims`` claim; ``iat`` is whole seconds)."""
    extras = result.auth.extras
    ims = extras.get("ims") if isinstance(extras, dict) else None
    if isinstance(ims, int):
        return ims
    return int(result.auth.iat.timestamp() * 1000)


class CachedJWTAuthenticationMiddleware(JWTAuthenticationMiddleware):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Litestar's, plus the handler's access policy checked once the caller is known (the
        policy was resolved when the app was built: engine/auth/policy.py). Public handlers
        carry ``exclude_from_auth``, so no path patterns are matched per request."""
        if not should_bypass_middleware(
            exclude_http_methods=self.exclude_http_methods,
            exclude_opt_key=self.exclude_opt_key,
            exclude_path_pattern=self.exclude,
            scope=scope,
            scopes=self.scopes,
        ):
            result = await self.authenticate_request(ASGIConnection(scope))
            scope["user"] = result.user
            scope["auth"] = result.auth
            enforce_resolved_policy(scope)
        await self.app(scope, receive, send)

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        if self.revoked_token_handler is not None:  # revocation must be asked every time
            return await super().authenticate_token(encoded_token, connection)
        key = (self.token_secret, encoded_token)
        hit = _verified.get(key)
        if hit is None or time.time() >= hit[0]:
            if hit is not None:
                del _verified[key]  # expired: the full check below refuses it
            result = await super().authenticate_token(encoded_token, connection)
            user = result.user
            subjects = subjects_of(user) if isinstance(user, Principal) else ()
            if len(_verified) >= MAX_TOKENS:
                _verified.clear()
            hit = _verified[key] = (
                result.auth.exp.timestamp(),
                result,
                subjects,
                issued_ms(result),
            )
        if revoked.before and revoked.refuses(hit[2], hit[3]):
            raise NotAuthorizedException("this sign-in was revoked; sign in again")
        return hit[1]
