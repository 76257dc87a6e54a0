import { headers } from "next/headers";

import { explainDatabaseError, getAuth } from "./auth";

/** The Better Auth session of the current request (server components only), or null. */
export async function getServerSession() {
  try {
    return await getAuth().api.getSession({ headers: await headers() });
  } catch (error) {
    const hint = explainDatabaseError(error);
    if (hint) {
      console.error("[auth]", hint.message);
      throw hint;
    }
    throw error;
  }
}
