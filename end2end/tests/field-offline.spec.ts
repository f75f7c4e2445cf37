import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, expect, type Page, test } from "@playwright/test";
import { controlledByServiceWorker, fileReport, follow, hydrated, icon, loginAs, watchConsole } from "./helpers";

// An officer's week of work on a phone with no signal: reports (one with a photo) and a
// zero report are kept on the phone through a reload and a browser restart, then reach
// the township by themselves once the signal returns, exactly once.


/** A phone: a browser profile on disk, so closing and reopening keeps its storage. */
async function openPhone(dir: string, use: Record<string, unknown>): Promise<BrowserContext> {
  const launch = (use.launchOptions ?? {}) as { executablePath?: string; args?: string[] };
  return chromium.launchPersistentContext(dir, {
    executablePath: launch.executablePath,
    args: launch.args,
    baseURL: use.baseURL as string,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    hasTouch: true,
    locale: "en-US",
    serviceWorkers: "allow",
  });
}

async function fieldPagesKept(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      const all = await Promise.all(
        ["/field", "/field/report", "/field/weekly", "/field/outbox"].map((u) => cache.match(u)),
      );
      if (all.every(Boolean)) return true;
    }
    return false;
  });
}

/**
 * Whether the phone keeps a (sealed) draft of `form`. Looks without creating: opening
 * the database before the outbox engine has made it would create it empty at the
 * engine's version, so the engine would never make its stores (and a connection left
 * open would block any later upgrade).
 */
async function draftKept(page: Page, form: string): Promise<boolean> {
  return page.evaluate(
    (key) =>
      new Promise<boolean>((resolve, reject) => {
        const open = indexedDB.open("minqing");
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onerror = () => (open.error?.name === "AbortError" ? resolve(false) : reject(open.error));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("sealed")) {
            db.close();
            return resolve(false);
          }
          const get = db.transaction("sealed").objectStore("sealed").getKey(key);
          get.onsuccess = () => {
            db.close();
            resolve(get.result !== undefined);
          };
          get.onerror = () => {
            db.close();
            reject(get.error);
          };
        };
      }),
    `draft:${form}`,
  );
}

/**
 * Holds back the file of the outbox engine's own code (`app/src/outbox/engine.rs`,
 * bundled by `minqing-bundle`) until `release` is called; `engineArrived` resolves when
 * it has come.
 */
async function holdEngine(page: Page): Promise<{ release: () => void; engineArrived: Promise<unknown> }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const engine = /\/pkg\/bundle_outbox_engine\.[^/]*\.wasm$/;
  await page.route(engine, async (route) => {
    await held;
    await route.continue();
  });
  return { release, engineArrived: page.waitForResponse(engine) };
}

/** With signal: the officer logs in once, and the service worker keeps the field pages. */
async function officerWithFieldPagesKept(page: Page): Promise<void> {
  await page.goto("/");
  await controlledByServiceWorker(page);
  await loginAs(page, "officer");
  await hydrated(page);
  await expect.poll(() => fieldPagesKept(page), { timeout: 20_000 }).toBe(true);
}

/** A fresh phone whose officer logged in with signal, now offline on the report form. */
async function offlineReportForm(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await officerWithFieldPagesKept(page);
  await context.setOffline(true);
  await page.goto("/field/report");
  await hydrated(page);
  return { context, page };
}

