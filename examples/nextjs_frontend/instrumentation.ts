/**
 * Runs once when the Next.js server starts (`npm run dev`, `npm start`; not `npm run build`).
 * Fail fast, with a readable message, when the configuration cannot work — above all a missing BETTER_AUTH_SECRET.
 */
export async function register() {
  // Written as an if-block (not an early return) so the Node-only import is dropped from the edge bundle.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkConfigOrExit, warnIfNotMigrated } = await import("./lib/startup-check");
    checkConfigOrExit();
    await warnIfNotMigrated();
  }
}
