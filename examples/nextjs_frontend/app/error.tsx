"use client";

/** Shown when a page fails on the server (bad configuration, database not migrated or unreachable, ...). */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card state banner-error" role="alert" data-testid="server-error">
      <h1>Something went wrong</h1>
      <p>
        The page could not be rendered on the server. The server log has the details
        {error.digest ? ` (error id ${error.digest})` : ""}. Common causes: the database is not migrated (run{" "}
        <code>npm run migrate</code>) or not reachable.
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