test("a week of field work without signal reaches the township exactly once", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "minqing-phone-"));
  const use = testInfo.project.use as Record<string, unknown>;
  let phone = await openPhone(dir, use);
  let page = phone.pages()[0] ?? (await phone.newPage());
  const problems = watchConsole(page);

  // With signal: the officer logs in once; the phone keeps the field pages.
  await officerWithFieldPagesKept(page);

  // No signal from here on.
  await phone.setOffline(true);
  await page.goto("/field/report");
  await hydrated(page);
  await fileReport(page, {
    kind: "land",
    place: "东湖村三组",
    parties: "张某、李某",
    description: "两户因宅基地边界发生争执，已初步劝解。",
  });
  await fileReport(page, {
    kind: "safety",
    severity: "较大",
    place: "东湖村村口桥",
    parties: "过往村民",
    description: "桥面护栏松动，存在坠落隐患。",
    photo: true,
  });
  await fileReport(page, {
    kind: "wages_owed",
    severity: "紧急",
    place: "村东工地",
    parties: "务工人员约二十人",
    description: "工地拖欠工资，工人聚集讨薪。",
  });
  await expect(page.getByTestId("outbox-badge")).toHaveText("3");

  // Last week had nothing: a zero report for it.
  await follow(page, page.getByRole("link", { name: /周报/ }).first(), /\/field\/weekly$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("每周排查报告");
  await page.locator("#week").selectOption({ index: 1 });
  await expect(page.getByTestId("no-items")).toBeVisible();
  await page.getByTestId("zero-report").click();
  await expect(page.getByTestId("saved")).toBeVisible();
  await expect(page.getByTestId("outbox-badge")).toHaveText("4");

  // What is queued is sealed at rest: the officer's words are not readable in IndexedDB.
  const plainInStorage = await page.evaluate(
    () =>
      new Promise<boolean>((resolve, reject) => {
        const open = indexedDB.open("minqing");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction("outbox").objectStore("outbox").getAll();
          all.onsuccess = () => {
            open.result.close();
            const text = all.result.map((v) => new TextDecoder().decode(v.ct)).join("");
            resolve(all.result.length !== 4 || text.includes("宅基地") || text.includes("东湖村"));
          };
        };
      }),
  );
  expect(plainInStorage).toBe(false);

  // A reload with no signal: everything is still queued.
  await page.goto("/field/outbox");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("waiting").locator("li")).toHaveCount(4);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-phase", "offline");

  // The phone is switched off and on again, still without signal.
  await phone.close();
  phone = await openPhone(dir, use);
  await phone.setOffline(true);
  page = phone.pages()[0] ?? (await phone.newPage());
  problems.push(...watchConsole(page));
  await page.goto("/field/outbox");
  await hydrated(page);
  await expect(page.getByTestId("waiting").locator("li")).toHaveCount(4);
  await expect(page.getByTestId("outbox-badge")).toHaveText("4");

  // The signal returns: the queue goes by itself, and the badge clears.
  await phone.setOffline(false);
  await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId("sync-status")).toHaveText("全部记录已送达乡镇。");
  await expect(page.getByTestId("sent").locator("li")).toHaveCount(4);
  await expect(page.getByTestId("outbox-empty")).toBeVisible();

  await phone.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(problems.filter((p) => !p.includes("Failed to load resource") && !p.includes("ERR_INTERNET_DISCONNECTED"))).toEqual([]);

  // At the township, a clerk's inbox holds each of the three reports exactly once, the
  // urgent one flagged, and last week's overview shows the village's zero report.
  const office = await browser.newContext();
  const desk = await office.newPage();
  await loginAs(desk, "clerk");
  await desk.goto("/office/reports");
  const inbox = desk.locator("#inbox tbody tr");
  for (const place of ["东湖村三组", "东湖村村口桥", "村东工地"]) {
    await expect(inbox.filter({ hasText: place })).toHaveCount(1);
  }
  await expect(inbox.filter({ hasText: "村东工地" })).toContainText("紧急");
  await expect(desk.locator("#urgent-waiting")).toBeVisible();
  await desk.goto("/office/weekly");
  await follow(desk, desk.getByRole("link", { name: "上一周" }), /week=/);
  const village = desk.locator("#weekly tbody tr").filter({ hasText: "东湖村" });
  await expect(village).toHaveAttribute("data-status", /^(zero|late)$/);
  await office.close();
});

