/**
 * `npm run migrate`: create or update Better Auth's tables (user, session, account, verification, jwks) in the
 * database chosen by DATABASE_URL, using Better Auth's programmatic migration API and the same options as the
 * app (lib/auth.ts). Safe to run repeatedly. Reads .env / .env.local like Next.js does.
 */
import { loadEnvConfig } from "@next/env";

async function main(): Promise<number> {
  loadEnvConfig(process.cwd(), process.env.NODE_ENV !== "production");

  const { buildAuthOptions } = await import("../lib/auth");
  const { databaseConfig, ConfigError } = await import("../lib/config");
  const { getMigrations } = await import("better-auth/db/migration");

  let options;
  try {
    options = buildAuthOptions({ requireSecret: false });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`migrate: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const db = options.database;
  console.log(`migrate: ${databaseConfig().display}`);
  try {
    const { toBeCreated, toBeAdded, toBeAddedIndexes, runMigrations } = await getMigrations(options);
    if (toBeCreated.length === 0 && toBeAdded.length === 0 && toBeAddedIndexes.length === 0) {
      console.log("migrate: schema is up to date");
      return 0;
    }
    for (const t of toBeCreated) console.log(`migrate: create table ${t.table} (${Object.keys(t.fields).join(", ")})`);
    for (const t of toBeAdded) console.log(`migrate: add to ${t.table}: ${Object.keys(t.fields).join(", ")}`);
    for (const i of toBeAddedIndexes) console.log(`migrate: add index ${i.name} on ${i.table}`);
    await runMigrations();
    console.log("migrate: done");
    return 0;
  } finally {
    if ("end" in db) await db.end();
    else db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error("migrate: failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
