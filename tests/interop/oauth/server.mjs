// A real Better Auth OAuth 2.1 / OIDC provider (@better-auth/oauth-provider) for betterauth-jwt's OAuth interop
// tests and fixture recorder. harness.py beside this file drives it over HTTP, without a browser.
//
// Environment:
//   OAUTH_CONFIG          "default" (iss = <origin>/api/auth), "issuer-origin" (jwt.issuer = origin, so OAuth
//                         tokens carry the same iss as first-party JWTs, and the origin itself is also a resource), or
//                         "mcp" (@better-auth/mcp's mcp({resource}) instead of oauthProvider(): the same provider plus
//                         RFC 9728 metadata at /.well-known/oauth-protected-resource[/<resource path>])
//   PORT                  port on 127.0.0.1 (0 = let the OS pick; the chosen port is printed)
//   BETTER_AUTH_SECRET    secret (default: a fixed test secret, never use it anywhere real)
//   OAUTH_RESOURCES       comma-separated resource identifiers (RFC 8707) the provider issues JWTs for
//                         (default: https://api.example.test/mcp,https://other.example.test/api)
//   OAUTH_SESSION_COOKIE_CACHE  "jwt": also turn on the session cookie cache signed with the JWKS key
//                         (session.cookieCache strategy "jwt" + jwt({ sessionCookieCache: true })), so that sign-up and
//                         get-session set a better-auth.session_data JWT (typ better-auth.session-cache+jwt) that the
//                         confusion-matrix test checks against every verifier. Off by default.
//
// Prints exactly one line "READY <port>" on stdout once listening; logs go to stderr. Storage is Better Auth's
// in-memory adapter: every start is a fresh database (new users, clients and signing keys).
//
// The server listens on 127.0.0.1 and answers loopback connections only. Test-only extras:
//   GET  /sign-in, GET /consent   the provider's loginPage and consentPage: they only say where the harness must
//                                 POST (a real app renders a form here)
//   POST /test/admin-client       JSON body = adminCreateOAuthClient's body; forwards the request's cookies so the
//                                 caller's session owns the client (the API requires one). Unauthenticated dynamic
//                                 registration refuses client_credentials clients; this server-only API creates them.
//                                 Redirect URI rules are the same for both: web clients need https on a non-loopback
//                                 host, http loopback is for application_type "native" only.
import http from "node:http";
import { mcp } from "@better-auth/mcp";
import { oauthProvider } from "@better-auth/oauth-provider";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const DEFAULT_SECRET = "betterauth-jwt-interop-test-secret-do-not-use-0123456789";
const DEFAULT_RESOURCES = "https://api.example.test/mcp,https://other.example.test/api";
const SCOPES = ["openid", "profile", "email", "offline_access", "todos:read", "todos:write"];
const LOGIN_PAGE = "/sign-in";
const CONSENT_PAGE = "/consent";

const configName = process.env.OAUTH_CONFIG || "default";
const requestedPort = Number(process.env.PORT ?? 0);
const secret = process.env.BETTER_AUTH_SECRET || DEFAULT_SECRET;
const configuredResources = (process.env.OAUTH_RESOURCES || DEFAULT_RESOURCES)
  .split(",")
  .map((value) => value.trim())
  .filter(Boolean);

// Each entry gets the origin and returns {jwtOptions, resources, provider} for that configuration.
const CONFIGS = {
  // The plugin's own default: iss = baseURL + basePath = <origin>/api/auth.
  default: () => ({ jwtOptions: {}, resources: configuredResources, provider: oauthProvider }),
  // jwt.issuer = origin: OAuth access tokens then share iss with first-party JWTs (iss = aud = origin), and with
  // the origin registered as a resource an OAuth token can even carry aud = origin. The confusion case.
  "issuer-origin": (origin) => ({
    jwtOptions: { jwt: { issuer: origin } },
    resources: [...configuredResources, origin],
    provider: oauthProvider,
  }),
  // The MCP flavour: the first resource is the MCP server's canonical identifier.
  mcp: () => ({
    jwtOptions: {},
    resources: configuredResources,
    provider: (options) => mcp({ ...options, resource: configuredResources[0] }),
  }),
};