test("a report the server sends back shows why, is fixed and sent again, and the township's question reaches the phone", async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await officerWithFieldPagesKept(page);

  // A phone whose clock runs two days fast: the report's time is in the server's future.
  const fast = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  await page.clock.setFixedTime(fast);
  await context.setOffline(true);
  await page.goto("/field/report");
  await hydrated(page);
  await fileReport(page, {
    kind: "neighbours",
    place: "西岭村五组",
    parties: "王某、赵某",
    description: "邻里因排水沟堵塞发生口角。",
  });

  // Back in signal: the server refuses it with a reason; it stays on the phone.
  await context.setOffline(false);
  await page.goto("/field/outbox");
  await hydrated(page);
  const item = page.getByTestId("attention").locator("li");
  await expect(item).toHaveCount(1, { timeout: 30_000 });
  await expect(item.getByTestId("reason")).toContainText("发现时间");
  await expect(page.getByTestId("outbox-badge")).toHaveText("1");

  // The clock is right again; the officer corrects the time and sends it again.
  await page.clock.setFixedTime(new Date());
  await follow(page, item.getByRole("link", { name: "修改" }), /edit=/);
  await expect(page.locator("#place")).toHaveValue("西岭村五组");
  const now = new Date(Date.now() - 3600 * 1000);
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.locator("#found_at").fill(local);
  await page.getByRole("button", { name: "保存修改并重新发送" }).click();
  await expect(page).toHaveURL(/\/field\/outbox$/);
  await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId("attention").locator("li")).toHaveCount(0);
  await expect(page.getByTestId("sent").locator("li").first()).toBeVisible();

  // The township asks for more; the officer's phone shows the question after its next sync.
  const office = await browser.newContext();
  const desk = await office.newPage();
  await loginAs(desk, "clerk");
  await desk.goto("/office/reports");
  await hydrated(desk);
  await follow(desk, desk.locator("#inbox tbody tr").filter({ hasText: "西岭村五组" }).getByRole("link").first(), /\/office\/reports\/\d+/);
  const ask = desk.locator('form[data-step="request_info"]');
  await ask.locator("textarea").fill("请补充排水沟的现场照片");
  await ask.getByRole("button").click();
  await expect(desk.getByText("待信息员补充").first()).toBeVisible();
  await office.close();

  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("sent")).toContainText("乡镇要求补充情况：请补充排水沟的现场照片", { timeout: 30_000 });
  await context.close();
});

test("an expired session keeps the queue; after logging in again it is sent", async ({ browser }) => {
  test.setTimeout(90_000);
  const { context, page } = await offlineReportForm(browser);
  await fileReport(page, {
    kind: "environment",
    place: "东湖村养殖场下游",
    parties: "下游住户",
    description: "养殖场废水直排小河，河水发黑。",
  });
  await follow(page, page.getByRole("link", { name: /待发送/ }).first(), /\/field\/outbox$/);
  await expect(page.getByTestId("waiting").locator("li")).toHaveCount(1);

  // The session ends while the phone is away (expired, or revoked by an admin).
  await context.clearCookies({ name: "minqing_session" });
  await context.setOffline(false);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-phase", "expired", { timeout: 30_000 });
  await expect(page.getByTestId("sync-status")).toContainText("登录已过期");
  await expect(page.getByTestId("waiting").locator("li")).toHaveCount(1);
  await expect(page.getByTestId("outbox-badge")).toHaveText("1");

  // Logging in again brings the officer back to the outbox, and the queue goes.
  await page.getByRole("link", { name: "重新登录" }).click();
  await page.getByLabel("用户名").fill("officer");
  await page.getByLabel("密码").fill("minqing-demo-2026");
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/field\/outbox$/);
  await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId("sent").locator("li")).toHaveCount(1);
  await expect(page.getByTestId("sent")).toContainText("环境污染");
  await context.close();
});

