#!/usr/bin/env node
/**
 * End-to-end walk-through of the whole stack in headless Chromium: this Next.js + Better Auth app and the FastAPI
 * todo API, both already running. Two users, their tasks, isolation, token expiry and refresh, sign-out.
 * tests/e2e/test_full_stack.py starts the servers and runs it; by hand:
 *
 *   BASE_URL=http://localhost:3000 API_URL=http://127.0.0.1:8000 node e2e/full_stack.mjs
 *
 * Environment:
 *   BASE_URL, API_URL   the app and the todo API (required)
 *   AUTH_MODE           the app's mode, "jwks" (default) or "secret": the JWT algorithm to expect (EdDSA, HS256)
 *   WATCH_EXPIRY=1      also wait for tokens to expire (start the app with a short JWT_EXPIRATION_TIME, e.g. 15s):
 *                       the page must refresh its token and keep working, and the API must refuse the last token
 *                       after sign-out once it expires
 *   SCREENSHOT_DIR      where each step's PNG goes (default e2e/screenshots)
 *   CHROMIUM_PATH       default /usr/bin/chromium
 *
 * Output: one JSON object per line. A step: {"step", "ok": true, "ms", "screenshot", "detail"}; the first failed
 * step ends the run: {"step", "ok": false, "error", "screenshot"} and exit status 1. Other lines: {"event", ...}.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import {
  CHROMIUM_ARGS,
  addTask,
  bearerToken,
  jwtPart,
  newUser,
  probe,
  signUp,
  taskItem,
  trackApiCalls,
} from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE_URL = required("BASE_URL").replace(/\/$/, "");
const API_URL = required("API_URL").replace(/\/$/, "");
const MODE = process.env.AUTH_MODE ?? "jwks";
const EXPECTED_ALG = { jwks: "EdDSA", secret: "HS256" }[MODE];
const WATCH_EXPIRY = process.env.WATCH_EXPIRY === "1";
const SHOTS = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(here, "screenshots"));
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

function emit(record) {
  console.log(JSON.stringify(record));
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function expectStatus(result, status, what) {
  expect(result.status === status, `${what}: expected HTTP ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleep until the token's `exp` is `marginMs` in the past (real time: the API checks with its own clock). */
async function waitPastExpiry(token, marginMs = 1500) {
  const wait = jwtPart(token).exp * 1000 + marginMs - Date.now();
  if (wait > 0) await sleep(wait);
  return Math.max(0, Math.round(wait));
}

/** The bearer token of the app's most recent API call (probes aside): the one the page holds now. */
function currentToken(calls) {
  const own = calls.filter((call) => !call.probe && call.token);
  expect(own.length > 0, "the page has made no API call yet");
  return own.at(-1).token;
}

/** The ids of the listed tasks, by title. */
async function taskIds(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid="task-item"]')].map((item) => [
        item.querySelector('[data-testid="task-title"]')?.textContent ?? "",
        Number(item.getAttribute("data-task-id")),
      ]),
    ),
  );
}

async function waitForTaskCount(page, count) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="task-item"]').length === n,
    count,
  );
}

// --- steps ---------------------------------------------------------------------------------------------------------

fs.mkdirSync(SHOTS, { recursive: true });
let stepNumber = 0;
let activePage = null; // what a failure screenshot shows

async function step(name, fn) {
  stepNumber += 1;
  const file = path.join(SHOTS, `${String(stepNumber).padStart(2, "0")}-${name}`);
  const started = Date.now();
  try {
    const detail = (await fn()) ?? {};
    await activePage?.screenshot({ path: `${file}.png`, fullPage: true });
    emit({ step: name, ok: true, ms: Date.now() - started, screenshot: `${file}.png`, detail });
  } catch (error) {
    const shot = `${file}-FAILED.png`;
    await activePage?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    emit({ step: name, ok: false, ms: Date.now() - started, screenshot: shot, error: String(error?.stack ?? error) });
    error.reported = true;
    throw error;
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_ARGS,
});
const pageErrors = [];

async function openPage() {
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (error) => {
    pageErrors.push(error.message);
    emit({ event: "page-error", message: error.message });
  });
  const calls = trackApiCalls(page, API_URL);
  // Every JWT Better Auth hands this page (GET /api/auth/token), whether or not the app got to use it.
  const issued = [];
  page.on("response", async (response) => {
    if (!response.url().startsWith(`${BASE_URL}/api/auth/token`) || response.status() !== 200) return;
    const body = await response.json().catch(() => null);
    if (body?.token) issued.push(body.token);
  });
  return { context, page, calls, issued };
}

