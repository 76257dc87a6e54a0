"""The error a face raises when its framework is not installed: it names the extra to install (as Starlette's
``templating`` does for jinja2), so the fix is in the message."""

from __future__ import annotations

__all__ = ["missing_extra"]


def missing_extra(framework: str, face: str, extra: str | None = None) -> ImportError:
    return ImportError(
        f"{framework} must be installed to use betterauth_jwt.{face}: pip install 'betterauth-jwt[{extra or face}]'"
    )
