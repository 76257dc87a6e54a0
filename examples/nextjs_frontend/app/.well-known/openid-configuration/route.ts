import { oauthProviderOpenIdConfigMetadata } from "@better-auth/oauth-provider";

import { getAuth } from "@/lib/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// OpenID Connect discovery at the root, for the same reason as ../oauth-authorization-server.
export async function GET(request: Request) {
  return oauthProviderOpenIdConfigMetadata(getAuth())(request);
}
