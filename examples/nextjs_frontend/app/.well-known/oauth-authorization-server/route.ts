import { oauthProviderAuthServerMetadata } from "@better-auth/oauth-provider";

import { getAuth } from "@/lib/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// RFC 8414 metadata at the root: the issuer is this app's origin (the jwt plugin's `issuer`), so MCP clients look
// for it at {origin}/.well-known/oauth-authorization-server, outside Better Auth's /api/auth.
export async function GET(request: Request) {
  return oauthProviderAuthServerMetadata(getAuth())(request);
}