test.describe("on a slow link", () => {
  // The page's own requests, not the service worker's, so the test can slow them down.
  test.use({ serviceWorkers: "block" });

  test("what an officer types before the page's code arrives is kept and sent", async ({ page, browser }) => {
    await loginAs(page, "officer");
    // The main wasm comes 3 s after the page.
    await page.route(/\/pkg\/minqing\.[^/]*\.wasm$/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await route.continue();
    });
    await page.goto("/field/report");
    await page.locator("#place").fill("西岭村三组");
    await page.locator("#description").fill("村道塌方，已设警示。");
    await hydrated(page);
    await expect(page.locator("#place")).toHaveValue("西岭村三组");
    await expect(page.locator("#description")).toHaveValue("村道塌方，已设警示。");

    await page.locator("#kind").selectOption("safety");
    await page.locator("#parties").fill("过往村民");
    await page.getByRole("button", { name: "保存并发送" }).click();
    await expect(page.getByTestId("saved")).toBeVisible();
    await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 30_000 });
    await follow(page, page.getByRole("link", { name: /待发送/ }).first(), /\/field\/outbox$/);
    await expect(page.getByTestId("sent").locator("li")).toHaveCount(1);

    // The township has it with what was typed early.
    const office = await browser.newContext();
    const desk = await office.newPage();
    await loginAs(desk, "clerk");
    await desk.goto("/office/reports");
    await expect(desk.locator("#inbox tbody tr").filter({ hasText: "西岭村三组" })).toHaveCount(1);
    await office.close();
  });

  test("the form works before the outbox's engine arrives, and no draft overwrites what is typed meanwhile", async ({ page }) => {
    await loginAs(page, "officer");
    // A draft from an earlier visit.
    await page.goto("/field/report");
    await hydrated(page);
    await page.locator("#place").fill("旧草稿的地点");
    await page.locator("#description").fill("旧草稿");
    // Drafts are kept once the outbox has been read (the form then fills in the time
    // found), each change a moment after it is made.
    await expect(page.locator("#found_at")).not.toHaveValue("");
    await expect.poll(() => draftKept(page, "report")).toBe(true);
    await page.waitForTimeout(500);
    await page.reload();
    await hydrated(page);
    await expect(page.locator("#description")).toHaveValue("旧草稿");

    // Now the engine (storage, encryption, sync) is held back until the test lets it go.
    const { release, engineArrived } = await holdEngine(page);
    await page.reload();
    await hydrated(page);
    // Interactive without it: the officer types, and the form checks what is missing.
    await page.locator("#description").fill("新写的内容");
    await page.getByRole("button", { name: "保存并发送" }).click();
    await expect(page.locator("#kind-error")).toBeVisible();
    await expect(page.locator("#place-error")).toBeVisible();
    await expect(page.locator("#found_at")).toHaveValue("");

    release();
    await engineArrived;
    // The outbox has been read (the form then fills in the time found), and the old
    // draft was not laid over the new text.
    await expect(page.locator("#found_at")).not.toHaveValue("");
    await expect(page.locator("#description")).toHaveValue("新写的内容");
    await expect(page.locator("#place")).toHaveValue("");

    await page.locator("#kind").selectOption("safety");
    await page.locator("#place").fill("东岭村二组");
    await page.locator("#parties").fill("过往村民");
    await page.getByRole("button", { name: "保存并发送" }).click();
    await expect(page.getByTestId("saved")).toBeVisible();
  });

  test("a weekly note typed while the outbox's engine is on its way is not replaced by the draft", async ({ page }) => {
    await loginAs(page, "officer");
    // A draft from an earlier visit: last week, with a note.
    await page.goto("/field/weekly");
    await hydrated(page);
    await page.locator("#week").selectOption({ index: 1 });
    const lastWeek = await page.locator("#week").inputValue();
    await page.locator("#note").fill("旧的周报说明");
    await expect.poll(() => draftKept(page, "weekly")).toBe(true);
    await page.waitForTimeout(500);

    const { release, engineArrived } = await holdEngine(page);
    await page.reload();
    await hydrated(page);
    await expect(page.locator("#week")).not.toHaveValue(lastWeek);
    await page.locator("#note").fill("本周新写的说明");

    release();
    await engineArrived;
    // The draft has been read (its week is back), and the new note stays.
    await expect(page.locator("#week")).toHaveValue(lastWeek);
    await expect(page.locator("#note")).toHaveValue("本周新写的说明");
  });

  test("a week picked while the outbox's engine is on its way stays, and is kept as the draft", async ({ page }) => {
    await loginAs(page, "officer");
    // A draft from an earlier visit: this week, with a note.
    await page.goto("/field/weekly");
    await hydrated(page);
    const thisWeek = await page.locator("#week").inputValue();
    await page.locator("#note").fill("上次写的说明");
    await expect.poll(() => draftKept(page, "weekly")).toBe(true);
    await page.waitForTimeout(500);

    const { release, engineArrived } = await holdEngine(page);
    await page.reload();
    await hydrated(page);
    await page.locator("#week").selectOption({ index: 1 });
    const lastWeek = await page.locator("#week").inputValue();
    expect(lastWeek).not.toBe(thisWeek);

    release();
    await engineArrived;
    // The draft's note comes back into the empty note; the week the officer picked stays.
    await expect(page.locator("#note")).toHaveValue("上次写的说明");
    await expect(page.locator("#week")).toHaveValue(lastWeek);

    // And that is the draft now: a later visit opens on it.
    await page.waitForTimeout(500);
    await page.unrouteAll();
    await page.reload();
    await hydrated(page);
    await expect(page.locator("#week")).toHaveValue(lastWeek);
    await expect(page.locator("#note")).toHaveValue("上次写的说明");
  });

  test("a week picked before the outbox's engine arrives is kept as the draft with nothing typed", async ({ page }) => {
    await loginAs(page, "officer");
    const { release, engineArrived } = await holdEngine(page);
    await page.goto("/field/weekly");
    await hydrated(page);
    await page.locator("#week").selectOption({ index: 1 });
    const lastWeek = await page.locator("#week").inputValue();
    // Nothing can be kept before the engine is there (and looking must not get in its way).
    expect(await draftKept(page, "weekly")).toBe(false);
    release();
    await engineArrived;
    // Kept when the outbox has been read, not only at the officer's next change.
    await expect.poll(() => draftKept(page, "weekly")).toBe(true);
    await page.unrouteAll();
    await page.reload();
    await hydrated(page);
    await expect(page.locator("#week")).toHaveValue(lastWeek);
  });
});

