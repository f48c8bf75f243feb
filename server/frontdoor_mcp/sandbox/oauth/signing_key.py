"""The sandbox's token signing key: ES256 JWTs with a `kid`, the JWKS that publishes the public half, and
the check the API applies to a bearer JWT.

Asymmetric, so another program (an MCP server under test, say) can verify the sandbox's tokens from its
JWKS without sharing a secret. P-256 because it is generated on every in-memory sandbox start and costs
about a millisecond. Nothing here reads the clock: callers pass `now` from the sandbox's one clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
API_AUDIENCE = "frontdoor"
"""The audience the sandbox's own API accepts; a token minted for another resource (RFC 8707) is refused."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SigningKey:
    """An EC P-256 private key and its key id (the RFC 7638 thumbprint of its public JWK)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.public_jwk = _public_jwk(self.public_key)
        self.kid = _thumbprint(self.public_jwk)

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(kid={self.kid!r})"

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> SigningKey:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the stored sandbox token signing key is not an EC key")
        return cls(key)

    def to_pem(self) -> str:
        """PKCS#8, unencrypted: a throwaway key living in the sandbox database beside the CA key."""
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def mint(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str, *, now: float, issuer: str) -> tuple[dict[str, Any] | None, str]:
        """(claims, "") for a token this key signed, unexpired at `now`, from `issuer`, for the API's audience;
        else (None, the reason, for the WWW-Authenticate challenge). Time is checked here, by the sandbox's
        clock, not by PyJWT (which reads the real one)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None, "The access token is malformed"
        if header.get("alg") != ALGORITHM or header.get("kid") != self.kid:
            return None, "The access token is invalid"  # never "none", never HS256 with the public key
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.PyJWTError:
            return None, "The access token is invalid"
        return _checked_claims(claims, now=now, issuer=issuer)


def _checked_claims(claims: dict[str, Any], *, now: float, issuer: str) -> tuple[dict[str, Any] | None, str]:
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or now >= exp:
        return None, "The access token expired"
    # Spring Security's JwtIssuerValidator and audience validator messages.
    if claims.get("iss") != issuer:
        return None, "The iss claim is not valid"
    audience = claims.get("aud")
    audiences = cast(list[object], audience) if isinstance(audience, list) else [audience]
    if API_AUDIENCE not in audiences:
        return None, "The required audience is missing"
    return claims, ""


def _public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())
