import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { controlledByServiceWorker, hydrated, loginAs, openMenu } from "./helpers";

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
  expect(precache).toEqual(expect.arrayContaining(["/", "/offline", "/login", "/manifest.webmanifest"]));
  for (const url of precache) expect((await request.get(url)).ok(), url).toBe(true);
});

test("after the first visit the app shell opens offline", async ({ page, context }) => {
  await page.goto("/");
  await controlledByServiceWorker(page);
  await hydrated(page);
  // An officer opens the village desk once with signal; the phone keeps it.
  await loginAs(page, "officer");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("村级工作台");
  await page.goto("/");

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("民情");
  await openMenu(page);
  await expect(page.getByRole("link", { name: "切换到英文界面" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole("status", { name: "网络状态" })).toHaveText("离线");

  // The village desk was kept too: the officer can open it with no signal.
  await page.goto("/field");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("村级工作台");
  await expect(page.getByRole("navigation", { name: "常用操作" }).getByRole("link", { name: /上报矛盾纠纷或隐患/ })).toBeVisible();
  // And the township's villages, which the desk links to.
  await page.goto("/field/villages");
  await expect(page.locator(".directory").getByText("东湖村")).toBeVisible();

  // A page never visited gets the offline page, not the browser's error.
  await page.goto("/guide");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("当前没有网络");
  await context.setOffline(false);
});

test("a new build waiting to take over is offered as an update", async ({ page }) => {
  // A real redeploy: a server of our own on another port, first on a copy of this build,
  // then restarted on a copy where one shell file changed (a new build, a new worker).
  const v1 = copySite("site-v1");
  const v2 = copySite("site-v2");
  fs.appendFileSync(path.join(v2, "pwa.js"), "\n// next build\n");
  const port = 3101;
  const origin = `http://127.0.0.1:${port}`;

  let server = await startServer(port, v1);
  try {
    await page.goto(`${origin}/`);
    await controlledByServiceWorker(page);
    const banner = page.locator("#update-banner");
    await expect(banner).toBeHidden();
    const firstCache = await minqingCaches(page);
    expect(firstCache).toHaveLength(1);

    await stopServer(server);
    server = await startServer(port, v2);
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration?.update();
    });
    await expect(banner).toBeVisible();
    await expect(banner).toContainText("有新版本可用");

    // Accepting it activates the new worker and reloads onto it; the old cache is gone.
    await Promise.all([page.waitForEvent("load"), banner.getByRole("button", { name: "立即更新" }).click()]);
    await controlledByServiceWorker(page);
    await expect.poll(() => minqingCaches(page)).toHaveLength(1);
    expect(await minqingCaches(page)).not.toEqual(firstCache);
  } finally {
    await stopServer(server);
  }
});

const root = path.resolve(__dirname, "..", "..");

function copySite(name: string): string {
  const target = path.join(__dirname, "..", ".data", name);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(root, "target", "site"), target, { recursive: true });
  return target;
}

async function startServer(port: number, siteRoot: string): Promise<ChildProcess> {
  // The binary serve.sh runs: `./x test` passes the one its test stage built.
  const bin = process.env.MINQING_E2E_BIN ?? path.join(root, "target", "release", "minqing");
  const log = fs.openSync(path.join(__dirname, "..", ".data", `server-${port}.log`), "w");
  const child = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(__dirname, "..", ".data", "update.db")}`,
      MINQING_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
    },
    // Kept for no-panics.ts, like the main server's log.
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`server on port ${port} did not start`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function minqingCaches(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith("minqing-")));
}
