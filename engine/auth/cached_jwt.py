"""JWT authentication that verifies each access token once per process.

A page sends the same access token with every request for the token's whole lifetime, and the
profile of the answer endpoint showed decoding and verifying it (base64, JSON, HMAC, claims) to
be a third of the request. The result of a successful check is therefore kept, keyed by the
signing secret and the exact token string, until the token's own expiry: a token that differs
in any byte (a forged signature included) is verified afresh.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuthenticationMiddleware

# bounded: past this many live tokens the memo starts over (a refill is one verify per token)
MAX_TOKENS = 200_000

_verified: dict[tuple[str, str], tuple[float, AuthenticationResult]] = {}


class CachedJWTAuthenticationMiddleware(JWTAuthenticationMiddleware):
    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        if self.revoked_token_handler is not None:  # revocation must be asked every time
            return await super().authenticate_token(encoded_token, connection)
        key = (self.token_secret, encoded_token)
        hit = _verified.get(key)
        if hit is not None:
            if time.time() < hit[0]:
                return hit[1]
            del _verified[key]  # expired: the full check below refuses it
        result = await super().authenticate_token(encoded_token, connection)
        if len(_verified) >= MAX_TOKENS:
            _verified.clear()
        _verified[key] = (result.auth.exp.timestamp(), result)
        return result
