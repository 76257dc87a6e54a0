/**
 * Runs once when the Next.js server starts (`npm run dev`, `npm start`; not `npm run build`).
 * Fail fast, with a readable message, when the configuration cannot work — above all a missing BETTER_AUTH_SECRET.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const config = await import("./lib/config");
  try {
    config.authSecret();
    config.authBaseURL();
    config.authMode();
    config.apiBaseURL();
    config.jwtExpirationTime();
    config.rateLimitEnabled();
    const db = config.databaseConfig();
    console.log(
      `[config] auth mode ${config.authMode()}, issuer/audience ${config.authOrigin()}, ` +
        `API ${config.apiBaseURL()}, database ${db.display}` +
        (config.jwtExpirationTime() ? `, JWT lifetime ${config.jwtExpirationTime()}` : ""),
    );
  } catch (error) {
    if (error instanceof config.ConfigError) {
      console.error(`\n[config] ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
