import { expect, test } from "@playwright/test";
import { controlledByServiceWorker, hydrated } from "./helpers";

test("the manifest makes the app installable", async ({ page, request }) => {
  await page.goto("/");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  const response = await request.get(href ?? "");
  expect(response.ok()).toBe(true);
  const manifest = await response.json();
  expect(manifest).toMatchObject({ name: "民情", start_url: "/", display: "standalone", theme_color: "#a61b1b" });
  const sizes = manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
  expect(sizes).toEqual(expect.arrayContaining(["192x192 any", "512x512 any", "512x512 maskable"]));
  for (const icon of manifest.icons) {
    const png = await request.get(icon.src);
    expect(png.headers()["content-type"]).toBe("image/png");
  }
});

test("the service worker precaches exactly this build's files", async ({ page, request }) => {
  await page.goto("/");
  const sw = await (await request.get("/sw.js")).text();
  const precache: string[] = JSON.parse(sw.match(/const PRECACHE = (\[.*\]);/)?.[1] ?? "[]");
  // The wasm and JS the page itself loads are in the list, hashed names and all.
  const scripts = await page.evaluate(() =>
    [...document.querySelectorAll("link[href*='/pkg/'], script[src*='/pkg/']")].map(
      (e) => new URL((e as HTMLLinkElement).href || (e as HTMLScriptElement).src).pathname,
    ),
  );
  expect(scripts.length).toBeGreaterThan(0);
  for (const file of scripts) expect(precache).toContain(file);
  expect(precache).toEqual(expect.arrayContaining(["/", "/offline", "/field", "/manifest.webmanifest"]));
  for (const url of precache) expect((await request.get(url)).ok(), url).toBe(true);
});

test("after the first visit the app shell opens offline", async ({ page, context }) => {
  await page.goto("/");
  await controlledByServiceWorker(page);
  await hydrated(page);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("民情");
  await expect(page.getByRole("link", { name: "切换到英文界面" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole("status", { name: "网络状态" })).toHaveText("离线");

  // The village desk was precached too: an officer can open it with no signal.
  await page.goto("/field");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("村级工作台");
  await expect(page.getByText("东湖村")).toBeVisible();

  // A page never visited gets the offline page, not the browser's error.
  await page.goto("/guide");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("当前没有网络");
  await context.setOffline(false);
});

test("a new build waiting to take over is offered as an update", async ({ page, context }) => {
  await page.goto("/");
  await controlledByServiceWorker(page);
  const banner = page.getByRole("alert").filter({ hasText: "有新版本可用" });
  await expect(banner).toBeHidden();

  // Pretend the server was redeployed: the worker script it serves is now different.
  await context.route("**/sw.js", async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(/const VERSION = "([0-9a-f]+)"/, 'const VERSION = "$1-next"');
    await route.fulfill({ response, body });
  });
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });
  await expect(banner).toBeVisible();

  // Accepting it activates the new worker and reloads onto it.
  await Promise.all([page.waitForEvent("load"), banner.getByRole("button", { name: "立即更新" }).click()]);
  await controlledByServiceWorker(page);
  const version = await page.evaluate(async () => {
    const cacheNames = await caches.keys();
    return cacheNames.filter((n) => n.startsWith("minqing-"));
  });
  expect(version).toHaveLength(1);
  expect(version[0]).toMatch(/-next$/);
});
