"""Drive a real Better Auth OAuth 2.1 provider (``server.mjs`` here) from Python over HTTP, without a browser.

Used by ``test_oauth_provider_live.py`` and by ``record.py`` (fixtures for unit tests). Standard library, httpx and
cryptography (for the DPoP proof key) only, and no pytest import::

    with OAuthProviderServer("default") as server:
        tokens = issue_tokens(server)
        tokens.access_token, tokens.machine_access_token, tokens.opaque_access_token, ...

Configuration names (``CONFIGS``) and the test-only routes (``/sign-in``, ``/consent``, ``/test/admin-client``) are a
contract with server.mjs. Process handling (free port, ``READY <port>``, logs, stop) is inherited from the first-party
harness's ``BetterAuthServer``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.interop.harness import API_PATH, TEST_SECRET, BetterAuthServer, HarnessError

NODE_PROJECT = Path(__file__).resolve().parent
SERVER_SCRIPT = NODE_PROJECT / "server.mjs"

CONFIGS: tuple[str, ...] = ("default", "issuer-origin", "mcp")
# The resource servers the provider issues JWT access tokens for (RFC 8707 identifiers), passed to server.mjs.
RESOURCE = "https://api.example.test/mcp"
OTHER_RESOURCE = "https://other.example.test/api"
SCOPES = ("openid", "profile", "email", "offline_access", "todos:read", "todos:write")
# client_credentials may carry only scopes that are not about a user.
MACHINE_SCOPES = ("todos:read", "todos:write")
# A confidential web client: https and not loopback (dynamic registration refuses anything else for web clients).
# Nobody listens there: the harness reads the code from the redirect URL instead of following it.
WEB_REDIRECT_URI = "https://client.example.test/callback"
# A public native client: http loopback is allowed for application_type "native" only.
NATIVE_REDIRECT_URI = "http://127.0.0.1:53682/callback"
LOGIN_PAGE = "/sign-in"
CONSENT_PAGE = "/consent"

EMAIL = "alice@example.test"
PASSWORD = "correct horse battery staple"
NAME = "Alice Example"

FIXTURES = NODE_PROJECT.parent.parent / "fixtures" / "oauth"


# --- Node side -----------------------------------------------------------------------


def ensure_node_modules(timeout: float = 600.0) -> None:
    """Install this Node project from its lockfile (``npm ci``; .npmrc sets legacy-peer-deps) if not installed yet."""
    modules = NODE_PROJECT / "node_modules" / "@better-auth"
    if all((modules / name / "package.json").is_file() for name in ("oauth-provider", "mcp")):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm is not on PATH; cannot install the Better Auth OAuth provider test server")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NODE_PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise HarnessError(f"npm ci failed in {NODE_PROJECT}:\n{result.stderr[-4000:]}")


def package_versions() -> dict[str, str]:
    """Installed versions of the Better Auth packages (what the lockfile pinned)."""
    versions = {}
    for name in ("better-auth", "@better-auth/oauth-provider", "@better-auth/mcp"):
        package_json = NODE_PROJECT / "node_modules" / name / "package.json"
        versions[name] = json.loads(package_json.read_text(encoding="utf-8"))["version"]
    return versions


class OAuthProviderServer(BetterAuthServer):
    """Run ``node server.mjs`` (Better Auth + jwt + oauthProvider) for one configuration on a free loopback port.

    ``default``: OAuth tokens' ``iss`` is ``<origin>/api/auth``. ``issuer-origin``: ``jwt.issuer`` is the origin, so
    OAuth tokens share ``iss`` with first-party JWTs, and the origin itself is a configured resource (the confusion
    case). ``mcp``: ``@better-auth/mcp``'s ``mcp({resource: RESOURCE})`` in place of ``oauthProvider()``, the same
    provider plus RFC 9728 metadata. Each start is a fresh in-memory database (new users, clients, signing keys).
    """

    def __init__(
        self,
        config: str = "default",
        *,
        env: Mapping[str, str] | None = None,
        secret: str = TEST_SECRET,
        startup_timeout: float = 30.0,
        resources: tuple[str, ...] = (RESOURCE, OTHER_RESOURCE),
    ) -> None:
        if config not in CONFIGS:
            raise ValueError(f"unknown OAuth provider configuration {config!r}; known: {', '.join(CONFIGS)}")
        super().__init__(env=env, secret=secret, startup_timeout=startup_timeout)
        self.config = config
        # The first is mcp()'s resource in the "mcp" configuration; a test's own server (an MCP server on a loopback
        # port) is passed here.
        self.configured_resources = resources

    @property
    def issuer(self) -> str:
        """The ``iss`` of this configuration's OAuth tokens (and of its metadata)."""
        return self.base_url if self.config == "issuer-origin" else self.api_url

    @property
    def resources(self) -> tuple[str, ...]:
        """Every resource identifier the provider knows (the origin too, in ``issuer-origin``)."""
        extra = (self.base_url,) if self.config == "issuer-origin" else ()
        return (*self.configured_resources, *extra)

    def start(self) -> None:
        if self._process is not None:
            raise HarnessError("the server is already running")
        node = shutil.which("node")
        if node is None:
            raise HarnessError("node is not on PATH")
        ensure_node_modules()
        env = {
            **os.environ,
            "BETTER_AUTH_TELEMETRY": "0",
            **self._extra_env,
            "OAUTH_CONFIG": self.config,
            "OAUTH_RESOURCES": ",".join(self.configured_resources),
            "PORT": "0",
            "BETTER_AUTH_SECRET": self.secret,
        }
        # stderr to a file (nobody reads it while the server runs; a full pipe would block). Closed in stop().
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process = subprocess.Popen(
            [node, str(SERVER_SCRIPT)],
            cwd=NODE_PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        try:
            self._port = self._wait_ready()
        except BaseException:
            self.stop()
            raise


# --- HTTP helpers --------------------------------------------------------------------


def _check(response: httpx.Response, what: str, *statuses: int) -> httpx.Response:
    if response.status_code not in (statuses or (200,)):
        # Error bodies here are OAuth error objects ({error, error_description}): no secrets.
        raise HarnessError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_b64url(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    return verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


class DPoPKey:
    """An EC P-256 key that signs RFC 9449 DPoP proofs (ES256) for one client."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def thumbprint(self) -> str:
        """RFC 7638 JWK SHA-256 thumbprint: what ``cnf.jkt`` of a bound token must be."""
        canonical = json.dumps({name: self.jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())

    def proof(self, method: str, url: str, *, access_token: str | None = None) -> str:
        """A fresh DPoP proof JWT for one request (``htm``, ``htu``, ``iat``, ``jti``; ``ath`` for a resource)."""
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}
        claims: dict[str, Any] = {"htm": method, "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4())}
        if access_token is not None:
            claims["ath"] = _b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        signing_input = f"{_json_b64url(header)}.{_json_b64url(claims)}".encode("ascii")
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return f"{signing_input.decode('ascii')}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass(frozen=True)
class Client:
    """A registered OAuth client. ``client_secret`` is None for public clients."""

    client_id: str
    client_secret: str | None
    redirect_uri: str | None = None

    def auth(self) -> httpx.Auth:
        """HTTP Basic for confidential clients; no authentication (httpx's base Auth) for public ones."""
        return httpx.BasicAuth(self.client_id, self.client_secret) if self.client_secret else httpx.Auth()

    def form(self) -> dict[str, str]:
        """Form fields that identify a public client (confidential ones use HTTP Basic)."""
        return {} if self.client_secret else {"client_id": self.client_id}


class Provider:
    """One user's browser (cookies) plus plain OAuth client calls against a running ``OAuthProviderServer``."""

    def __init__(self, server: OAuthProviderServer) -> None:
        self.server = server
        # Better Auth answers 403 MISSING_OR_NULL_ORIGIN to sign-up/sign-in without an Origin header.
        self.browser = httpx.Client(base_url=server.base_url, headers={"Origin": server.base_url}, timeout=10.0)
        # Token, registration and introspection calls come from OAuth clients: no cookies, no Origin.
        self.backchannel = httpx.Client(base_url=server.api_url, timeout=10.0)
        self.user: dict[str, Any] = {}

    def close(self) -> None:
        self.browser.close()
        self.backchannel.close()

    @property
    def token_url(self) -> str:
        return self.server.api_url + "/oauth2/token"

    # Users and clients ------------------------------------------------------------------

    def sign_up(self, email: str = EMAIL, password: str = PASSWORD, name: str = NAME) -> dict[str, Any]:
        """Create a user (signed in: the browser holds its session cookie). Returns the user object."""
        body = {"email": email, "password": password, "name": name}
        self.user = _check(self.browser.post(API_PATH + "/sign-up/email", json=body), "sign-up").json()["user"]
        return self.user

    def sign_out(self) -> None:
        _check(self.browser.post(API_PATH + "/sign-out", json={}), "sign-out")
        self.browser.cookies.clear()

    def register_client(self, **metadata: Any) -> Client:
        """Dynamic client registration (RFC 7591, ``POST /api/auth/oauth2/register``), unauthenticated."""
        response = _check(self.backchannel.post("/oauth2/register", json=metadata), "register", 201).json()
        uris = response.get("redirect_uris") or [None]
        return Client(response["client_id"], response.get("client_secret"), uris[0])

    def admin_create_client(self, **metadata: Any) -> Client:
        """``auth.api.adminCreateOAuthClient`` through server.mjs's loopback-only test route (needs a session)."""
        response = self.browser.post("/test/admin-client", json=metadata)
        body = _check(response, "admin create client", 201).json()
        uris = body.get("redirect_uris") or [None]
        return Client(body["client_id"], body.get("client_secret"), uris[0])

    # Authorization code + PKCE ----------------------------------------------------------

    def authorize(
        self,
        client: Client,
        scope: str,
        *,
        password: str = PASSWORD,
        nonce: str | None = None,
        resource: str | None = None,
    ) -> tuple[str, str]:
        """Run ``/oauth2/authorize`` to the redirect with a code, signing in and consenting as a browser would.

        Returns (code, code_verifier). The redirect's ``state`` and ``iss`` are checked here.
        """
        assert client.redirect_uri is not None
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            query["nonce"] = nonce
        if resource is not None:
            query["resource"] = resource
        response = _check(self.browser.get(API_PATH + "/oauth2/authorize", params=query), "authorize", 302)
        params = self.follow_authorization(response.headers["location"], client.redirect_uri, password=password)
        if "code" not in params:
            raise HarnessError(f"authorization failed: {params.get('error')}: {params.get('error_description')}")
        if params.get("state") != state or params.get("iss") != self.server.issuer:
            raise HarnessError(f"redirect with state/iss {params.get('state')!r}/{params.get('iss')!r}")
        return params["code"], verifier

    def follow_authorization(self, url: str, redirect_uri: str, *, password: str = PASSWORD) -> dict[str, str]:
        """From an authorization URL (or the provider's first redirect) through the login and consent pages, as this
        user's browser; the query parameters of the final redirect to ``redirect_uri`` (``code``, ``state``, ``iss``,
        or ``error``), unchecked: the caller (an OAuth client under test, say) checks them."""
        if urlsplit(url).path == API_PATH + "/oauth2/authorize":
            url = _check(self.browser.get(url), "authorize", 302).headers["location"]
        for _ in range(4):
            parts = urlsplit(url)
            if parts.path == LOGIN_PAGE:
                # The login page posts the signed query back with the credentials.
                body = {"email": self.user["email"], "password": password, "oauth_query": parts.query}
                url = _check(self.browser.post(API_PATH + "/sign-in/email", json=body), "sign-in").json()["url"]
            elif parts.path == CONSENT_PAGE:
                body = {"accept": True, "oauth_query": parts.query}
                url = _check(self.browser.post(API_PATH + "/oauth2/consent", json=body), "consent").json()["url"]
            elif url.startswith(redirect_uri + "?"):
                return {name: values[0] for name, values in parse_qs(parts.query).items()}
            else:
                raise HarnessError(f"unexpected authorization redirect to {parts.path}")
        raise HarnessError("authorization did not reach the redirect URI")

    # Token endpoint ---------------------------------------------------------------------

    def token(self, client: Client, form: Mapping[str, str], *, dpop: DPoPKey | None = None) -> dict[str, Any]:
        """``POST /api/auth/oauth2/token`` (client auth: Basic for confidential clients); the JSON response."""
        headers = {"DPoP": dpop.proof("POST", self.token_url)} if dpop else {}
        response = self.backchannel.post(
            "/oauth2/token", data={**client.form(), **form}, auth=client.auth(), headers=headers
        )
        body: dict[str, Any] = _check(response, f"token ({form.get('grant_type')})").json()
        return body

    def exchange_code(
        self,
        client: Client,
        code: str,
        verifier: str,
        *,
        resource: str | None = None,
        dpop: DPoPKey | None = None,
    ) -> dict[str, Any]:
        assert client.redirect_uri is not None
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
            "code_verifier": verifier,
        }
        if resource is not None:
            form["resource"] = resource
        return self.token(client, form, dpop=dpop)

    def refresh(self, client: Client, refresh_token: str, *, resource: str | None = None) -> dict[str, Any]:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if resource is not None:
            form["resource"] = resource
        return self.token(client, form)

    def client_credentials(
        self, client: Client, scope: str, *, resource: str | None = None, dpop: DPoPKey | None = None
    ) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "scope": scope}
        if resource is not None:
            form["resource"] = resource
        return self.token(client, form, dpop=dpop)

    def introspect(self, client: Client, token: str, hint: str | None = None) -> dict[str, Any]:
        """RFC 7662 introspection, authenticated as ``client`` (a resource server's confidential client)."""
        form = {"token": token, **({"token_type_hint": hint} if hint else {})}
        response = self.backchannel.post("/oauth2/introspect", data=form, auth=client.auth())
        body: dict[str, Any] = _check(response, "introspect").json()
        return body

    # First-party ------------------------------------------------------------------------

    def first_party_token(self) -> str:
        """The jwt plugin's own token (``GET /api/auth/token`` with the session), for contrast."""
        token: str = _check(self.browser.get(API_PATH + "/token"), "GET /token").json()["token"]
        return token

    def jwks(self) -> dict[str, Any]:
        jwks: dict[str, Any] = _check(self.backchannel.get("/jwks"), "GET /jwks").json()
        return jwks

    def protected_resource_metadata(self, resource: str = RESOURCE) -> dict[str, Any]:
        """RFC 9728 metadata that ``mcp()`` serves on the provider's origin for its resource (``mcp`` only)."""
        url = f"{self.server.base_url}/.well-known/oauth-protected-resource{urlsplit(resource).path.rstrip('/')}"
        metadata: dict[str, Any] = _check(self.backchannel.get(url), "protected resource metadata").json()
        return metadata

    def metadata(self) -> dict[str, Any]:
        """The authorization server metadata (RFC 8414) at the issuer-derived well-known path."""
        issuer = urlsplit(self.server.issuer)
        url = f"{self.server.base_url}/.well-known/oauth-authorization-server{issuer.path}"
        metadata: dict[str, Any] = _check(self.backchannel.get(url), "metadata").json()
        return metadata


# --- The whole set of tokens ---------------------------------------------------------


@dataclass
class OAuthTokens:
    """Every credential a real provider issued in one run, raw, plus what a verifier needs to check them.

    Access tokens: ``access_token`` (user, openid scopes, ``resource`` at /token: ``aud`` is a list with the
    userinfo URL), ``refreshed_access_token`` (refresh grant), ``single_audience_access_token`` (public native
    client, ``resource`` at /authorize, no openid: ``aud`` a string), ``other_resource_access_token`` (``aud`` =
    ``other_resource``), ``dpop_access_token`` (DPoP-bound user token, ``cnf.jkt`` = ``dpop_jkt``),
    ``machine_access_token`` (client_credentials, ``sub`` = client id), ``dpop_machine_access_token``,
    ``opaque_access_token`` (no resource asked: not a JWT), ``origin_audience_access_token`` (``issuer-origin``
    only: ``aud`` = the origin). ``introspection`` holds the provider's own RFC 7662 answers;
    ``protected_resource_metadata`` the RFC 9728 document of ``mcp`` (None elsewhere).
    """

    config: str
    base_url: str
    issuer: str
    jwks_url: str
    resource: str
    other_resource: str
    user: dict[str, Any]
    jwks: dict[str, Any]
    metadata: dict[str, Any]
    access_token: str
    id_token: str
    refresh_token: str
    refreshed_access_token: str
    single_audience_access_token: str
    other_resource_access_token: str
    dpop_access_token: str
    dpop_token_type: str
    dpop_jkt: str
    machine_access_token: str
    dpop_machine_access_token: str
    opaque_access_token: str
    first_party_token: str
    nonce: str
    web_client_id: str
    native_client_id: str
    machine_client_id: str
    # The resource server's confidential client, for introspection (test-only credentials of a throwaway server).
    introspection_client_id: str
    introspection_client_secret: str
    origin_audience_access_token: str | None = None
    protected_resource_metadata: dict[str, Any] | None = None
    token_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    introspection: dict[str, dict[str, Any]] = field(default_factory=dict)

    def jwts(self) -> dict[str, str]:
        """Every JWT by name (access tokens, id_token, first-party token)."""
        names = (
            "access_token",
            "id_token",
            "refreshed_access_token",
            "single_audience_access_token",
            "other_resource_access_token",
            "dpop_access_token",
            "machine_access_token",
            "dpop_machine_access_token",
            "first_party_token",
            "origin_audience_access_token",
        )
        return {name: value for name in names if isinstance(value := getattr(self, name), str)}


def _shape(response: Mapping[str, Any]) -> dict[str, Any]:
    """A token response without its secrets: which fields, and the non-secret values."""
    public = ("token_type", "expires_in", "expires_at", "scope")
    return {name: (value if name in public else "<redacted>") for name, value in response.items()}


def issue_tokens(server: OAuthProviderServer) -> OAuthTokens:
    """Sign a user up and drive every flow once against ``server``; see ``OAuthTokens``."""
    provider = Provider(server)
    try:
        return _issue_tokens(provider)
    finally:
        provider.close()


def _issue_tokens(provider: Provider) -> OAuthTokens:
    server = provider.server
    user = provider.sign_up()
    # Confidential client that the resource server uses for introspection and client_credentials: dynamic
    # registration refuses client_credentials, the server-only admin API does not.
    machine = provider.admin_create_client(
        client_name="todo resource server",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_basic",
        client_credentials_scopes=list(MACHINE_SCOPES),
    )
    # The browser flow starts signed out, as a user arriving from a third-party app would.
    provider.sign_out()
    web = provider.register_client(
        client_name="todo web app",
        redirect_uris=[WEB_REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="client_secret_basic",
    )
    native = provider.register_client(
        client_name="todo desktop app",
        application_type="native",
        redirect_uris=[NATIVE_REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    responses: dict[str, dict[str, Any]] = {}

    # 1. OIDC: sign-in and consent via the signed oauth_query, resource at /token.
    nonce = secrets.token_urlsafe(12)
    code, verifier = provider.authorize(web, " ".join(SCOPES), nonce=nonce)
    first = responses["access_token"] = provider.exchange_code(web, code, verifier, resource=RESOURCE)
    refreshed = responses["refreshed_access_token"] = provider.refresh(web, first["refresh_token"], resource=RESOURCE)
    first_party = provider.first_party_token()

    # 2. A public client, resource at /authorize (kept with the code), no openid: aud is a single string.
    code, verifier = provider.authorize(native, "todos:read todos:write", resource=RESOURCE)
    single = responses["single_audience_access_token"] = provider.exchange_code(native, code, verifier)

    # 3. The same public client, DPoP-bound (a proof at /token).
    dpop = DPoPKey()
    code, verifier = provider.authorize(native, "todos:read", resource=RESOURCE)
    bound = responses["dpop_access_token"] = provider.exchange_code(native, code, verifier, dpop=dpop)

    # 4. The second resource. Refresh cannot switch resources (invalid_target): a new authorization.
    code, verifier = provider.authorize(web, "todos:read", resource=OTHER_RESOURCE)
    other = responses["other_resource_access_token"] = provider.exchange_code(web, code, verifier)

    # 5. No resource anywhere: an opaque access token.
    code, verifier = provider.authorize(web, "todos:read")
    opaque = responses["opaque_access_token"] = provider.exchange_code(web, code, verifier)

    # 6. Machine tokens.
    scope = " ".join(MACHINE_SCOPES)
    machine_token = responses["machine_access_token"] = provider.client_credentials(machine, scope, resource=RESOURCE)
    machine_dpop = DPoPKey()
    machine_bound = responses["dpop_machine_access_token"] = provider.client_credentials(
        machine, "todos:read", resource=RESOURCE, dpop=machine_dpop
    )
    origin_token = None
    if server.config == "issuer-origin":
        # The origin is a resource here: a user's OAuth token with iss = aud = origin and sub = the user id, the
        # same three claims as a first-party JWT. Only typ, client_id/azp/scope/jti and the shape tell them apart.
        code, verifier = provider.authorize(web, "todos:read", resource=server.base_url)
        origin = responses["origin_audience_access_token"] = provider.exchange_code(web, code, verifier)
        origin_token = origin["access_token"]

    introspection = {
        "access_token": provider.introspect(machine, first["access_token"]),
        "machine_access_token": provider.introspect(machine, machine_token["access_token"]),
        "id_token": provider.introspect(machine, first["id_token"]),
        # An opaque token without resources can be introspected only by the client it was issued to.
        "opaque_access_token": provider.introspect(machine, opaque["access_token"]),
        "opaque_access_token_by_issuing_client": provider.introspect(web, opaque["access_token"]),
    }

    return OAuthTokens(
        config=server.config,
        base_url=server.base_url,
        issuer=server.issuer,
        jwks_url=server.jwks_url,
        resource=RESOURCE,
        other_resource=OTHER_RESOURCE,
        user=user,
        jwks=provider.jwks(),
        metadata=provider.metadata(),
        access_token=first["access_token"],
        id_token=first["id_token"],
        refresh_token=refreshed["refresh_token"],
        refreshed_access_token=refreshed["access_token"],
        single_audience_access_token=single["access_token"],
        other_resource_access_token=other["access_token"],
        dpop_access_token=bound["access_token"],
        dpop_token_type=bound["token_type"],
        dpop_jkt=dpop.thumbprint,
        machine_access_token=machine_token["access_token"],
        dpop_machine_access_token=machine_bound["access_token"],
        opaque_access_token=opaque["access_token"],
        first_party_token=first_party,
        nonce=nonce,
        web_client_id=web.client_id,
        native_client_id=native.client_id,
        machine_client_id=machine.client_id,
        introspection_client_id=machine.client_id,
        introspection_client_secret=machine.client_secret or "",
        origin_audience_access_token=origin_token,
        protected_resource_metadata=provider.protected_resource_metadata() if server.config == "mcp" else None,
        token_responses={name: _shape(response) for name, response in responses.items()},
        introspection=introspection,
    )


# --- Fixture recorder ----------------------------------------------------------------


def _decode_segment(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return value


def record(config: str) -> dict[str, Any]:
    """Run the ``config`` server once and return a fixture: every token, the JWKS, and a pinned ``now``.

    ``now`` is the latest ``iat`` among the tokens: with a clock pinned there, every token is valid (none is
    used before it was issued, access tokens live an hour, id_tokens ten hours, first-party JWTs 15 minutes).
    """
    with OAuthProviderServer(config) as server:
        tokens = issue_tokens(server)
    fixture = asdict(tokens)
    # Useless once the server is gone, and a fixture is no place for anything named a secret.
    del fixture["introspection_client_secret"]
    jwts = tokens.jwts()
    headers = {name: _decode_segment(token.split(".")[0]) for name, token in jwts.items()}
    claims = {name: _decode_segment(token.split(".")[1]) for name, token in jwts.items()}
    fixture["header"] = headers
    fixture["claims"] = claims
    fixture["now"] = max(int(value["iat"]) for value in claims.values())
    fixture["package_versions"] = package_versions()
    fixture["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return fixture


def write_fixture(config: str, directory: Path = FIXTURES) -> Path:
    """Record ``config`` into ``<directory>/<config>.json``; returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{config}.json"
    path.write_text(json.dumps(record(config), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
