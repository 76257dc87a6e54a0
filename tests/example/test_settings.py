"""The example's configuration: defaults, normalisation, and refusals that name the variable to fix."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from todo_api import Settings, SettingsError
from todo_api.settings import DEFAULT_CORS_ORIGINS

from betterauth_jwt import RemoteJWKS, SharedSecret

SECRET = secrets.token_urlsafe(32)
EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "fastapi_todo"


@pytest.fixture
def load() -> Iterator[Callable[[dict[str, str]], Settings]]:
    """``Settings.from_env``; the HTTP clients of the JWKS verifiers it builds are closed after the test."""
    built: list[Settings] = []

    def load(environ: dict[str, str]) -> Settings:
        settings = Settings.from_env(environ)
        built.append(settings)
        return settings

    yield load
    for settings in built:
        if isinstance(settings.verifier.keys, RemoteJWKS):
            settings.verifier.keys.close()


Load = Callable[[dict[str, str]], Settings]


def test_defaults_are_jwks_mode_against_localhost_3000(load: Load) -> None:
    settings = load({})

    keys = settings.verifier.keys
    assert isinstance(keys, RemoteJWKS)
    assert keys.url == "http://localhost:3000/api/auth/jwks"
    assert settings.verifier.issuer == "http://localhost:3000"
    assert settings.verifier.audiences == {"http://localhost:3000"}
    assert settings.database_url == f"sqlite:///{EXAMPLE_DIR / 'todo.db'}"
    assert settings.cors_origins == DEFAULT_CORS_ORIGINS == ("http://localhost:3000", "http://127.0.0.1:3000")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_a_secret_selects_shared_secret_mode_with_the_urls_origin(load: Load) -> None:
    settings = load({"BETTER_AUTH_SECRET": SECRET, "BETTER_AUTH_URL": "https://app.example.com/"})

    assert isinstance(settings.verifier.keys, SharedSecret)
    assert settings.verifier.algorithms == {"HS256"}
    assert settings.verifier.issuer == "https://app.example.com"
    assert SECRET not in repr(settings)


def test_an_empty_secret_means_jwks_mode(load: Load) -> None:
    settings = load({"BETTER_AUTH_SECRET": "", "BETTER_AUTH_URL": "https://auth.example.com"})

    assert isinstance(settings.verifier.keys, RemoteJWKS)
    assert settings.verifier.keys.url == "https://auth.example.com/api/auth/jwks"


def test_host_port_and_cors_origins_are_read(load: Load) -> None:
    settings = load(
        {"HOST": "0.0.0.0", "PORT": "8123", "CORS_ORIGINS": " https://App.Example.com/ ,http://localhost:5173"}
    )

    assert (settings.host, settings.port) == ("0.0.0.0", 8123)
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")
    assert load({"CORS_ORIGINS": ""}).cors_origins == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/todo", "postgresql+psycopg://u:p@db:5432/todo"),
        ("postgresql://u:p@db/todo", "postgresql+psycopg://u:p@db/todo"),
        ("postgresql+psycopg://u@db/todo", "postgresql+psycopg://u@db/todo"),
        ("sqlite:////tmp/todo.db", "sqlite:////tmp/todo.db"),
    ],
)
def test_database_urls_use_psycopg_3(load: Load, raw: str, expected: str) -> None:
    settings = load({"BETTER_AUTH_SECRET": SECRET, "DATABASE_URL": raw})

    assert settings.database_url == expected
    assert "p@" not in repr(settings)  # the password stays out of the repr


REFUSED = [
    pytest.param({"BETTER_AUTH_SECRET": "too-short"}, "BETTER_AUTH_SECRET", id="short-secret"),
    pytest.param(
        {"BETTER_AUTH_SECRET": "better-auth-secret-12345678901234567890"}, "BETTER_AUTH_SECRET", id="published-secret"
    ),
    pytest.param({"BETTER_AUTH_URL": "not a url"}, "BETTER_AUTH_URL", id="url-garbage"),
    pytest.param({"BETTER_AUTH_URL": "ftp://auth.example.com"}, "BETTER_AUTH_URL", id="url-scheme"),
    pytest.param({"BETTER_AUTH_URL": "http://auth.example.com"}, "BETTER_AUTH_URL", id="jwks-over-plain-http"),
    pytest.param(
        {"BETTER_AUTH_URL": "ftp://x", "BETTER_AUTH_SECRET": SECRET}, "BETTER_AUTH_URL", id="url-in-secret-mode"
    ),
    pytest.param({"DATABASE_URL": "mysql://u@db/todo"}, "DATABASE_URL", id="database-unsupported"),
    pytest.param({"DATABASE_URL": "::nonsense"}, "DATABASE_URL", id="database-garbage"),
    pytest.param({"DATABASE_URL": "sqlite://"}, "DATABASE_URL", id="database-in-memory"),
    pytest.param({"CORS_ORIGINS": "http://localhost:3000/app"}, "CORS_ORIGINS", id="cors-path"),
    pytest.param({"CORS_ORIGINS": "*"}, "CORS_ORIGINS", id="cors-wildcard"),
    pytest.param({"PORT": "http"}, "PORT", id="port-name"),
    pytest.param({"PORT": "0"}, "PORT", id="port-zero"),
    pytest.param({"PORT": "65536"}, "PORT", id="port-too-large"),
    pytest.param({"PORT": "\uff18\uff10"}, "PORT", id="port-fullwidth-digits"),
]


@pytest.mark.parametrize(("environ", "variable"), REFUSED)
def test_bad_configuration_names_the_variable(load: Load, environ: dict[str, str], variable: str) -> None:
    environ = {"BETTER_AUTH_SECRET": SECRET, **environ} if "BETTER_AUTH_URL" not in environ else environ

    with pytest.raises(SettingsError) as caught:
        load(environ)

    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    secret = environ.get("BETTER_AUTH_SECRET")
    if secret is not None:
        assert secret not in str(caught.value)
