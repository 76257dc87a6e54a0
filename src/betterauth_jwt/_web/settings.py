"""Django's ``settings.BETTERAUTH_JWT`` read once, for the Django middleware and decorator and the Django REST
framework classes alike (so they share one verifier and its cache). Takes the mapping; imports nothing of Django.

Keys: ``VERIFIER`` (a ``Verifier`` or ``OAuthVerifier``, or its dotted path) or ``BASE_URL`` (+ ``SECRET``),
``REQUIRED``, ``PUBLIC_PATHS``, ``PUBLIC_PREFIXES``, ``SET_USER`` and ``OPTIONS`` (the authenticator's
:class:`AuthOptions`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from .._errors import ConfigurationError
from .authenticator import Authenticator
from .config import verifier_from_config
from .paths import PublicPaths

__all__ = ["SettingsAuth", "settings_auth"]

SETTING = "BETTERAUTH_JWT"
_KEYS = frozenset(
    {"VERIFIER", "BASE_URL", "SECRET", "REQUIRED", "PUBLIC_PATHS", "PUBLIC_PREFIXES", "SET_USER", "OPTIONS"}
)


class SettingsAuth:
    """What one value of the setting configures."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        unknown = set(config) - _KEYS
        if unknown:
            raise ConfigurationError(f"unknown {SETTING} keys {sorted(unknown)}; known: {sorted(_KEYS)}")
        names = (f"{SETTING}['VERIFIER']", f"{SETTING}['BASE_URL']", f"{SETTING}['SECRET']")
        verifier = verifier_from_config(
            config.get("VERIFIER"), config.get("BASE_URL"), config.get("SECRET"), names=names
        )
        options = config.get("OPTIONS", {})
        if not isinstance(options, Mapping):
            raise ConfigurationError(f"{SETTING}['OPTIONS'] must be a dict of options such as {{'cookie': True}}")
        self.authenticator = Authenticator(verifier, **options)
        self.required = bool(config.get("REQUIRED", False))
        self.public = PublicPaths(config.get("PUBLIC_PATHS", ()), config.get("PUBLIC_PREFIXES", ()))
        self.set_user = bool(config.get("SET_USER", False))

    def requires(self, scope: MutableMapping[str, Any]) -> bool:
        """Whether the middleware refuses this request without a token."""
        return self.required and not self.public.matches(scope)


_lock = threading.Lock()
_last: tuple[object, SettingsAuth] | None = None


def settings_auth(config: object) -> SettingsAuth:
    """The :class:`SettingsAuth` of this value of the setting, built on first use. A new value (``override_settings``
    in tests) builds a new one; the previous one is dropped."""
    global _last
    last = _last
    if last is not None and last[0] is config:
        return last[1]
    with _lock:
        if _last is None or _last[0] is not config:
            if not isinstance(config, Mapping):
                raise ConfigurationError(
                    f"settings.{SETTING} must be a dict such as {{'BASE_URL': 'https://app.example.com'}}"
                )
            _last = (config, SettingsAuth(config))
        return _last[1]
