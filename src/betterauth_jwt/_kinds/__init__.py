"""One module per credential kind: its claims profile and its result type."""
