/**
 * Server-side configuration, read from the environment at *run time*.
 *
 * Variables are looked up through `readEnv(name)` (a dynamic `process.env[name]`) on purpose: Next.js inlines
 * `process.env.NEXT_PUBLIC_*` at build time, and we want `npm run build` once, then `npm start` with any
 * `NEXT_PUBLIC_API_URL`. The API URL reaches the browser as a prop from a server component instead.
 *
 * Never import this module from a client component.
 */
import path from "node:path";

export type AuthMode = "jwks" | "secret";

export type DatabaseConfig =
  | { kind: "sqlite"; file: string; display: string }
  | { kind: "postgres"; url: string; display: string };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const DEFAULT_AUTH_URL = "http://localhost:3000";
const DEFAULT_API_URL = "http://localhost:8000";
const DEFAULT_SQLITE_FILE = "data/auth.sqlite";

/** Better Auth's documented example secrets: public, so never acceptable. */
const PUBLIC_SECRETS = new Set([
  "better-auth-secret-12345678901234567890",
  "better-auth-secret-123456789",
]);

export function readEnv(name: string): string | undefined {
  const value = process.env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** `BETTER_AUTH_URL` (default http://localhost:3000): where this Next.js app is reached. */
export function authBaseURL(): string {
  const raw = readEnv("BETTER_AUTH_URL") ?? DEFAULT_AUTH_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`BETTER_AUTH_URL is not a valid URL: ${JSON.stringify(raw)} (example: ${DEFAULT_AUTH_URL})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`BETTER_AUTH_URL must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, "");
}

/** The origin of BETTER_AUTH_URL: the `iss` and `aud` of every JWT this app issues. */
export function authOrigin(): string {
  return new URL(authBaseURL()).origin;
}

/**
 * The browser may reach the app as http://localhost:PORT or http://127.0.0.1:PORT; trust both spellings of a
 * loopback BETTER_AUTH_URL so sign-in works from either (Better Auth checks the Origin header).
 */
export function trustedOrigins(): string[] {
  const origin = new URL(authOrigin());
  const origins = new Set([origin.origin]);
  const twins: Record<string, string> = { localhost: "127.0.0.1", "127.0.0.1": "localhost" };
  const twin = twins[origin.hostname];
  if (twin) {
    const other = new URL(origin.href);
    other.hostname = twin;
    origins.add(other.origin);
  }
  return [...origins];
}

/** `NEXT_PUBLIC_API_URL` (default http://localhost:8000): the FastAPI todo API, called from the browser. */
export function apiBaseURL(): string {
  const raw = readEnv("NEXT_PUBLIC_API_URL") ?? DEFAULT_API_URL;
  try {
    new URL(raw);
  } catch {
    throw new ConfigError(`NEXT_PUBLIC_API_URL is not a valid URL: ${JSON.stringify(raw)} (example: ${DEFAULT_API_URL})`);
  }
  return raw.replace(/\/+$/, "");
}

const DEFAULT_MCP_RESOURCE_URL = "http://127.0.0.1:8001/mcp";

/**
 * `MCP_RESOURCE_URL` (default http://127.0.0.1:8001/mcp): the MCP todo server (examples/mcp_todo), exactly as MCP
 * clients address it. It is the RFC 8707 resource the OAuth provider issues JWT access tokens for (their `aud`), so
 * it must be the same string the MCP server is configured with. Several may be given, comma-separated.
 */
export function mcpResourceURLs(): string[] {
  const raw = readEnv("MCP_RESOURCE_URL") ?? DEFAULT_MCP_RESOURCE_URL;
  const urls = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  for (const item of urls) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(`MCP_RESOURCE_URL is not a URL: ${JSON.stringify(item)} (example: ${DEFAULT_MCP_RESOURCE_URL})`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hash || url.search) {
      throw new ConfigError(`MCP_RESOURCE_URL must be an http(s) URL without query or fragment, got ${JSON.stringify(item)}`);
    }
  }
  if (urls.length === 0) throw new ConfigError("MCP_RESOURCE_URL is empty");
  return urls;
}

