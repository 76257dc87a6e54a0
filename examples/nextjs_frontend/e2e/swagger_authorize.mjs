/**
 * The todo API's OpenAPI page in headless Chromium: the Authorize button takes a pasted Better Auth JWT and
 * "Try it out" on GET /api/me then answers as that user (and 401 before authorizing).
 *
 * FastAPI's /docs loads Swagger UI from cdn.jsdelivr.net; this machine is offline, so those requests are answered
 * from the swagger-ui-dist npm package (a devDependency) - the page itself is exactly what users get.
 *
 * Env: API_URL, TOKEN, USER_ID, SCREENSHOT_DIR, CHROMIUM_PATH. Prints one JSON line per step; exit 1 on failure.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const { API_URL, TOKEN, USER_ID } = process.env;
const screenshots = process.env.SCREENSHOT_DIR || "e2e/screenshots/swagger";
fs.mkdirSync(screenshots, { recursive: true });

let page;
let shot = 0;
async function step(name, body) {
  const file = path.join(screenshots, `${String(++shot).padStart(2, "0")}-${name}.png`);
  try {
    const evidence = (await body()) ?? {};
    await page.screenshot({ path: file, fullPage: true });
    console.log(JSON.stringify({ step: name, ok: true, screenshot: file, ...evidence }));
  } catch (error) {
    await page?.screenshot({ path: file.replace(/\.png$/, "-FAILED.png"), fullPage: true }).catch(() => {});
    console.log(JSON.stringify({ step: name, ok: false, error: String(error?.message ?? error), screenshot: file }));
    throw error;
  }
}

/** Expand GET /api/me, press "Try it out" then "Execute", and return the HTTP status Swagger UI shows. */
async function executeMe() {
  const operation = page.locator("#operations-users-get_me_api_me_get, .opblock-get:has-text('/api/me')").first();
  if (!(await operation.locator(".opblock-body").isVisible())) {
    await operation.locator(".opblock-summary").click();
  }
  const tryIt = operation.locator("button.try-out__btn");
  if ((await tryIt.textContent())?.includes("Try it out")) await tryIt.click();
  const answer = page.waitForResponse((r) => r.url().endsWith("/api/me"));
  await operation.locator("button.execute").click();
  const response = await answer;
  await operation.locator(".responses-wrapper .live-responses-table").waitFor();
  return { status: response.status(), body: await response.text(), auth: response.request().headers().authorization };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: CHROMIUM_ARGS });
let failed = false;
try {
  const context = await browser.newContext();
  await context.route("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/**", (route) => {
    const file = path.join(swaggerDir, path.basename(new URL(route.request().url()).pathname));
    route.fulfill({ path: file, contentType: file.endsWith(".css") ? "text/css" : "application/javascript" });
  });
  page = await context.newPage();

  await step("docs-page-shows-authorize", async () => {
    await page.goto(`${API_URL}/docs`);
    await page.locator("button.authorize").waitFor();
    return { title: await page.title() };
  });

  await step("me-without-token-is-401", async () => {
    const result = await executeMe();
    if (result.status !== 401) throw new Error(`expected 401, got ${result.status}`);
    return { status: result.status };
  });

  await step("paste-token-in-authorize", async () => {
    await page.locator("button.authorize").first().click();
    const dialog = page.locator(".dialog-ux .modal-ux");
    await dialog.locator("input[type=text], input[type=password]").first().fill(TOKEN);
    await dialog.locator("button.modal-btn.authorize").click();
    await dialog.locator("button.btn-done, button.close-modal").first().click();
    await dialog.waitFor({ state: "detached" });
  });

  await step("me-with-pasted-token-answers-as-the-user", async () => {
    const result = await executeMe();
    if (result.status !== 200) throw new Error(`expected 200, got ${result.status}: ${result.body}`);
    if (JSON.parse(result.body).user_id !== USER_ID) throw new Error(`wrong user: ${result.body}`);
    if (result.auth !== `Bearer ${TOKEN}`) throw new Error("Swagger UI did not send the pasted token as a Bearer token");
    return { status: result.status };
  });
} catch {
  failed = true;
} finally {
  await browser.close();
}
console.log(failed ? "0 passed, 1 failed" : "1 passed, 0 failed");
process.exit(failed ? 1 : 0);
