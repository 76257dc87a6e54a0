"""The public names are a contract (DESIGN.md): exactly these, importable from the top-level package."""

from __future__ import annotations

import subprocess
import sys

import betterauth_jwt

CONTRACT = {
    "Verifier", "TokenKind", "Identity",
    "SharedSecret", "StaticJWKS", "RemoteJWKS", "KeyProvider",
    "BetterAuthJWTError", "InvalidTokenError", "KeysUnavailableError", "ConfigurationError",
    "SessionVerifier", "SqlSessionStore", "RedisSessionStore", "RemoteSessionStore", "OriginCheck",
}  # fmt: skip


def test_contract_names_are_exported() -> None:
    assert set(betterauth_jwt.__all__) >= CONTRACT
    for name in betterauth_jwt.__all__:
        assert getattr(betterauth_jwt, name) is not None


def test_all_is_sorted_and_has_no_private_names() -> None:
    assert betterauth_jwt.__all__ == sorted(betterauth_jwt.__all__)
    assert not [name for name in betterauth_jwt.__all__ if name.startswith("_")]


def test_public_classes_show_the_public_module() -> None:
    assert repr(betterauth_jwt.Verifier) == "<class 'betterauth_jwt.Verifier'>"
    assert betterauth_jwt.InvalidTokenError.__module__ == "betterauth_jwt"


def test_error_tree() -> None:
    assert issubclass(betterauth_jwt.InvalidTokenError, betterauth_jwt.BetterAuthJWTError)
    assert issubclass(betterauth_jwt.KeysUnavailableError, betterauth_jwt.BetterAuthJWTError)
    assert not issubclass(betterauth_jwt.KeysUnavailableError, betterauth_jwt.InvalidTokenError)
    assert issubclass(betterauth_jwt.ConfigurationError, betterauth_jwt.BetterAuthJWTError)


def test_import_needs_no_web_framework() -> None:
    # The core must import with only its own dependencies: no starlette, fastapi or prometheus pulled in.
    code = (
        "import sys, betterauth_jwt; "
        "bad = [m for m in ('starlette', 'fastapi', 'prometheus_client', 'jwt') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("betterauth_jwt").joinpath("py.typed").is_file()


def test_dir_lists_the_public_names_only() -> None:
    # Private submodules (bound as attributes by the imports in __init__) and helpers such as contextlib stay out of
    # dir() and tab completion; the dunders a module always has may stay.
    shown = {name for name in dir(betterauth_jwt) if not (name.startswith("__") and name.endswith("__"))}
    assert shown == set(betterauth_jwt.__all__)
    assert "__version__" in dir(betterauth_jwt)


def test_private_submodules_stay_importable() -> None:
    from betterauth_jwt._web import credentials

    assert credentials.bearer_token is not None


def test_str_of_an_error_does_not_repeat_its_code() -> None:
    error = betterauth_jwt.ConfigurationError("the secret is too short")
    assert str(error) == "the secret is too short"
    assert error.code == "configuration_error"
    coded = betterauth_jwt.InvalidTokenError("the token has expired", code="token_expired")
    assert str(coded) == coded.description
    assert "token_expired" not in str(coded)
