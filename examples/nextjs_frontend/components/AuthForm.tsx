"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { authClient } from "@/lib/auth-client";
import { clearToken } from "@/lib/token";
import { PASSWORD_MIN, validateCredentials, type FieldErrors } from "@/lib/validation";

type Mode = "sign-in" | "sign-up";
type Field = "name" | "email" | "password";

const TEXT = {
  "sign-in": {
    title: "Sign in",
    submit: "Sign in",
    busy: "Signing in…",
    prefix: "signin",
    other: { href: "/sign-up", text: "No account yet?", link: "Create one", testid: "goto-signup" },
  },
  "sign-up": {
    title: "Create an account",
    submit: "Sign up",
    busy: "Creating account…",
    prefix: "signup",
    other: { href: "/sign-in", text: "Already have an account?", link: "Sign in", testid: "goto-signin" },
  },
} as const;

function serverMessage(error: { status?: number; message?: string; code?: string } | null | undefined): string {
  if (!error) return "Something went wrong. Please try again.";
  if (error.status === 429) return "Too many attempts. Wait a few seconds and try again.";
  if (error.message) return error.message;
  return `The sign-in server answered ${error.status ?? "with an error"}.`;
}

export default function AuthForm({ mode }: { mode: Mode }) {
  const text = TEXT[mode];
  const router = useRouter();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const id = (suffix: string) => `${text.prefix}-${suffix}`;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setServerError(null);
    const found = validateCredentials({ name, email, password }, { requireName: mode === "sign-up" });
    setErrors(found);
    if (Object.keys(found).length > 0) return;

    setBusy(true);
    try {
      clearToken(); // never carry a previous user's token over
      const result =
        mode === "sign-up"
          ? await authClient.signUp.email({ name: name.trim(), email: email.trim(), password })
          : await authClient.signIn.email({ email: email.trim(), password });
      if (result.error) {
        setServerError(serverMessage(result.error));
        return;
      }
      router.replace("/todos");
      router.refresh();
    } catch {
      setServerError("Cannot reach the sign-in server. Is the Next.js app still running?");
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: Field) =>
    errors[field] ? (
      <p className="field-error" id={id(`${field}-error`)} data-testid={id(`${field}-error`)} role="alert">
        {errors[field]}
      </p>
    ) : null;

  return (
    <section className="card auth-card" data-testid={`${text.prefix}-page`}>
      <h1>{text.title}</h1>
      <p className="muted">Todo example: Better Auth issues the JWT, the FastAPI API verifies it.</p>
      <form onSubmit={onSubmit} noValidate data-testid={id("form")}>
        {mode === "sign-up" && (
          <label>
            Name
            <input
              type="text"
              name="name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={Boolean(errors.name)}
              data-testid={id("name")}
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
            data-testid={id("email")}
          />
          {fieldError("email")}
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={Boolean(errors.password)}
            data-testid={id("password")}
          />
          {mode === "sign-up" && !errors.password && <span className="hint">At least {PASSWORD_MIN} characters.</span>}
          {fieldError("password")}
        </label>
        {serverError && (
          <p className="banner banner-error" role="alert" data-testid={id("error")}>
            {serverError}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid={id("submit")}>
          {busy ? text.busy : text.submit}
        </button>
      </form>
      <p className="switch">
        {text.other.text}{" "}
        <Link href={text.other.href} data-testid={text.other.testid}>
          {text.other.link}
        </Link>
      </p>
    </section>
  );
}
