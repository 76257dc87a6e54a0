#!/usr/bin/env node
/**
 * Browser smoke test of the front end, driven by playwright-core with a system Chromium (no browser download).
 *
 *   npm run e2e:smoke                      # app on http://localhost:3000, todo API running
 *
 * Environment:
 *   BASE_URL          the Next.js app (default http://localhost:3000)
 *   CHROMIUM_PATH     browser binary (default /usr/bin/chromium)
 *   SCREENSHOT_DIR    where PNGs go (default e2e/screenshots, git-ignored)
 *   WATCH_REFRESH_S   if set, stay on the todo page this many seconds and report token refreshes
 *                     (start the app with a short JWT_EXPIRATION_TIME, e.g. 20s)
 *   HEADFUL=1         show the browser window
 *
 * Exit code 0 when every step passed. Prints one line per step and a closing "N passed, N failed" line.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { CHROMIUM_ARGS, newUser, signUp, signIn, addTask, taskItem } from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE_URL = (process.env.BASE_URL ?? "http://localhost:3000").replace(/\/$/, "");
const SHOTS = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(here, "screenshots"));
const WATCH_REFRESH_S = Number(process.env.WATCH_REFRESH_S ?? 0);

fs.mkdirSync(SHOTS, { recursive: true });

let passed = 0;
let failed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${String(error?.message ?? error).split("\n").join("\n     ")}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: process.env.HEADFUL !== "1",
  args: CHROMIUM_ARGS,
});

try {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const tokenRequests = [];
  const apiAuthHeaders = [];
  page.on("request", (request) => {
    const url = request.url();
    if (url.includes("/api/auth/token")) tokenRequests.push(Date.now());
    if (url.includes("/api/tasks") && request.method() !== "OPTIONS") {
      apiAuthHeaders.push(request.headers()["authorization"] ?? "");
    }
  });
  page.on("pageerror", (error) => console.log(`     (page error: ${error.message})`));

  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const user = newUser();

  await step("root redirects to sign-in when signed out", async () => {
    await page.goto(`${BASE_URL}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByTestId("signin-form").waitFor();
    await shot("01-sign-in");
  });

  await step("sign-up validates on the client", async () => {
    await page.getByTestId("goto-signup").click();
    await page.getByTestId("signup-form").waitFor();
    await page.getByTestId("signup-email").fill("not-an-email");
    await page.getByTestId("signup-password").fill("short");
    await page.getByTestId("signup-submit").click();
    await page.getByTestId("signup-name-error").waitFor();
    await page.getByTestId("signup-email-error").waitFor();
    await page.getByTestId("signup-password-error").waitFor();
    await shot("02-sign-up-validation");
  });

  await step("sign-up succeeds and shows the empty todo list", async () => {
    await signUp(page, BASE_URL, user);
    await page.getByTestId("empty-state").waitFor();
    expect((await page.getByTestId("user-email").textContent()).includes(user.email), "user email not shown");
    await shot("03-empty-state");
  });

  await step("add tasks (with and without description), client-side title check", async () => {
    await page.getByTestId("new-task-submit").click();
    await page.getByTestId("new-task-title-error").waitFor();
    await addTask(page, "Buy milk", "2 litres, semi-skimmed");
    await addTask(page, "Write report");
    await addTask(page, "Call Alice");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 3);
    const count = await page.getByTestId("task-count").textContent();
    expect(count.startsWith("3"), `task count says ${count}`);
    await shot("04-three-tasks");
  });

  await step("every API call carried a Bearer JWT", async () => {
    expect(apiAuthHeaders.length > 0, "no API calls seen");
    for (const header of apiAuthHeaders) {
      expect(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(header), `bad Authorization header: ${header.slice(0, 20)}…`);
    }
  });

  await step("toggle complete and filter active/completed", async () => {
    await taskItem(page, "Buy milk").getByTestId("task-toggle").click();
    await page.waitForSelector('[data-testid="task-item"][data-completed="true"]');
    await page.getByTestId("filter-active").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 2);
    await page.getByTestId("filter-completed").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 1);
    expect((await page.getByTestId("task-title").textContent()) === "Buy milk", "wrong completed task");
    await shot("05-filter-completed");
    await page.getByTestId("filter-all").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 3);
  });

  await step("edit a task inline", async () => {
    const item = taskItem(page, "Write report");
    await item.getByTestId("task-edit").click();
    await page.getByTestId("task-edit-title").fill("Write quarterly report");
    await page.getByTestId("task-edit-description").fill("Due Friday");
    await shot("06-editing");
    await page.getByTestId("task-save").click();
    await taskItem(page, "Write quarterly report").getByTestId("task-description").waitFor();
  });

  await step("delete a task", async () => {
    await taskItem(page, "Call Alice").getByTestId("task-delete").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 2);
    await shot("07-after-delete");
  });

  await step("the token lives in memory only", async () => {
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(!/eyJ[\w-]+\.[\w-]+\./.test(stored), "a JWT was found in web storage");
    const cookies = await context.cookies();
    expect(!cookies.some((c) => /^eyJ/.test(c.value) && !c.httpOnly), "a JWT was found in a script-readable cookie");
  });

  await step("reload keeps the session and the tasks", async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length === 2);
  });

  if (WATCH_REFRESH_S > 0) {
    await step(`token is refreshed before expiry (watching ${WATCH_REFRESH_S}s)`, async () => {
      const before = tokenRequests.length;
      await page.waitForTimeout(WATCH_REFRESH_S * 1000);
      const refreshes = tokenRequests.length - before;
      console.log(`     ${refreshes} token refresh(es) in ${WATCH_REFRESH_S}s`);
      expect(refreshes >= 1, "no token refresh seen");
      await addTask(page, "Added after refresh");
      await taskItem(page, "Added after refresh").waitFor();
    });
  }

  await step("sign out, then the todo page is closed", async () => {
    await page.getByTestId("signout-button").click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${BASE_URL}/todos`);
    await page.waitForURL(/\/sign-in$/);
  });

  await step("wrong password shows the server's message", async () => {
    await page.getByTestId("signin-email").fill(user.email);
    await page.getByTestId("signin-password").fill("wrong-password-123");
    await page.getByTestId("signin-submit").click();
    await page.getByTestId("signin-error").waitFor();
    await shot("08-sign-in-error");
  });

  await step("sign in again sees the same tasks", async () => {
    await signIn(page, BASE_URL, user);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-item"]').length >= 2);
    await shot("09-signed-in-again");
  });

  await step("another user sees none of them", async () => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signUp(otherPage, BASE_URL, newUser());
    await otherPage.getByTestId("empty-state").waitFor();
    await other.close();
  });

  await context.close();
} finally {
  await browser.close();
}

console.log(`screenshots: ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
