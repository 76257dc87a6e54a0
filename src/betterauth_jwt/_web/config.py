"""A verifier from a framework's configuration (Django settings, Flask config): a ``Verifier`` or an ``OAuthVerifier``
(an OAuth resource server), the dotted path of one, or a Better Auth base URL with an optional shared secret. Errors
name the setting to fix."""

from __future__ import annotations

import importlib

from .._errors import ConfigurationError
from .._oauth_verifier import OAuthVerifier
from .._verifier import Verifier

__all__ = ["verifier_from_config"]


def verifier_from_config(
    verifier: object, base_url: object, secret: object, *, names: tuple[str, str, str]
) -> Verifier | OAuthVerifier:
    """``names`` are the three settings as the user spells them (verifier, base URL, secret), for error messages."""
    verifier_name, base_url_name, secret_name = names
    if verifier is not None:
        if base_url is not None or secret is not None:
            raise ConfigurationError(f"set either {verifier_name} or {base_url_name} (+ {secret_name}), not both")
        if isinstance(verifier, str):
            verifier = _import(verifier, verifier_name)
        if not isinstance(verifier, Verifier | OAuthVerifier):
            raise ConfigurationError(
                f"{verifier_name} must be a betterauth_jwt.Verifier or OAuthVerifier, or the dotted path of one"
            )
        return verifier
    if not isinstance(base_url, str) or not base_url:
        raise ConfigurationError(
            f"betterauth_jwt is not configured: set {base_url_name} to your Better Auth URL, or {verifier_name}"
        )
    if secret is not None and not isinstance(secret, str | bytes):
        raise ConfigurationError(f"{secret_name} must be a string (BETTER_AUTH_SECRET) or None for JWKS")
    return Verifier.for_better_auth(base_url, secret=secret)


def _import(dotted: str, name: str) -> object:
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ConfigurationError(f"{name} must be a dotted path such as 'myproject.auth.verifier', not {dotted!r}")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{name}: cannot import {dotted!r} ({type(exc).__name__})") from None