const makeConfig = CONFIGS[configName];
if (!makeConfig) {
  console.error(`unknown OAUTH_CONFIG "${configName}"; known: ${Object.keys(CONFIGS).join(", ")}`);
  process.exit(2);
}

function isLoopback(address) {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error("body too large");
    chunks.push(chunk);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
}

function testRoutes(auth) {
  return async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (req.method === "GET" && (url.pathname === LOGIN_PAGE || url.pathname === CONSENT_PAGE)) {
      const next = url.pathname === LOGIN_PAGE ? "/api/auth/sign-in/email" : "/api/auth/oauth2/consent";
      sendJson(res, 200, { page: url.pathname, post: next, oauth_query: url.search.slice(1) });
      return true;
    }
    if (req.method === "POST" && url.pathname === "/test/admin-client") {
      try {
        const body = await readJson(req);
        const headers = new Headers();
        if (req.headers.cookie) headers.set("cookie", req.headers.cookie);
        headers.set("origin", auth.options.baseURL);
        const client = await auth.api.adminCreateOAuthClient({ body, headers });
        sendJson(res, 201, client);
      } catch (error) {
        const status = typeof error?.statusCode === "number" ? error.statusCode : 500;
        sendJson(res, status, { error: error?.body?.error ?? "server_error", message: String(error?.message) });
      }
      return true;
    }
    return false;
  };
}

const server = http.createServer();

// Listen first so that baseURL can carry the real port even when PORT=0.
server.listen(requestedPort, "127.0.0.1", () => {
  const port = server.address().port;
  const baseURL = `http://127.0.0.1:${port}`;
  const { jwtOptions, resources, provider } = makeConfig(baseURL);
  const sessionCookieCache = process.env.OAUTH_SESSION_COOKIE_CACHE === "jwt";

  const auth = betterAuth({
    baseURL,
    secret,
    // The memory adapter throws on a model it has no array for: core tables, jwt's jwks, and the provider's.
    database: memoryAdapter({
      user: [],
      session: [],
      account: [],
      verification: [],
      jwks: [],
      oauthClient: [],
      oauthResource: [],
      oauthClientResource: [],
      oauthRefreshToken: [],
      oauthAccessToken: [],
      oauthConsent: [],
      oauthClientAssertion: [],
    }),
    emailAndPassword: { enabled: true },
    ...(sessionCookieCache ? { session: { cookieCache: { enabled: true, strategy: "jwt", maxAge: 300 } } } : {}),
    trustedOrigins: [baseURL],
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => console.error(`[better-auth ${level}]`, message, ...args),
    },
    plugins: [
      jwt(sessionCookieCache ? { ...jwtOptions, sessionCookieCache: true } : jwtOptions),
      provider({
        loginPage: LOGIN_PAGE,
        consentPage: CONSENT_PAGE,
        scopes: SCOPES,
        resources,
        // Every client (registered or admin-created) may ask for every configured resource.
        clientRegistrationDefaultResources: resources,
        allowDynamicClientRegistration: true,
        allowUnauthenticatedClientRegistration: true,
        // Any signed-in user may create clients and give them client_credentials scopes (test server only).
        clientPrivileges: () => true,
      }),
    ],
  });

  const handleTestRoute = testRoutes(auth);
  const handleAuth = toNodeHandler(auth);
  server.on("request", async (req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendJson(res, 403, { error: "loopback only" });
      return;
    }
    if (await handleTestRoute(req, res)) return;
    await handleAuth(req, res);
  });
  process.stdout.write(`READY ${port}\n`);
});

server.on("error", (err) => {
  console.error(`server error: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  // Keep-alive connections would hold close() open; do not wait for them.
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
