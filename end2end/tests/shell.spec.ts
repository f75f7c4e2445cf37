import { expect, test } from "@playwright/test";
import { hydrated, loginAs, openMenu, switchLanguage, watchConsole } from "./helpers";

test.describe("server rendering", () => {
  test.use({ javaScriptEnabled: false });

  test("pages are complete and readable with JavaScript disabled", async ({ page, request }) => {
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByRole("heading", { level: 1 })).toContainText("民情");
    await expect(page.getByRole("heading", { level: 1 })).toContainText("东湖镇");
    // The counts come from the database (other tests may have added units to it).
    const overview = await (await request.post("/api/township_overview")).json();
    await expect(page.getByTestId("township-summary")).toHaveText(
      `${overview.villages} 个村(社区) · ${overview.grids} 个网格 · ${overview.departments} 个承办单位`,
    );
    expect(overview.villages).toBeGreaterThanOrEqual(12);

    await page.goto("/guide");
    await expect(page.getByRole("row", { name: /办理并出具书面处理意见/ })).toContainText("60 日");

    // Logging in is a plain form post; the server sends the clerk on to the office.
    await page.goto("/office");
    await expect(page).toHaveURL(/\/login\?next=\/office$/);
    await page.getByLabel("用户名").fill("clerk");
    await page.getByLabel("密码").fill("minqing-demo-2026");
    await page.getByRole("button", { name: "登录" }).click();
    await expect(page).toHaveURL(/\/office$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("信访办工作台");
    // The organisation chart is a tile away from the desk.
    await page.getByRole("link", { name: "组织机构" }).click();
    await expect(page).toHaveURL(/\/office\/org$/);
    await expect(page.getByRole("heading", { name: "东湖镇" })).toBeVisible();
    await expect(page.getByRole("row", { name: /新华社区/ })).toContainText("3 个网格");
    await expect(page.getByRole("listitem").filter({ hasText: "东湖司法所" })).toBeVisible();

    // A wrong password without JavaScript: the error is rendered by the server. The menu
    // opens without JavaScript too.
    await openMenu(page);
    await page.locator("header").getByRole("link", { name: "我的账号" }).click();
    await page.getByRole("button", { name: "退出登录" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.getByLabel("用户名").fill("officer");
    await page.getByLabel("密码").fill("wrong password here");
    await page.getByRole("button", { name: "登录" }).click();
    await expect(page.getByRole("alert")).toHaveText("用户名或密码不正确。");
    await page.getByLabel("用户名").fill("officer");
    await page.getByLabel("密码").fill("minqing-demo-2026");
    await page.getByRole("button", { name: "登录" }).click();
    await expect(page).toHaveURL(/\/field$/);
    // The township's villages are a tile away, on a page of their own.
    await page.getByRole("link", { name: "本镇村(社区)和网格" }).click();
    await expect(page).toHaveURL(/\/field\/villages$/);
    await expect(page.locator(".directory-item").filter({ hasText: "东湖村" })).toContainText("第一网格、第二网格");
  });

  test("the language switch works as a plain link", async ({ page }) => {
    await page.goto("/guide");
    await switchLanguage(page);
    await expect(page).toHaveURL(/\/guide$/);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Petition guide");
  });
});

test("the page hydrates without console errors and its controls react", async ({ page, context }) => {
  const problems = watchConsole(page);
  await page.goto("/");
  await hydrated(page);
  const status = page.getByRole("status", { name: "网络状态" });
  await expect(status).toHaveText("在线");

  // Switching language brings the same page back, rendered in English.
  await switchLanguage(page);
  await expect(page.getByText("Hear the people · Record what they say · Resolve it on time")).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);

  // The connection indicator follows the browser's network state.
  await context.setOffline(true);
  await expect(page.getByRole("status", { name: "Network status" })).toHaveText("Offline");
  await context.setOffline(false);
  await expect(page.getByRole("status", { name: "Network status" })).toHaveText("Online");

  expect(problems).toEqual([]);
});

test("a field page fetches its islands' code in a few bundled files", async ({ page }) => {
  // The release build merges the split build's small modules (`minqing-bundle`): without
  // that step this page would fetch some two hundred wasm files.
  const problems = watchConsole(page);
  await loginAs(page, "officer");
  // Logging in lands on the field home, whose own island code may still be on its way:
  // let it arrive before counting what the report page fetches.
  await page.waitForLoadState("networkidle");
  const wasm = new Set<string>();
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) wasm.add(path);
  });
  await page.goto("/field/report");
  await hydrated(page);
  await expect(page.getByRole("button", { name: "保存并发送" })).toBeEnabled();
  await page.waitForLoadState("networkidle");
  const files = [...wasm].sort();
  expect(files.filter((f) => !/^\/pkg\/(minqing|bundle_[a-z0-9_]+)\.[^/.]+\.wasm$/.test(f)), files.join(" ")).toEqual([]);
  // The main module, the field area's file, the form's, the outbox engine's (fetched
  // once the page is interactive), and a small module loaded once (it sets a static).
  expect(files.length, files.join(" ")).toBeLessThanOrEqual(5);
  expect(problems).toEqual([]);
});

test("the chosen language is remembered across reloads", async ({ page }) => {
  await page.goto("/guide");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("信访指南");
  await switchLanguage(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Petition guide");

  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Petition guide");
  await page.goto("/login");
  await page.getByLabel("Username").fill("gridworker");
  await page.getByLabel("Password").fill("minqing-demo-2026");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/field$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Village desk");

  await hydrated(page);
  await switchLanguage(page, "Switch to Chinese");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("村级工作台");
});

test("unknown pages answer 404 with a way home", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("页面不存在");
  await page.getByRole("link", { name: "返回首页" }).click();
  await expect(page).toHaveURL(/\/$/);
});

test("the health endpoint reports the database", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toMatchObject({ status: "ok", database: "ok", engine: "sqlite" });
});

test("the village desk is a work bench of large tiles, this week's report and the township's answers", async ({ page }) => {
  await loginAs(page, "officer");
  await expect(page).toHaveURL(/\/field$/);
  await hydrated(page);
  const bench = page.getByRole("navigation", { name: "常用操作" });
  const tiles = bench.getByRole("link");
  await expect(tiles).toHaveCount(4);
  for (const name of ["上报矛盾纠纷或隐患", "每周排查报告", "待发送记录", "本镇村(社区)和网格"]) {
    const tile = bench.getByRole("link", { name: new RegExp(name.replace(/[()]/g, "\\$&")) });
    const box = await tile.boundingBox();
    expect(box?.height ?? 0, name).toBeGreaterThanOrEqual(48);
    expect(box?.width ?? 0, name).toBeGreaterThanOrEqual(120);
  }
  // Two tiles to a row on a 360 px phone, and nothing wider than the screen.
  const [first, second] = [await tiles.nth(0).boundingBox(), await tiles.nth(1).boundingBox()];
  expect(Math.abs((first?.y ?? 0) - (second?.y ?? 1))).toBeLessThan(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await expect(page.getByTestId("home-unsent")).toHaveText("0");
  // Other tests may have asked this officer for more on a report of theirs.
  await expect(page.getByTestId("home-asked")).toHaveText(/^(没有需要补充情况的上报。|乡镇要求补充情况：\d+ 条。 去补充)$/);
  // This week's line of the officer's village, with its deadline on the township's clock.
  const week = page.locator(".week-list li").filter({ hasText: "东湖村" });
  await expect(week).toContainText(/截止 \d\d-\d\d \d\d:\d\d/);
  // The desk no longer lists the whole township.
  await expect(page.locator(".directory")).toHaveCount(0);
});
