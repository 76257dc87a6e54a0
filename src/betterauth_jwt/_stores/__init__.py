"""Read-only lookups in Better Auth's own stores: sessions (SQL tables, Redis secondaryStorage, its get-session endpoint)
and token introspection.

Each session store writes its lookup once, as a generator over its I/O (``base``); the session verifier drives it sync
or async. Optional dependencies (SQLAlchemy, redis) are imported when a store is built, never by ``import
betterauth_jwt``.
"""
