// A real Better Auth server on PostgreSQL, optionally with Redis secondaryStorage, for betterauth-jwt's session-store
// interop tests (tests/interop/sessions). Same protocol as tests/interop/betterauth/server.mjs.
//
// Environment:
//   BA_DATABASE_URL        PostgreSQL URL (the `pg` driver); Better Auth's migrations are run on it at start
//   BA_REDIS_URL           optional: Redis URL for secondaryStorage (sessions then live only in Redis)
//   BA_SESSION_EXPIRES_IN  optional: session.expiresIn in seconds (default Better Auth's 7 days)
//   BA_COOKIE_CACHE        optional: session.cookieCache strategy ("compact", "jwt" or "jwe"; maxAge 300)
//   PORT                   port on 127.0.0.1 (0 = let the OS pick; the chosen port is printed)
//   BETTER_AUTH_SECRET     the secret (test-only value from the Python side)
//
// Prints exactly one line "READY <port>" on stdout once listening and migrated; logs go to stderr.
import http from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { admin, bearer } from "better-auth/plugins";
import pg from "pg";
import { createClient } from "redis";

const secret = process.env.BETTER_AUTH_SECRET;
const databaseUrl = process.env.BA_DATABASE_URL;
const redisUrl = process.env.BA_REDIS_URL;
const expiresIn = process.env.BA_SESSION_EXPIRES_IN ? Number(process.env.BA_SESSION_EXPIRES_IN) : undefined;
const cookieCache = process.env.BA_COOKIE_CACHE;
if (!secret || !databaseUrl) {
  console.error("BETTER_AUTH_SECRET and BA_DATABASE_URL are required");
  process.exit(2);
}

// Better Auth's secondaryStorage interface over node-redis: get / set with a TTL in seconds / delete.
async function redisStorage(url) {
  const client = createClient({ url });
  client.on("error", (err) => console.error(`redis: ${err.message}`));
  await client.connect();
  return {
    client,
    storage: {
      get: (key) => client.get(key),
      set: (key, value, ttl) => (ttl ? client.set(key, value, { EX: ttl }) : client.set(key, value)),
      delete: (key) => client.del(key),
    },
  };
}

const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
const redis = redisUrl ? await redisStorage(redisUrl) : null;
const server = http.createServer();

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", async () => {
  const port = server.address().port;
  const baseURL = `http://127.0.0.1:${port}`;
  const options = {
    baseURL,
    secret,
    database: pool,
    emailAndPassword: { enabled: true },
    trustedOrigins: [baseURL],
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => console.error(`[better-auth ${level}]`, message, ...args),
    },
    session: {
      ...(expiresIn ? { expiresIn, updateAge: Math.max(1, Math.floor(expiresIn / 2)) } : {}),
      ...(cookieCache ? { cookieCache: { enabled: true, strategy: cookieCache, maxAge: 300 } } : {}),
    },
    ...(redis ? { secondaryStorage: redis.storage } : {}),
    plugins: [bearer(), admin()],
  };
  try {
    const { runMigrations } = await getMigrations(options);
    await runMigrations();
  } catch (err) {
    console.error(`migrations failed: ${err.message}`);
    process.exit(1);
  }
  const auth = betterAuth(options);
  server.on("request", toNodeHandler(auth));
  process.stdout.write(`READY ${port}\n`);
});

server.on("error", (err) => {
  console.error(`server error: ${err.message}`);
  process.exit(1);
});

async function shutdown() {
  server.closeAllConnections?.();
  server.close();
  await Promise.allSettled([pool.end(), redis?.client.quit()]);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
