/**
 * Small Playwright helpers for driving the todo front end (used by e2e/smoke.mjs; reusable by other scripts).
 * All selectors are the app's data-testid attributes.
 */
import crypto from "node:crypto";

/** Flags for Debian's /usr/bin/chromium in a sandboxed, offline CI box. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A fresh, unique user. */
export function newUser(prefix = "user") {
  const id = crypto.randomBytes(5).toString("hex");
  return { name: `${prefix} ${id}`, email: `${prefix}-${id}@example.com`, password: `pw-${id}-long-enough` };
}

/** Sign up through the UI and wait for the todo page. */
export async function signUp(page, baseUrl, user) {
  await page.goto(`${baseUrl}/sign-up`);
  await page.getByTestId("signup-name").fill(user.name);
  await page.getByTestId("signup-email").fill(user.email);
  await page.getByTestId("signup-password").fill(user.password);
  await page.getByTestId("signup-submit").click();
  await page.getByTestId("todo-page").waitFor();
  await waitForList(page);
}

/** Sign in through the UI and wait for the todo page. */
export async function signIn(page, baseUrl, user) {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByTestId("signin-email").fill(user.email);
  await page.getByTestId("signin-password").fill(user.password);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("todo-page").waitFor();
  await waitForList(page);
}

/** Wait until the list finished loading: a list, the empty state, or an API error is shown. */
export async function waitForList(page) {
  await page.waitForSelector(
    '[data-testid="task-list"], [data-testid="empty-state"], [data-testid="api-error"]',
  );
}

/** Add a task through the form and wait for it to appear. */
export async function addTask(page, title, description = "") {
  await page.getByTestId("new-task-title").fill(title);
  await page.getByTestId("new-task-description").fill(description);
  await page.getByTestId("new-task-submit").click();
  await taskItem(page, title).waitFor();
}

/** The list item whose title is exactly `title`. */
export function taskItem(page, title) {
  return page
    .getByTestId("task-item")
    .filter({ has: page.getByTestId("task-title").getByText(title, { exact: true }) });
}

/** The JSON of a JWT's header (part 0) or payload (part 1), without verifying anything. */
export function jwtPart(token, part = 1) {
  return JSON.parse(Buffer.from(token.split(".")[part], "base64url").toString("utf8"));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header) {
  const match = /^Bearer (\S+)$/.exec(header ?? "");
  return match ? match[1] : null;
}

/**
 * Record every request the page sends to the API (preflights aside): method, path, bearer token, status.
 * Requests whose URL carries `e2e-probe` (see `probe`) are marked, so the app's own calls can be told apart.
 */
export function trackApiCalls(page, apiUrl) {
  const calls = [];
  const byRequest = new Map();
  page.on("request", (request) => {
    if (!request.url().startsWith(apiUrl) || request.method() === "OPTIONS") return;
    const url = new URL(request.url());
    const call = {
      method: request.method(),
      path: url.pathname,
      probe: url.searchParams.has("e2e-probe"),
      token: bearerToken(request.headers()["authorization"]),
      status: null,
      at: Date.now(),
    };
    calls.push(call);
    byRequest.set(request, call);
  });
  page.on("response", (response) => {
    const call = byRequest.get(response.request());
    if (call) call.status = response.status();
  });
  page.on("requestfailed", (request) => {
    const call = byRequest.get(request);
    if (call) call.status = "failed";
  });
  return calls;
}

/**
 * `fetch()` from inside the page (so with the page's origin, CORS and cookies, like the app's own code) and return
 * `{status, body}`. `token` adds `Authorization: Bearer`; `json` sends a JSON body. Cross-origin URLs get an
 * `e2e-probe` query parameter (ignored by the API) so `trackApiCalls` can tell these requests from the app's.
 */
export async function probe(page, url, { method = "GET", token = null, json = undefined } = {}) {
  const target = new URL(url, page.url());
  if (target.origin !== new URL(page.url()).origin) target.searchParams.set("e2e-probe", "1");
  return page.evaluate(
    async ({ href, method, token, json }) => {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (json !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(href, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        cache: "no-store",
      });
      const text = await response.text();
      let body = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body };
    },
    { href: target.href, method, token, json },
  );
}
