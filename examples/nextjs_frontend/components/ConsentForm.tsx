"use client";

import { useState } from "react";

import { describeScope } from "@/lib/oauth-scopes";

/**
 * Accept (all or some of the requested scopes) or deny an OAuth client's request. Better Auth checks the signed
 * `oauth_query` (this page's own query string) and answers with the URL to send the browser to: the client's
 * redirect URI with a code, or with `error=access_denied`.
 */
export default function ConsentForm({
  clientName,
  scopes,
  resource,
  userEmail,
}: {
  clientName: string;
  scopes: string[];
  resource: string | null;
  userEmail: string;
}) {
  const [granted, setGranted] = useState<Set<string>>(new Set(scopes));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function toggle(scope: string) {
    const next = new Set(granted);
    if (next.has(scope)) next.delete(scope);
    else next.add(scope);
    setGranted(next);
  }

  async function answer(accept: boolean) {
    setBusy(true);
    setError(null);
    try {
      const oauthQuery = window.location.search.replace(/^\?/, "");
      const body: Record<string, unknown> = { accept, oauth_query: oauthQuery };
      // Only the scopes left ticked, in the order they were asked for.
      if (accept) body.scope = scopes.filter((scope) => granted.has(scope)).join(" ");
      const response = await fetch("/api/auth/oauth2/consent", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const result = (await response.json().catch(() => ({}))) as {
        url?: string;
        message?: string;
        error_description?: string;
      };
      if (!response.ok || !result.url) {
        setError(result.error_description ?? result.message ?? `The server answered ${response.status}.`);
        return;
      }
      window.location.assign(result.url);
    } catch {
      setError("Cannot reach the server. Is the Next.js app still running?");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card auth-card" data-testid="consent-page">
      <h1>Allow access?</h1>
      <p>
        <strong data-testid="consent-client">{clientName}</strong> wants to act for you (
        <span data-testid="consent-user">{userEmail}</span>)
        {resource ? (
          <>
            {" "}
            on <code data-testid="consent-resource">{resource}</code>
          </>
        ) : null}
        . It asks to:
      </p>
      <ul className="scope-list" data-testid="consent-scopes">
        {scopes.map((scope) => (
          <li key={scope}>
            <label>
              <input
                type="checkbox"
                checked={granted.has(scope)}
                onChange={() => toggle(scope)}
                disabled={busy}
                data-testid={`consent-scope-${scope}`}
              />
              <span>
                {describeScope(scope)} <code className="muted small">{scope}</code>
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className="muted small">Untick what you do not want to allow. You can sign in again later to change it.</p>
      {error && (
        <p className="banner banner-error" role="alert" data-testid="consent-error">
          {error}
        </p>
      )}
      <div className="row consent-actions">
        <button
          type="button"
          className="primary"
          disabled={busy || granted.size === 0}
          onClick={() => answer(true)}
          data-testid="consent-allow"
        >
          Allow
        </button>
        <button type="button" disabled={busy} onClick={() => answer(false)} data-testid="consent-deny">
          Deny
        </button>
      </div>
    </section>
  );
}
