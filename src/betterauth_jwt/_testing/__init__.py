"""Test helpers behind betterauth_jwt.testing: a real JWKS server, token minting."""
