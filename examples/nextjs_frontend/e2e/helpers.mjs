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
