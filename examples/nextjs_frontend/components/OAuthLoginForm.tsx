"use client";

import { useState, type FormEvent } from "react";

import { clearToken } from "@/lib/token";
import { validateCredentials, type FieldErrors } from "@/lib/validation";

type Field = "name" | "email" | "password";

/**
 * Sign in (or create an account) in the middle of an OAuth authorization. Better Auth sent the browser here with a
 * signed copy of the client's request in the query string; posting it back as `oauth_query` with the credentials
 * makes Better Auth continue that authorization: it answers with the next URL (the consent page, or the client's
 * redirect URI when consent was given before).
 */
export default function OAuthLoginForm({ clientName }: { clientName: string | null }) {
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setServerError(null);
    const found = validateCredentials({ name, email, password }, { requireName: creating });
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      clearToken();
      const oauthQuery = window.location.search.replace(/^\?/, "");
      const body = creating
        ? { name: name.trim(), email: email.trim(), password, oauth_query: oauthQuery }
        : { email: email.trim(), password, oauth_query: oauthQuery };
      const response = await fetch(creating ? "/api/auth/sign-up/email" : "/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const result = (await response.json().catch(() => ({}))) as { url?: string; message?: string };
      if (!response.ok) {
        setServerError(
          response.status === 429
            ? "Too many attempts. Wait a few seconds and try again."
            : (result.message ?? `The sign-in server answered ${response.status}.`),
        );
        return;
      }
      if (!result.url) {
        setServerError("Signed in, but the authorization request was lost. Start again from your MCP client.");
        return;
      }
      window.location.assign(result.url);
    } catch {
      setServerError("Cannot reach the sign-in server. Is the Next.js app still running?");
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: Field) =>
    errors[field] ? (
      <p className="field-error" data-testid={`oauth-login-${field}-error`} role="alert">
        {errors[field]}
      </p>
    ) : null;

  return (
    <section className="card auth-card" data-testid="oauth-login-page">
      <h1>{creating ? "Create an account" : "Sign in"}</h1>
      <p className="muted">
        {clientName ? (
          <>
            <strong data-testid="oauth-login-client">{clientName}</strong> wants to use your todos.
          </>
        ) : (
          "An application wants to use your todos."
        )}{" "}
        {creating ? "Create an account" : "Sign in"} to continue.
      </p>
      <form onSubmit={onSubmit} noValidate data-testid="oauth-login-form">
        {creating && (
          <label>
            Name
            <input
              type="text"
              name="name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={Boolean(errors.name)}
              data-testid="oauth-login-name"
            />
            {fieldError("name")}
          </label>
        )}
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={Boolean(errors.email)}
            data-testid="oauth-login-email"
          />
          {fieldError("email")}
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={creating ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={Boolean(errors.password)}
            data-testid="oauth-login-password"
          />
          {fieldError("password")}
        </label>
        {serverError && (
          <p className="banner banner-error" role="alert" data-testid="oauth-login-error">
            {serverError}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="oauth-login-submit">
          {busy ? "Please wait…" : creating ? "Create account and continue" : "Sign in and continue"}
        </button>
      </form>
      <p className="switch">
        {creating ? "Already have an account?" : "No account yet?"}{" "}
        <button type="button" className="link" onClick={() => setCreating(!creating)} data-testid="oauth-login-toggle">
          {creating ? "Sign in" : "Create one"}
        </button>
      </p>
    </section>
  );
}
