/**
 * The one Better Auth configuration of this example, shared by the Next.js route handler
 * (app/api/auth/[...all]/route.ts), the server components, and `npm run migrate` (scripts/migrate.ts).
 *
 * Nothing here runs at import time: `next build` imports route modules, and must work without a secret or a
 * database. `getAuth()` builds the instance on first use.
 */
import fs from "node:fs";
import path from "node:path";

import { oauthProvider } from "@better-auth/oauth-provider";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { createAuthMiddleware } from "better-auth/api";
import { jwt } from "better-auth/plugins";
import type { JWKOptions } from "better-auth/plugins";
import Database from "better-sqlite3";
import { SignJWT } from "jose";
import { Pool } from "pg";

import {
  authBaseURL,
  authMode,
  authOrigin,
  authSecret,
  databaseConfig,
  jwtExpirationTime,
  mcpResourceURLs,
  rateLimitEnabled,
  trustedOrigins,
  type AuthMode,
  type DatabaseConfig,
} from "./config";
import { OAUTH_CONSENT_PAGE, OAUTH_LOGIN_PAGE, OAUTH_SCOPES } from "./oauth-scopes";

/** The jwt() plugin for the chosen AUTH_MODE. Issuer and audience are the origin of BETTER_AUTH_URL. */
function jwtPlugin(mode: AuthMode, secret: string) {
  const origin = authOrigin();
  const expirationTime = jwtExpirationTime();
  const claims = { issuer: origin, audience: origin, ...(expirationTime ? { expirationTime } : {}) };

  if (mode === "jwks") {
    // Default key pair: EdDSA (Ed25519), published at {BETTER_AUTH_URL}/api/auth/jwks.
    return jwt({ jwt: claims });
  }

  // Shared-secret mode: Better Auth has no native HS256 access tokens, so sign them ourselves with the raw UTF-8
  // bytes of BETTER_AUTH_SECRET. Better Auth still builds the claims (user fields, iat, exp, iss, aud, sub).
  // A custom signer requires `jwks.remoteUrl`; with it set, /api/auth/jwks answers 404 (there is no public key).
  const key = new TextEncoder().encode(secret);
  return jwt({
    jwks: {
      remoteUrl: `${origin}/api/auth/jwks`,
      // Not one of the algorithms Better Auth's types list: only used to describe the custom signer.
      keyPairConfig: { alg: "HS256" } as unknown as JWKOptions,
    },
    jwt: {
      ...claims,
      sign: (payload) => new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key),
    },
  });
}

/**
 * Better Auth as an OAuth 2.1 authorization server for MCP clients (examples/mcp_todo). Clients register
 * themselves (RFC 7591), send the user here to sign in (/oauth/login) and consent (/oauth/consent), and get a JWT
 * access token for the MCP server's URL (its `resource`, RFC 8707): `typ: at+jwt`, `aud` = that URL, `iss` = this
 * app's origin (the jwt plugin's issuer), signed with the same keys as /api/auth/jwks publishes.
 *
 * Only AUTH_MODE=jwks issues tokens an MCP server can verify (secret mode's custom HS256 signer publishes no keys
 * and marks nothing as an access token); the plugin is installed in both modes so that both share one schema.
 */
function oauthProviderPlugin() {
  const resources = mcpResourceURLs();
  return oauthProvider({
    loginPage: OAUTH_LOGIN_PAGE,
    consentPage: OAUTH_CONSENT_PAGE,
    scopes: [...OAUTH_SCOPES],
    resources,
    // A client registered by an MCP client may ask for tokens for the MCP server.
    clientRegistrationDefaultResources: resources,
    // MCP clients register themselves (RFC 7591) without any prior credentials.
    allowDynamicClientRegistration: true,
    allowUnauthenticatedClientRegistration: true,
    // The login page may name the client before the user signs in (it proves the signed authorization query).
    allowPublicClientPrelogin: true,
  });
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isHttpLoopback(uri: unknown): boolean {
  try {
    const url = new URL(String(uri));
    return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/**
 * Dynamic registration: a client that does not say its `application_type` but whose redirect URIs are all http on a
 * loopback host is a native app (RFC 8252 section 7.3: desktop apps and local tools such as MCP Inspector). Better
 * Auth defaults a missing type to "web", and refuses loopback http redirect URIs for web clients.
 */
const loopbackClientsAreNative = createAuthMiddleware(async (ctx) => {
  if (ctx.path !== "/oauth2/register" || !ctx.body || typeof ctx.body !== "object") return;
  const body = ctx.body as { application_type?: unknown; redirect_uris?: unknown };
  const uris = Array.isArray(body.redirect_uris) ? body.redirect_uris : [];
  if (body.application_type === undefined && uris.length > 0 && uris.every(isHttpLoopback)) {
    return { context: { body: { ...body, application_type: "native" } } };
  }
});

function openDatabase(config: DatabaseConfig) {
  if (config.kind === "postgres") {
    return new Pool({ connectionString: config.url, max: 10 });
  }
  if (config.file !== ":memory:") fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const db = new Database(config.file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  return db;
}

export interface BuildOptions {
  /** `npm run migrate` only creates tables: it may run before a secret is chosen. */
  requireSecret?: boolean;
}

/** Build the Better Auth options (opens the database). Throws ConfigError with a readable message on bad env. */
export function buildAuthOptions({ requireSecret = true }: BuildOptions = {}) {
  const mode = authMode();
  // Creating tables signs and encrypts nothing, so the migration does not need the real secret.
  const secret = requireSecret ? authSecret() : "migration-only-placeholder-secret-never-used-to-sign";
  const rateLimit = rateLimitEnabled();

  return {
    appName: "betterauth-jwt todo example",
    baseURL: authBaseURL(),
    secret,
    trustedOrigins: trustedOrigins(),
    database: openDatabase(databaseConfig()),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
    },
    plugins: [jwtPlugin(mode, secret), oauthProviderPlugin()],
    hooks: { before: loopbackClientsAreNative },
    ...(rateLimit === undefined ? {} : { rateLimit: { enabled: rateLimit } }),
    telemetry: { enabled: false },
  } satisfies BetterAuthOptions;
}

function createAuth() {
  return betterAuth(buildAuthOptions());
}

export type Auth = ReturnType<typeof createAuth>;

// Survive Next.js dev-mode module reloads without opening a new database connection each time.
const globalForAuth = globalThis as unknown as { __betterAuthInstance?: Auth };

export function getAuth(): Auth {
  if (!globalForAuth.__betterAuthInstance) {
    globalForAuth.__betterAuthInstance = createAuth();
  }
  return globalForAuth.__betterAuthInstance;
}

/** Turn "no such table" style database errors into a hint to run the migration. */
export function explainDatabaseError(error: unknown): Error | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SCHEMA_MISMATCH" || /schema mismatch|no such table|relation "?[\w.]+"? does not exist/i.test(message)) {
    return new Error(
      `Better Auth's tables are missing or outdated (${message.split("\n")[0]}). Run \`npm run migrate\` in examples/nextjs_frontend ` +
        `with the same DATABASE_URL (now: ${databaseConfig().display}).`,
    );
  }
  return undefined;
}
