#!/usr/bin/env node
/**
 * One OAuth authorization in headless Chromium, the way a person does it when an MCP client opens the browser:
 * open the client's authorization URL, sign in (or create the account) on /oauth/login, look at /oauth/consent,
 * untick what should not be granted, press Allow (or Deny). The browser is stopped at the client's redirect URI and
 * its URL (code, state, iss) is printed. tests/e2e/test_mcp_todo.py runs it from an MCP client's redirect handler.
 *
 * Environment:
 *   AUTHORIZE_URL     the authorization URL the MCP client built (required)
 *   REDIRECT_URI      the client's redirect URI: navigation there is intercepted, not sent (required)
 *   EMAIL, PASSWORD   the user (required); NAME with CREATE_ACCOUNT=1 creates the account on the login page
 *   UNTICK            space-separated scopes to untick on the consent page (default none)
 *   DENY=1            press Deny instead of Allow
 *   SCREENSHOT_DIR    where login.png and consent.png go (default e2e/screenshots)
 *   SHOT_PREFIX       file name prefix for the screenshots (default "")
 *   CHROMIUM_PATH     default /usr/bin/chromium
 *
 * Output: one JSON line {"ok": true, "redirect": "<redirect URI with code, state, iss>", "consent": {...}} or
 * {"ok": false, "error", "screenshot"} with exit status 1.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { CHROMIUM_ARGS } from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
};
const AUTHORIZE_URL = env("AUTHORIZE_URL");
const REDIRECT_URI = env("REDIRECT_URI");
const EMAIL = env("EMAIL");
const PASSWORD = env("PASSWORD");
const CREATE = process.env.CREATE_ACCOUNT === "1";
const UNTICK = (process.env.UNTICK ?? "").split(" ").filter(Boolean);
const DENY = process.env.DENY === "1";
const SHOTS = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(here, "screenshots"));
const PREFIX = process.env.SHOT_PREFIX ?? "";
fs.mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: CHROMIUM_ARGS,
});
const page = await browser.newPage({ viewport: { width: 900, height: 820 } });
const shot = async (name) => {
  const file = path.join(SHOTS, `${PREFIX}${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
};
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error)));

let redirected = null;
// The MCP client's redirect URI: record where the browser was sent and answer it here (nothing listens there).
await page.route(`${REDIRECT_URI}**`, async (route) => {
  redirected = route.request().url();
  await route.fulfill({ status: 200, contentType: "text/plain", body: "You can close this window." });
});

try {
  await page.goto(AUTHORIZE_URL);
  await page.getByTestId("oauth-login-page").waitFor();
  const clientOnLogin = await page.getByTestId("oauth-login-client").textContent().catch(() => null);
  if (CREATE) {
    await page.getByTestId("oauth-login-toggle").click();
    await page.getByTestId("oauth-login-name").fill(process.env.NAME ?? "MCP user");
  }
  await page.getByTestId("oauth-login-email").fill(EMAIL);
  await page.getByTestId("oauth-login-password").fill(PASSWORD);
  const login = await shot("login");
  await page.getByTestId("oauth-login-submit").click();

  await page.getByTestId("consent-page").waitFor();
  const scopes = await page.locator('[data-testid^="consent-scope-"]').evaluateAll((boxes) =>
    boxes.map((box) => box.getAttribute("data-testid").replace("consent-scope-", "")),
  );
  const consent = {
    client: await page.getByTestId("consent-client").textContent(),
    user: await page.getByTestId("consent-user").textContent(),
    resource: await page.getByTestId("consent-resource").textContent().catch(() => null),
    scopes,
    client_on_login: clientOnLogin,
  };
  for (const scope of UNTICK) await page.getByTestId(`consent-scope-${scope}`).uncheck();
  const consentShot = await shot("consent");
  await page.getByTestId(DENY ? "consent-deny" : "consent-allow").click();
  await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI), { timeout: 20000 });
  if (!redirected) throw new Error("the browser was not sent to the redirect URI");
  console.log(
    JSON.stringify({ ok: true, redirect: redirected, consent, screenshots: [login, consentShot], pageErrors }),
  );
  await browser.close();
} catch (error) {
  const screenshot = await shot("failure").catch(() => null);
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error), screenshot, url: page.url() }));
  await browser.close();
  process.exit(1);
}
