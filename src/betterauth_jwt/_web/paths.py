"""Which request paths the middleware lets through without a token: :class:`PublicPaths`.

A public path is a hole in the authentication wall, so the match fails closed. It is made on the path the application
routes on (the ASGI ``path`` less the ``root_path`` of a mount, as Starlette's router does), case-sensitively, and only
for paths in plain form: a path with dot segments (``/public/../admin``), empty segments (``//``), a backslash, a ``;``,
a ``%`` left after decoding, control or non-ASCII characters, or a raw path carrying an encoded ``/``, ``.``, ``\\`` or
``%`` is never public, because a proxy or router along the way might read it differently from us (CWE-22, CWE-647).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._errors import ConfigurationError

__all__ = ["PublicPaths", "route_path"]

_UNSAFE_CHARACTERS = frozenset("%\\;") | frozenset(map(chr, range(0x20))) | {"\x7f"}
# In the raw (still percent-encoded) path: an encoded "/", ".", "\" or "%" changes how the path splits into segments.
_UNSAFE_ENCODINGS = (b"%2f", b"%2e", b"%5c", b"%25")


def route_path(scope: Mapping[str, Any]) -> str:
    """The path relative to the application: ``scope["path"]`` without a leading ``root_path`` (a mount point)."""
    path: str = scope.get("path", "")
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest:
            return "/"
        if rest.startswith("/"):
            return rest
    return path


def is_plain(path: str) -> bool:
    """True for an absolute path without anything a normaliser could rewrite."""
    if not path.startswith("/") or not path.isascii() or _UNSAFE_CHARACTERS.intersection(path):
        return False
    segments = path[1:].split("/")
    for position, segment in enumerate(segments):
        if segment in (".", ".."):
            return False
        if not segment and position != len(segments) - 1:  # "//"; a single trailing "/" is fine
            return False
    return True


class PublicPaths:
    """Exact paths (``/health``) and prefixes that match on a segment boundary (``/docs`` matches ``/docs`` and
    ``/docs/oauth2-redirect``, never ``/docsecret``)."""

    def __init__(self, exact: Iterable[str] = (), prefixes: Iterable[str] = ()) -> None:
        self.exact = frozenset(self._checked(path, "public_paths") for path in _strings(exact, "public_paths"))
        self.prefixes = tuple(
            self._checked(path, "public_prefixes").rstrip("/") for path in _strings(prefixes, "public_prefixes")
        )
        if "" in self.prefixes:
            raise ConfigurationError("public_prefixes may not contain '/': use required=False for an optional token")

    @staticmethod
    def _checked(path: str, option: str) -> str:
        if not is_plain(path):
            raise ConfigurationError(f"{option}: {path!r} must be a plain absolute path such as '/health'")
        return path

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def matches(self, scope: Mapping[str, Any]) -> bool:
        if not self:
            return False
        path = route_path(scope)
        if not is_plain(path):
            return False
        raw_path = scope.get("raw_path")
        if isinstance(raw_path, bytes) and any(code in raw_path.lower() for code in _UNSAFE_ENCODINGS):
            return False
        if path in self.exact:
            return True
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)


def _strings(paths: Iterable[str], option: str) -> list[str]:
    if isinstance(paths, str):  # a single string would otherwise be read as a list of one-character paths
        raise ConfigurationError(f"{option} must be a list of paths, not a single string")
    items = list(paths)
    if not all(isinstance(path, str) for path in items):
        raise ConfigurationError(f"{option} must contain strings")
    return items
