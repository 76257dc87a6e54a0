import { toNextJsHandler } from "better-auth/next-js";

import { explainDatabaseError, getAuth } from "@/lib/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// getAuth() is called per request, not at import time, so `next build` needs neither a secret nor a database.
export const { GET, POST, PATCH, PUT, DELETE } = toNextJsHandler(async (request: Request) => {
  try {
    return await getAuth().handler(request);
  } catch (error) {
    const hint = explainDatabaseError(error);
    console.error("[auth]", hint?.message ?? error);
    return Response.json(
      { message: hint?.message ?? (error instanceof Error ? error.message : "Better Auth failed") },
      { status: 500 },
    );
  }
});
