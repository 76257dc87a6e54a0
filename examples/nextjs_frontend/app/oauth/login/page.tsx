import OAuthLoginForm from "@/components/OAuthLoginForm";
import { getAuth } from "@/lib/auth";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** Better Auth's `loginPage`: /api/auth/oauth2/authorize sends a signed-out user here with a signed query. */
export default async function OAuthLoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const clientId = typeof params.client_id === "string" ? params.client_id : null;
  return <OAuthLoginForm clientName={clientId ? await publicClientName(clientId) : null} />;
}

/** The client's registered name (public information, readable before sign-in), or null. */
async function publicClientName(clientId: string): Promise<string | null> {
  try {
    const client = await getAuth().api.getOAuthClientPublicPrelogin({ body: { client_id: clientId } });
    return client?.client_name ?? null;
  } catch {
    return null;
  }
}
