import { headers } from "next/headers";
import { redirect } from "next/navigation";

import ConsentForm from "@/components/ConsentForm";
import { getAuth } from "@/lib/auth";
import { getServerSession } from "@/lib/session";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * Better Auth's `consentPage`: after sign-in, /api/auth/oauth2/authorize sends the user here with a signed query
 * (client_id, scope, resource, ...). The page shows who asks for what; ConsentForm posts the answer.
 */
export default async function ConsentPage({ searchParams }: { searchParams: SearchParams }) {
  const session = await getServerSession();
  if (!session) redirect("/sign-in");
  const params = await searchParams;
  const clientId = typeof params.client_id === "string" ? params.client_id : "";
  const scopes = (typeof params.scope === "string" ? params.scope : "").split(" ").filter(Boolean);
  const resource = typeof params.resource === "string" ? params.resource : null;
  let clientName = "An unnamed application";
  try {
    const client = await getAuth().api.getOAuthClientPublic({ query: { client_id: clientId }, headers: await headers() });
    if (client?.client_name) clientName = client.client_name;
  } catch {
    return (
      <section className="card auth-card" data-testid="consent-unknown-client">
        <h1>Unknown application</h1>
        <p className="muted">This authorization request names a client that is not registered here.</p>
      </section>
    );
  }
  return <ConsentForm clientName={clientName} scopes={scopes} resource={resource} userEmail={session.user.email} />;
}
