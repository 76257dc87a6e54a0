"use client";

import { createAuthClient } from "better-auth/react";
import { jwtClient } from "better-auth/client/plugins";

/**
 * Browser-side Better Auth client. No baseURL: it talks to /api/auth on whatever origin served the page
 * (http://localhost:3000 or http://127.0.0.1:3000 both work).
 */
export const authClient = createAuthClient({
  plugins: [jwtClient()],
});
