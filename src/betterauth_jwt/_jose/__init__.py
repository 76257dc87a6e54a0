"""Compact JWS, JWKs, signature algorithms and strict JSON (RFC 7515/7517/7518): no Better Auth knowledge."""
