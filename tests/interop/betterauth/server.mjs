// A real Better Auth server for betterauth-jwt's interop tests and fixture recorder.
//
// Environment:
//   BA_CONFIG             configuration name (see CONFIGS below; default "eddsa")
//   PORT                  port on 127.0.0.1 (0 = let the OS pick; the chosen port is printed)
//   BETTER_AUTH_SECRET    secret (default: a fixed test secret, never use it anywhere real)
//   BA_EXPIRATION_TIME    jwt.expirationTime: a duration such as "1h"; digits only = absolute epoch `exp`
//                         (that is Better Auth's own meaning of a number)
//   BA_ROTATION_INTERVAL  jwks.rotationInterval in seconds for the "rotation" configuration (default 2)
//
// Prints exactly one line "READY <port>" on stdout once listening; Better Auth's own logs go to stderr
// so that stdout stays machine-readable. Storage is Better Auth's in-memory adapter: every start is a
// fresh database (new users, new signing keys).
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { bearer, jwt } from "better-auth/plugins";
import { SignJWT } from "jose";

const DEFAULT_SECRET = "betterauth-jwt-interop-test-secret-do-not-use-0123456789";

const configName = process.env.BA_CONFIG || "eddsa";
const requestedPort = Number(process.env.PORT ?? 0);
const secret = process.env.BETTER_AUTH_SECRET || DEFAULT_SECRET;

function expirationTime() {
  const raw = process.env.BA_EXPIRATION_TIME;
  if (!raw) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

// `jwt.*` options shared by every configuration (only expirationTime is tunable from outside).
function jwtClaims(extra = {}) {
  const exp = expirationTime();
  return exp === undefined ? extra : { ...extra, expirationTime: exp };
}

// Each entry returns the parts of the Better Auth options that differ between configurations.
const CONFIGS = {
  eddsa: () => ({ plugins: [jwt({ jwt: jwtClaims() })] }),
  es256: () => ({ plugins: [jwt({ jwks: { keyPairConfig: { alg: "ES256" } }, jwt: jwtClaims() })] }),
  es512: () => ({ plugins: [jwt({ jwks: { keyPairConfig: { alg: "ES512" } }, jwt: jwtClaims() })] }),
  rs256: () => ({ plugins: [jwt({ jwks: { keyPairConfig: { alg: "RS256" } }, jwt: jwtClaims() })] }),
  ps256: () => ({ plugins: [jwt({ jwks: { keyPairConfig: { alg: "PS256" } }, jwt: jwtClaims() })] }),

  "custom-claims": () => ({
    // `role` is a user additionalField so definePayload shows that it receives the full user row.
    user: { additionalFields: { role: { type: "string", defaultValue: "admin", input: false } } },
    plugins: [
      jwt({
        jwt: jwtClaims({
          issuer: "https://issuer.example.test",
          audience: ["https://api.example.test", "https://other.example.test"],
          // Receives {user, session}; the result replaces the default user spread (iat/sub still added).
          definePayload: ({ user }) => ({ id: user.id, email: user.email, name: user.name, role: user.role }),
        }),
      }),
    ],
  }),

  rotation: () => ({
    plugins: [
      jwt({
        jwks: { rotationInterval: Number(process.env.BA_ROTATION_INTERVAL || 2) },
        jwt: jwtClaims(),
      }),
    ],
  }),

  // Better Auth cannot sign HS256 itself; a custom signer is the only way (BETTER_AUTH.md section 1).
  // jwt.sign requires jwks.remoteUrl, which also turns the local /jwks endpoint into a 404.
  hs256: () => ({
    plugins: [
      jwt({
        jwks: { remoteUrl: "https://keys.example.test/jwks.json", keyPairConfig: { alg: "HS256" } },
        jwt: jwtClaims({
          sign: (payload, header) =>
            new SignJWT(payload)
              .setProtectedHeader({ ...header, alg: "HS256", typ: "JWT" })
              .sign(new TextEncoder().encode(secret)),
        }),
      }),
    ],
  }),

  // Native shared-secret JWT: the session_data cookie (HS256 with the raw secret).
  "cookie-jwt": () => ({
    session: { cookieCache: { enabled: true, strategy: "jwt", maxAge: 300 } },
    plugins: [jwt({ jwt: jwtClaims() })],
  }),

  // session_data cookie signed with the JWKS key (typ better-auth.session-cache+jwt).
  "cookie-jwks": () => ({
    session: { cookieCache: { enabled: true, strategy: "jwt", maxAge: 300 } },
    plugins: [jwt({ sessionCookieCache: true, jwt: jwtClaims() })],
  }),
};

const makeConfig = CONFIGS[configName];
if (!makeConfig) {
  console.error(`unknown BA_CONFIG "${configName}"; known: ${Object.keys(CONFIGS).join(", ")}`);
  process.exit(2);
}

const server = http.createServer();

// Listen first so that baseURL can carry the real port even when PORT=0.
server.listen(requestedPort, "127.0.0.1", () => {
  const port = server.address().port;
  const baseURL = `http://127.0.0.1:${port}`;
  const { plugins = [], ...rest } = makeConfig();

  const auth = betterAuth({
    baseURL,
    secret,
    // The memory adapter throws on a model it has no array for; jwks is the jwt plugin's table.
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true },
    trustedOrigins: [baseURL],
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => console.error(`[better-auth ${level}]`, message, ...args),
    },
    ...rest,
    // bearer() everywhere: sign-in also returns the session token in `set-auth-token`, which tests
    // use as the "looks like a token but is not a JWT" shape.
    plugins: [bearer(), ...plugins],
  });

  server.on("request", toNodeHandler(auth));
  process.stdout.write(`READY ${port}\n`);
});

server.on("error", (err) => {
  console.error(`server error: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  // Keep-alive connections would hold close() open; do not wait for them.
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