/** `AUTH_MODE`: `jwks` (default, EdDSA keys published at /api/auth/jwks) or `secret` (HS256 with BETTER_AUTH_SECRET). */
export function authMode(): AuthMode {
  const raw = (readEnv("AUTH_MODE") ?? "jwks").toLowerCase();
  if (raw === "jwks" || raw === "secret") return raw;
  throw new ConfigError(`AUTH_MODE must be "jwks" or "secret", got ${JSON.stringify(raw)}`);
}

/** `JWT_EXPIRATION_TIME` (optional, e.g. "20s", "5m"): lifetime of the JWTs; Better Auth's default is 15 minutes. */
export function jwtExpirationTime(): string | undefined {
  const raw = readEnv("JWT_EXPIRATION_TIME");
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?\s*[a-z]+$/i.test(raw)) {
    throw new ConfigError(
      `JWT_EXPIRATION_TIME must be a duration such as "20s", "5m" or "1h", got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/**
 * `AUTH_RATE_LIMIT`: `on` or `off`. Unset keeps Better Auth's default (on in production, which allows only 3
 * sign-in / sign-up attempts per 10 seconds per IP — too few for automated browser tests).
 */
export function rateLimitEnabled(): boolean | undefined {
  const raw = readEnv("AUTH_RATE_LIMIT")?.toLowerCase();
  if (raw === undefined) return undefined;
  if (["on", "true", "1", "yes"].includes(raw)) return true;
  if (["off", "false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(`AUTH_RATE_LIMIT must be "on" or "off", got ${JSON.stringify(raw)}`);
}

/**
 * `BETTER_AUTH_SECRET`: required. It encrypts Better Auth's private keys and signs cookies; in `secret` mode it
 * is also the HS256 key the todo API verifies with, so it must be at least 32 bytes.
 */
export function authSecret(): string {
  const secret = readEnv("BETTER_AUTH_SECRET");
  if (secret === undefined) {
    throw new ConfigError(
      "BETTER_AUTH_SECRET is not set. Generate one with `openssl rand -base64 32` and put it in " +
        "examples/nextjs_frontend/.env.local (see .env.example), or export it before `npm run dev` / `npm start`.",
    );
  }
  if (PUBLIC_SECRETS.has(secret)) {
    throw new ConfigError("BETTER_AUTH_SECRET is one of Better Auth's published example secrets; generate your own.");
  }
  if (Buffer.byteLength(secret, "utf8") < 32) {
    throw new ConfigError(
      "BETTER_AUTH_SECRET is shorter than 32 bytes; generate a longer one with `openssl rand -base64 32`.",
    );
  }
  return secret;
}

/**
 * `DATABASE_URL` for Better Auth's own tables (users, sessions, accounts, jwks):
 * - unset: SQLite file `data/auth.sqlite` (relative to this example's folder);
 * - `postgres://...` / `postgresql://...`: PostgreSQL through a `pg` Pool;
 * - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `file:path.db` or a bare path: SQLite file.
 */
export function databaseConfig(): DatabaseConfig {
  const raw = readEnv("DATABASE_URL");
  if (raw === undefined) {
    return { kind: "sqlite", file: path.resolve(DEFAULT_SQLITE_FILE), display: `sqlite file ${DEFAULT_SQLITE_FILE}` };
  }
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    return { kind: "postgres", url: raw, display: `postgres ${redactUrl(raw)}` };
  }
  let file: string;
  if (/^sqlite:/i.test(raw)) {
    // SQLAlchemy style: sqlite:///rel.db (relative), sqlite:////abs.db (absolute).
    const rest = raw.slice("sqlite:".length);
    // "///rel.db" -> "rel.db", "////abs.db" -> "/abs.db", "rel.db" -> "rel.db"
    file = rest.startsWith("///") ? rest.slice(3) : rest.replace(/^\/\//, "");
  } else if (/^file:/i.test(raw)) {
    file = raw.replace(/^file:(\/\/)?/i, "");
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError(
      `DATABASE_URL ${JSON.stringify(redactUrl(raw))} is not supported: use postgres://..., sqlite:///path.db or a file path.`,
    );
  } else {
    file = raw;
  }
  file = file.split("?")[0];
  if (file === "") throw new ConfigError(`DATABASE_URL ${JSON.stringify(raw)} names no SQLite file`);
  const resolved = file === ":memory:" ? file : path.resolve(file);
  return { kind: "sqlite", file: resolved, display: `sqlite file ${resolved}` };
}

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<unparseable url>";
  }
}
