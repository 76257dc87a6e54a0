import { NextResponse, type NextRequest } from "next/server";

/**
 * CORS for the OAuth endpoints a browser-based MCP client (MCP Inspector) calls with fetch: discovery, dynamic client
 * registration, the token endpoint and the keys. None of them uses cookies (public clients authenticate with PKCE, not
 * a session), so any origin may read them, without credentials. Sign-in, consent and the app's own API stay
 * same-origin: the browser goes there by navigation.
 */
const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type, Authorization, MCP-Protocol-Version",
  "Access-Control-Max-Age": "600",
};

export function middleware(request: NextRequest) {
  if (request.method === "OPTIONS") return new NextResponse(null, { status: 204, headers: CORS_HEADERS });
  const response = NextResponse.next();
  for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [
    "/.well-known/:path*",
    "/api/auth/.well-known/:path*",
    "/api/auth/oauth2/register",
    "/api/auth/oauth2/token",
    "/api/auth/oauth2/revoke",
    "/api/auth/jwks",
  ],
};
