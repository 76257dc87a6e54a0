import OAuthLoginForm from "@/components/OAuthLoginForm";
import { getAuth } from "@/lib/auth";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** Better Auth's `loginPage`: /api/auth/oauth2/authorize sends a signed-out user here with a signed query. */
export default async function OAuthLoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(name, item);
  }
  const clientId = query.get("client_id");
  return <OAuthLoginForm clientName={clientId ? await publicClientName(clientId, query.toString()) : null} />;
}

/** The client's registered name, or null. Better Auth tells it before sign-in to a page holding a valid signed query. */
async function publicClientName(clientId: string, oauthQuery: string): Promise<string | null> {
  try {
    const client = await getAuth().api.getOAuthClientPublicPrelogin({
      body: { client_id: clientId, oauth_query: oauthQuery },
    });
    return client?.client_name ?? null;
  } catch {
    return null;
  }
}
