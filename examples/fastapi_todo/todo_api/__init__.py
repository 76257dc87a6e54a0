"""A todo API where each Better Auth user sees and changes only their own tasks (see ../README.md)."""

from .app import create_app
from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