/**
 * The final answer to the app's `method` call on /api/tasks... while `action` runs, and the token that got it. A 401 is
 * not final: the app refreshes its token and retries (the tracker still records it).
 */
async function apiResponseDuring(page, method, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(`${API_URL}/api/tasks`) && r.request().method() === method &&
      !r.url().includes("e2e-probe") && r.status() !== 401),
    action(),
  ]);
  return { status: response.status(), token: bearerToken(response.request().headers()["authorization"]) };
}

/** Reload the page and return the token of its first API call: the page's token now (a reload fetches a new one). */
async function tokenAfterReload(actor) {
  const listed = await apiResponseDuring(actor.page, "GET", () => actor.page.reload());
  expect(listed.status === 200 && listed.token, `the list after the reload answered ${listed.status}`);
  return listed.token;
}

let exitCode = 0;
try {
  const alice = { user: newUser("alice"), ...(await openPage()) };
  const bob = { user: newUser("bob"), ...(await openPage()) };
  const api = (p) => `${API_URL}${p}`;
  let firstToken;
  let ids;
  let bobTaskId;

  await step("a-signs-up", async () => {
    activePage = alice.page;
    await signUp(alice.page, BASE_URL, alice.user);
    await alice.page.getByTestId("empty-state").waitFor();
    const shown = await alice.page.getByTestId("user-email").textContent();
    expect(shown.includes(alice.user.email), `the page shows ${shown}, not ${alice.user.email}`);
    firstToken = currentToken(alice.calls);
    const header = jwtPart(firstToken, 0);
    const claims = jwtPart(firstToken);
    const origin = new URL(BASE_URL).origin;
    expect(header.alg === EXPECTED_ALG, `AUTH_MODE=${MODE} should sign with ${EXPECTED_ALG}, got ${header.alg}`);
    expect(claims.iss === origin && claims.aud === origin, `iss/aud ${claims.iss}/${claims.aud}, expected ${origin}`);
    const me = await probe(alice.page, api("/api/me"), { token: firstToken });
    expectStatus(me, 200, "GET /api/me");
    expect(me.body.user_id === claims.sub && me.body.email === alice.user.email, `/api/me says ${JSON.stringify(me.body)}`);
    alice.id = claims.sub;
    return { alg: header.alg, kid: header.kid ?? null, lifetime_s: claims.exp - claims.iat, user_id: claims.sub };
  });

  await step("a-creates-tasks", async () => {
    await addTask(alice.page, "Buy milk", "2 litres, semi-skimmed");
    await addTask(alice.page, "Write report");
    await addTask(alice.page, "Call Alice");
    await waitForTaskCount(alice.page, 3);
    ids = await taskIds(alice.page);
    const listed = await probe(alice.page, api("/api/tasks?limit=100"), { token: currentToken(alice.calls) });
    expectStatus(listed, 200, "GET /api/tasks");
    const titles = listed.body.items.map((task) => task.title).sort();
    expect(JSON.stringify(titles) === JSON.stringify(["Buy milk", "Call Alice", "Write report"]), `API lists ${titles}`);
    return { task_ids: ids, total: listed.body.total };
  });

  await step("a-edits-a-task", async () => {
    await taskItem(alice.page, "Write report").getByTestId("task-edit").click();
    await alice.page.getByTestId("task-edit-title").fill("Write quarterly report");
    await alice.page.getByTestId("task-edit-description").fill("Due Friday");
    await alice.page.getByTestId("task-save").click();
    await taskItem(alice.page, "Write quarterly report").getByTestId("task-description").waitFor();
    const stored = await probe(alice.page, api(`/api/tasks/${ids["Write report"]}`), { token: currentToken(alice.calls) });
    expectStatus(stored, 200, "GET the edited task");
    expect(stored.body.title === "Write quarterly report" && stored.body.description === "Due Friday",
      `the API has ${JSON.stringify(stored.body)}`);
    return { task: stored.body };
  });

  await step("a-completes-a-task", async () => {
    await taskItem(alice.page, "Buy milk").getByTestId("task-toggle").click();
    await alice.page.waitForSelector(`[data-task-id="${ids["Buy milk"]}"][data-completed="true"]`);
    const stored = await probe(alice.page, api(`/api/tasks/${ids["Buy milk"]}`), { token: currentToken(alice.calls) });
    expect(stored.status === 200 && stored.body.completed === true, `the API has ${JSON.stringify(stored.body)}`);
    await alice.page.getByTestId("filter-completed").click();
    await waitForTaskCount(alice.page, 1);
    const title = await alice.page.getByTestId("task-title").textContent();
    expect(title === "Buy milk", `the completed filter shows ${title}`);
    return { completed: stored.body.completed };
  });

  await step("a-deletes-a-task", async () => {
    await alice.page.getByTestId("filter-all").click();
    await waitForTaskCount(alice.page, 3);
    await taskItem(alice.page, "Call Alice").getByTestId("task-delete").click();
    await waitForTaskCount(alice.page, 2);
    const gone = await probe(alice.page, api(`/api/tasks/${ids["Call Alice"]}`), { token: currentToken(alice.calls) });
    expectStatus(gone, 404, "GET the deleted task");
    return { deleted_status: gone.status };
  });

  await step("every-api-call-carries-a-bearer-jwt", async () => {
    const own = alice.calls.filter((call) => !call.probe);
    // List, 3 creates, edit, toggle, delete (and the lists that follow).
    expect(own.length >= 7, `only ${own.length} API calls seen`);
    for (const call of own) expect(JWT_SHAPE.test(call.token ?? ""), `${call.method} ${call.path} had no bearer JWT`);
    const stored = await alice.page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(!/eyJ[\w-]+\.[\w-]+\./.test(stored), "a JWT was found in web storage");
    return { api_calls: own.length, methods: [...new Set(own.map((call) => call.method))].sort() };
  });

  if (WATCH_EXPIRY) {
    await step("token-refreshed-after-expiry", async () => {
      activePage = alice.page;
      const waited = await waitPastExpiry(firstToken);
      // The answer the page finally got (after a refresh-and-retry on 401, if it came to that).
      const used = await apiResponseDuring(alice.page, "POST", async () => {
        await addTask(alice.page, "Added after the first token expired");
      });
      expect(used.status === 201, `creating a task after expiry answered ${used.status}`);
      expect(used.token !== firstToken, "the page still sends its first token");
      const nowS = Date.now() / 1000;
      expect(jwtPart(used.token).exp > nowS, "the page sent an expired token");
      // Every 401 the page got must have been followed by a successful retry with another token.
      const own = alice.calls.filter((call) => !call.probe);
      const unanswered401 = own.filter(
        (call, i) =>
          call.status === 401 &&
          !own.slice(i + 1).some((later) => later.method === call.method && later.path === call.path &&
            later.token !== call.token && later.status >= 200 && later.status < 300),
      );
      expect(unanswered401.length === 0, `401 without a successful retry: ${JSON.stringify(unanswered401)}`);
      const old = await probe(alice.page, api("/api/tasks"), { token: firstToken });
      expectStatus(old, 401, "the first (expired) token");
      const tokens = new Set(own.map((call) => call.token));
      return {
        waited_ms: waited,
        distinct_tokens: tokens.size,
        tokens_issued: alice.issued.length,
        responses_401: own.filter((call) => call.status === 401).length,
        expired_token_code: old.body?.code ?? null,
        first_exp: jwtPart(firstToken).exp,
        used_exp: jwtPart(used.token).exp,
      };
    });
  }

  await step("b-sees-none-of-a-tasks", async () => {
    activePage = bob.page;
    await signUp(bob.page, BASE_URL, bob.user);
    await bob.page.getByTestId("empty-state").waitFor();
    expect((await bob.page.getByTestId("task-item").count()) === 0, "Bob sees tasks he did not create");
    const bobToken = currentToken(bob.calls);
    bob.id = jwtPart(bobToken).sub;
    expect(bob.id !== alice.id, "Alice and Bob have the same user id");
    const listed = await probe(bob.page, api("/api/tasks?limit=100"), { token: bobToken });
    expect(listed.status === 200 && listed.body.total === 0, `the API lists for Bob: ${JSON.stringify(listed.body)}`);
    await addTask(bob.page, "Bob's private task");
    bobTaskId = (await taskIds(bob.page))["Bob's private task"];
    expect(Number.isInteger(bobTaskId), "no id for Bob's task");
    return { user_id: bob.id, task_id: bobTaskId, total_before: listed.body.total };
  });

  await step("a-token-cannot-reach-b-task", async () => {
    activePage = alice.page;
    // Alice's page was idle while Bob signed up: take the token it sends now, not an older (maybe expired) one.
    const token = await tokenAfterReload(alice);
    const path = `/api/tasks/${bobTaskId}`;
    const missing = await probe(alice.page, api("/api/tasks/987654321"), { token });
    const attempts = {
      get: await probe(alice.page, api(path), { token }),
      patch: await probe(alice.page, api(path), { method: "PATCH", token, json: { title: "pwned by Alice" } }),
      complete: await probe(alice.page, api(`${path}/complete`), { method: "PATCH", token }),
      delete: await probe(alice.page, api(path), { method: "DELETE", token }),
    };
    for (const [what, result] of Object.entries(attempts)) {
      expectStatus(result, 404, `${what} Bob's task with Alice's token`);
      expect(JSON.stringify(result.body) === JSON.stringify(missing.body), `${what}: the 404 differs from a missing id's`);
    }
    const own = await probe(alice.page, api(`/api/tasks/${ids["Buy milk"]}`), { token });
    expectStatus(own, 200, "Alice's token on her own task (control)");
    // Bob's task is untouched, through his own eyes.
    activePage = bob.page;
    const bobToken = await tokenAfterReload(bob);
    await taskItem(bob.page, "Bob's private task").waitFor();
    const bobs = await probe(bob.page, api(path), { token: bobToken });
    expect(bobs.status === 200 && bobs.body.title === "Bob's private task" && bobs.body.completed === false,
      `Bob's task changed: ${JSON.stringify(bobs.body)}`);
    return { statuses: Object.fromEntries(Object.entries(attempts).map(([k, v]) => [k, v.status])), own_task: own.status };
  });

  await step("a-signs-out", async () => {
    activePage = alice.page;
    await alice.page.getByTestId("signout-button").click();
    await alice.page.waitForURL(/\/sign-in$/);
    // No session, no new token: Better Auth refuses, and a call without a token is refused by the API.
    const tokenEndpoint = await probe(alice.page, `${BASE_URL}/api/auth/token`);
    expect(tokenEndpoint.status === 401 && !tokenEndpoint.body?.token,
      `GET /api/auth/token after sign-out: ${tokenEndpoint.status} ${JSON.stringify(tokenEndpoint.body)}`);
    const anonymous = await probe(alice.page, api("/api/tasks"));
    expectStatus(anonymous, 401, "an API call without a token");
    await alice.page.goto(`${BASE_URL}/todos`);
    await alice.page.waitForURL(/\/sign-in$/);
    return { token_endpoint_status: tokenEndpoint.status, anonymous_status: anonymous.status };
  });

  if (WATCH_EXPIRY) {
    await step("api-refuses-all-a-tokens-once-expired", async () => {
      // A JWT is self-contained: the API cannot know about the sign-out, so a token issued before it works until its
      // `exp` (at most JWT_EXPIRATION_TIME later). After that, with no way to get a new one, the user is out: every
      // token Better Auth ever gave Alice's page is refused.
      const tokens = [...new Set(alice.issued)];
      expect(tokens.length > 0, "no token was seen coming from Better Auth");
      const last = tokens.reduce((a, b) => (jwtPart(a).exp >= jwtPart(b).exp ? a : b));
      const waited = await waitPastExpiry(last);
      const results = [];
      for (const token of tokens) results.push(await probe(alice.page, api("/api/tasks"), { token }));
      for (const result of results) expectStatus(result, 401, "a token of Alice's after sign-out and expiry");
      return {
        waited_ms: waited,
        tokens: tokens.length,
        statuses: [...new Set(results.map((r) => r.status))],
        codes: [...new Set(results.map((r) => r.body?.code ?? null))],
      };
    });
  }

  await step("no-page-errors", async () => {
    expect(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join(" | ")}`);
    return { page_errors: 0 };
  });
} catch (error) {
  exitCode = 1;
  if (!error?.reported) emit({ event: "error", message: String(error?.stack ?? error) });
} finally {
  await browser.close();
}
process.exit(exitCode);
