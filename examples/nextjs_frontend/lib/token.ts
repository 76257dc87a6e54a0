"use client";

/**
 * The API access token (a Better Auth JWT), kept in memory only — never in localStorage, sessionStorage or a
 * cookie readable by scripts. A page reload simply asks Better Auth for a new one (the session cookie is HttpOnly).
 *
 * - `getToken()` returns the cached token, or fetches one from GET /api/auth/token (`authClient.token()`).
 *   Concurrent callers share one request.
 * - The token is refreshed before it expires: 60 s before `exp`, or at 80 % of its lifetime for short tokens.
 *   A timer does this proactively; `getToken()` also refreshes lazily if the timer was late (sleeping laptop).
 * - `getToken({ forceRefresh: true })` is what the API client uses after a 401.
 * - `clearToken()` (sign-out) forgets the token, cancels the timer, and discards any response still in flight.
 */
import { authClient } from "./auth-client";

export class SessionExpiredError extends Error {
  constructor(message = "Your session has ended. Please sign in again.") {
    super(message);
    this.name = "SessionExpiredError";
  }
}

export class TokenUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenUnavailableError";
  }
}

interface CachedToken {
  token: string;
  exp: number; // seconds since epoch
  refreshAt: number; // milliseconds since epoch
}

export interface TokenEvent {
  type: "refreshed" | "cleared" | "session-expired";
  exp?: number;
}

const MAX_MARGIN_SECONDS = 60;
const SHORT_TOKEN_FRACTION = 0.8;
const RETRY_AFTER_FAILURE_MS = 5_000;

let current: CachedToken | null = null;
let inflight: Promise<string> | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let generation = 0;
let refreshCount = 0;
const listeners = new Set<(event: TokenEvent) => void>();

function emit(event: TokenEvent) {
  for (const listener of listeners) listener(event);
}

/** Subscribe to token events (the todo page listens for "session-expired"). Returns an unsubscribe function. */
export function onTokenEvent(listener: (event: TokenEvent) => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function decodePayload(token: string): { exp?: unknown; iat?: unknown } {
  const part = token.split(".")[1];
  if (!part) throw new TokenUnavailableError("Better Auth returned something that is not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  return JSON.parse(json) as { exp?: unknown; iat?: unknown };
}

/** When to refresh: 60 s before expiry, or at 80 % of the lifetime when that comes first (short tokens). */
function computeRefreshAt(exp: number, iat: number | undefined): number {
  const nowSeconds = Date.now() / 1000;
  const issuedAt = typeof iat === "number" && iat <= nowSeconds + 5 ? iat : nowSeconds;
  const lifetime = Math.max(0, exp - issuedAt);
  const margin = Math.min(MAX_MARGIN_SECONDS, lifetime * (1 - SHORT_TOKEN_FRACTION));
  return (exp - margin) * 1000;
}

function cacheToken(token: string): CachedToken {
  const payload = decodePayload(token);
  if (typeof payload.exp !== "number") throw new TokenUnavailableError("Better Auth returned a JWT without exp");
  const iat = typeof payload.iat === "number" ? payload.iat : undefined;
  return { token, exp: payload.exp, refreshAt: computeRefreshAt(payload.exp, iat) };
}

function schedule(refreshAtMs: number) {
  if (timer) clearTimeout(timer);
  const delay = Math.max(0, refreshAtMs - Date.now());
  timer = setTimeout(() => {
    timer = null;
    getToken({ forceRefresh: true }).catch((error) => {
      if (error instanceof SessionExpiredError || !current) return;
      // Transient failure (e.g. the Next.js server restarting): try again soon while the old token may still work.
      schedule(Date.now() + RETRY_AFTER_FAILURE_MS);
    });
  }, delay);
}

async function fetchToken(): Promise<string> {
  let result: Awaited<ReturnType<typeof authClient.token>>;
  try {
    result = await authClient.token();
  } catch {
    throw new TokenUnavailableError("Cannot reach the sign-in server to get an API token.");
  }
  const { data, error } = result;
  if (error) {
    if (error.status === 401 || error.status === 403) throw new SessionExpiredError();
    throw new TokenUnavailableError(
      `Could not get an API token from Better Auth (${error.status}${error.message ? `: ${error.message}` : ""}).`,
    );
  }
  if (!data?.token) throw new TokenUnavailableError("Better Auth returned no token.");
  return data.token;
}

export function getToken({ forceRefresh = false }: { forceRefresh?: boolean } = {}): Promise<string> {
  if (!forceRefresh && current && Date.now() < current.refreshAt) return Promise.resolve(current.token);
  if (inflight) return inflight;
  const startedIn = generation;
  const request = fetchToken()
    .then((token) => {
      if (startedIn !== generation) throw new SessionExpiredError("Signed out.");
      current = cacheToken(token);
      refreshCount += 1;
      schedule(current.refreshAt);
      emit({ type: "refreshed", exp: current.exp });
      return token;
    })
    .catch((error: unknown) => {
      if (error instanceof SessionExpiredError && startedIn === generation) {
        forget();
        emit({ type: "session-expired" });
      }
      throw error;
    })
    .finally(() => {
      if (inflight === request) inflight = null;
    });
  inflight = request;
  return request;
}

function forget() {
  generation += 1;
  current = null;
  inflight = null;
  if (timer) clearTimeout(timer);
  timer = null;
}

/** Sign-out: drop the token from memory and ignore any refresh still in flight. */
export function clearToken() {
  forget();
  emit({ type: "cleared" });
}

/** For the UI and tests: when the current token expires (seconds since epoch), and how many were fetched. */
export function tokenInfo(): { exp: number | null; refreshCount: number } {
  return { exp: current?.exp ?? null, refreshCount };
}
