"""Read-only lookups in Better Auth's own session store: SQL tables, Redis secondaryStorage, or its get-session endpoint.

Each store writes its lookup once, as a generator over its I/O (``base``); the session verifier drives it sync or async.
Optional dependencies (SQLAlchemy, redis) are imported when a store is built, never by ``import betterauth_jwt``.
"""
