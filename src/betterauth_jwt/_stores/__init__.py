"""Read-only lookups in Better Auth's own stores: sessions (SQL, Redis, get-session) and token introspection."""
