import { expect, type Page } from "@playwright/test";

/** Collects console errors and warnings, and uncaught exceptions, for a page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

/** Waits until the wasm has hydrated the page (frontend/src/lib.rs sets the mark). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1);
}

/** Waits until the service worker is installed, active and controls this page. */
export async function controlledByServiceWorker(page: Page): Promise<void> {
  await expect(page.locator("html[data-sw=ready]")).toHaveCount(1);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}