test("every open tab shows the outbox's true state within a second of a change", async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const first = await context.newPage();
  await officerWithFieldPagesKept(first);
  const second = await context.newPage();
  await second.goto("/field/outbox");
  await hydrated(second);
  await expect(second.getByTestId("outbox-empty")).toBeVisible();

  // Offline, the first tab keeps a report; the second, which did nothing, shows it too.
  await context.setOffline(true);
  await first.goto("/field/report");
  await hydrated(first);
  await fileReport(first, {
    kind: "land",
    place: "东湖村七组",
    parties: "孙某、钱某",
    description: "两户为灌溉水渠的使用时间争执。",
  });
  await expect(second.getByTestId("waiting").locator("li")).toHaveCount(1, { timeout: 1_500 });
  await expect(second.getByTestId("outbox-badge")).toHaveText("1", { timeout: 1_500 });

  // Back in signal, one tab sends it (only one tab syncs at a time); both show it gone.
  await context.setOffline(false);
  await first.getByTestId("outbox-badge").waitFor({ state: "detached", timeout: 30_000 });
  for (const page of [first, second]) {
    await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 1_500 });
  }
  await expect(second.getByTestId("outbox-empty")).toBeVisible({ timeout: 1_500 });
  await expect(second.getByTestId("sent").locator("li")).toHaveCount(1, { timeout: 1_500 });
  await expect(second.getByTestId("sent").locator("li")).toContainText("土地纠纷");
  await context.close();
});

test("a photo the phone cannot read is named beside the photo field, and the report is still saved", async ({ browser }) => {
  test.setTimeout(60_000);
  const { context, page } = await offlineReportForm(browser);
  await page.locator("#kind").selectOption("land");
  await page.locator("#place").fill("东湖村八组");
  await page.locator("#parties").fill("吴某");
  await page.locator("#description").fill("照片读不出来时，报告照样保存。");

  // An iPhone-style HEIC photo, which Chromium cannot decode.
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheic"), Buffer.alloc(64, 7)]);
  await page.locator("#photos").setInputFiles({ name: "IMG_0001.HEIC", mimeType: "image/heic", buffer: heic });
  const problem = page.getByTestId("photo-problem");
  await expect(problem).toBeVisible();
  await expect(problem).toContainText("“IMG_0001.HEIC”是 HEIC 格式");
  await expect(problem).toContainText("兼容性最佳");
  await expect(page.locator("#photos")).toHaveAttribute("aria-describedby", /photos-problem/);

  // A damaged file gets its own words; a good photo clears the message.
  await page.locator("#photos").setInputFiles({ name: "broken.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(200, 9) });
  await expect(problem).toContainText("“broken.jpg”读不出来");
  await page.locator("#photos").setInputFiles(icon);
  await expect(page.getByTestId("photo-list").locator("li")).toHaveCount(1);
  await expect(problem).toBeHidden();

  // Nothing typed was lost, and the report saves.
  await expect(page.locator("#place")).toHaveValue("东湖村八组");
  await page.getByRole("button", { name: "保存并发送" }).click();
  await expect(page.getByTestId("saved")).toBeVisible();
  await context.close();
});
