import { expect, type Locator, type Page } from "@playwright/test";

/** Collects console errors and warnings, and uncaught exceptions, for a page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

/** Waits until the wasm has hydrated the page's islands (the last island, `HydrationMark`, sets the mark). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1);
}

/**
 * Follows a link: links load a whole page (only islands run in the browser), so this
 * waits for the new address to load, then for its islands, not the old page's mark.
 */
export async function follow(page: Page, link: Locator, to: RegExp): Promise<void> {
  const problems = watchConsole(page);
  await link.click();
  await page.waitForURL(to);
  try {
    await hydrated(page);
  } catch (e) {
    throw new Error(`${e}\nconsole: ${problems.join("\n")}`);
  }
}

/** Waits until the service worker is installed, active and controls this page. */
export async function controlledByServiceWorker(page: Page): Promise<void> {
  await expect(page.locator("html[data-sw=ready]")).toHaveCount(1);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** The password of every demo account (services/src/demo.rs, README). */
export const DEMO_PASSWORD = "minqing-demo-2026";

/** Logs in through the login form, as a person would, and waits for the landing page. */
export async function loginAs(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}
