/**
 * The OAuth scopes this app's Better Auth OAuth provider grants to third-party clients (MCP clients), and how the
 * consent page describes them. Shared by lib/auth.ts (server) and the consent page; no server-only imports here.
 */
export const OAUTH_LOGIN_PAGE = "/oauth/login";
export const OAUTH_CONSENT_PAGE = "/oauth/consent";

export const OAUTH_SCOPES = ["openid", "profile", "email", "offline_access", "todos:read", "todos:write"] as const;

export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: "Know who you are (your user id)",
  profile: "See your name",
  email: "See your email address",
  offline_access: "Stay connected after you close this page (refresh tokens)",
  "todos:read": "Read your todos",
  "todos:write": "Create, complete and delete your todos",
};

export function describeScope(scope: string): string {
  return SCOPE_DESCRIPTIONS[scope] ?? scope;
}
