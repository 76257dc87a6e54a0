"""Framework-neutral request handling: credential extraction, challenges, the error -> status table, hooks."""
