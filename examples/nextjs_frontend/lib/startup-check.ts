import * as config from "./config";

/** Validate every setting once at server start; print a readable message and exit on a bad configuration. */
export function checkConfigOrExit(): void {
  try {
    config.authSecret();
    const mode = config.authMode();
    const origin = config.authOrigin();
    const api = config.apiBaseURL();
    const lifetime = config.jwtExpirationTime();
    config.rateLimitEnabled();
    const db = config.databaseConfig();
    console.log(
      `[config] auth mode ${mode}, issuer/audience ${origin}, API ${api}, database ${db.display}` +
        (lifetime ? `, JWT lifetime ${lifetime}` : ""),
    );
  } catch (error) {
    if (error instanceof config.ConfigError) {
      console.error(`\n[config] ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Warn (do not exit) when Better Auth's tables are missing or outdated: `npm run migrate` was forgotten. */
export async function warnIfNotMigrated(): Promise<void> {
  const [{ buildAuthOptions }, { getMigrations }] = await Promise.all([
    import("./auth"),
    import("better-auth/db/migration"),
  ]);
  let options: ReturnType<typeof buildAuthOptions> | undefined;
  try {
    options = buildAuthOptions({ requireSecret: false });
    // Errors only: on SQLite Better Auth reports every string[] column (the OAuth provider's tables have several)
    // as "a different type in the database" on each start, though TEXT is how it stores them there.
    const { toBeCreated, toBeAdded } = await getMigrations({ ...options, logger: { level: "error" } });
    const missing = [...toBeCreated, ...toBeAdded].map((t) => t.table);
    if (missing.length > 0) {
      console.warn(
        `[config] Better Auth's database is not migrated (tables to create or update: ${[...new Set(missing)].join(", ")}). ` +
          "Run `npm run migrate` with the same DATABASE_URL.",
      );
    }
  } catch (error) {
    console.warn(`[config] could not check the database schema: ${error instanceof Error ? error.message : error}`);
  } finally {
    const db = options?.database;
    if (db) {
      if ("end" in db) await db.end().catch(() => undefined);
      else db.close();
    }
  }
}
