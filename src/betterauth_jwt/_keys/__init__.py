"""Key providers: where the verification keys come from (a shared secret, a fixed JWKS, a remote JWKS)."""
