import path from "node:path";
import { expect, type Browser, type Locator, type Page } from "@playwright/test";

/** A small PNG that every browser can read: a photo for the field forms. */
export const icon = path.resolve(__dirname, "..", "..", "public", "icons", "icon-192.png");

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

/** Opens the top bar's menu (who is logged in, their account, the language). */
export async function openMenu(page: Page): Promise<void> {
  const menu = page.locator("header details.bar-menu");
  if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) await menu.locator("summary").click();
}

/** Switches the interface language from the top bar's menu. */
export async function switchLanguage(page: Page, label = "切换到英文界面"): Promise<void> {
  await openMenu(page);
  await page.getByRole("link", { name: label }).click();
}

/** Fills and saves the field report form as an officer would (online or not). */
export async function fileReport(
  page: Page,
  r: { kind: string; severity?: string; place: string; parties: string; description: string; photo?: boolean },
): Promise<void> {
  await page.locator("#kind").selectOption(r.kind);
  if (r.severity) await page.getByLabel(r.severity, { exact: true }).check();
  await page.locator("#place").fill(r.place);
  await page.locator("#parties").fill(r.parties);
  await page.locator("#description").fill(r.description);
  if (r.photo) {
    await page.locator("#photos").setInputFiles(icon);
    await expect(page.getByTestId("photo-list").locator("li")).toHaveCount(1);
  }
  await page.getByRole("button", { name: "保存并发送" }).click();
  await expect(page.getByTestId("saved")).toBeVisible();
  // The form is empty again for the next one.
  await expect(page.locator("#place")).toHaveValue("");
}

/** A page of its own (a browser context, so its own session) logged in as `username`. */
export async function staffPage(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await loginAs(page, username);
  return page;
}

/** Takes one step on the case page and waits for the office's confirmation. */
export async function takeStep(page: Page, step: string, fill?: (form: Locator) => Promise<void>): Promise<void> {
  const form = page.locator(`form[data-step=${step}]`);
  const details = page.locator(`details:has(form[data-step=${step}])`);
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator("summary").click();
  if (fill) await fill(form);
  const answer = page.waitForResponse((r) => r.url().includes("/api/petition_step"));
  await form.locator("button[type=submit]").click();
  expect((await answer).status()).toBe(200);
  await expect(page.getByRole("status").filter({ hasText: "已办理" })).toBeVisible();
}

/** Today's date in China, as a date input takes it. */
export function chinaToday(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The office's contacts as an admin publishes them on /office/info. */
export const OFFICE_INFO = {
  address: "东湖镇人民政府一楼信访接待室",
  phone: "0731-88886666",
  reception: "每周三上午 镇领导接访日\n工作日 8:30-17:30",
};

/** Publishes the office's contacts as the admin (the page must be logged in as one). */
export async function publishOfficeInfo(page: Page, info = OFFICE_INFO): Promise<void> {
  await page.goto("/office/info");
  await hydrated(page);
  const form = page.locator("#office-info-form");
  await form.getByLabel("办公地址").fill(info.address);
  await form.getByLabel("电话").fill(info.phone);
  await form.getByLabel("接待时间和地点").fill(info.reception);
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("status").filter({ hasText: "已保存" })).toBeVisible();
}

/**
 * A clerk registers a letter at the desk (the page must be logged in as one), and opens
 * its case page; answers the case page's address.
 */
export async function registerLetter(
  page: Page,
  p: { subject: string; content: string; name?: string },
): Promise<string> {
  await page.goto("/office/intake");
  await page.getByLabel("信访形式").selectOption("letter");
  await page.getByLabel("信访类别").selectOption({ label: "申诉求决" });
  await page.getByLabel("所涉村(社区)").selectOption({ index: 1 });
  await page.getByLabel("标题").fill(p.subject);
  await page.getByLabel("反映的主要问题").fill(p.content);
  await page.getByLabel("信访人姓名").fill(p.name ?? "张秀英");
  await page.getByRole("button", { name: "登记" }).click();
  await expect(page.getByRole("heading", { name: "受理回执" })).toBeVisible();
  await follow(page, page.getByRole("link", { name: "打开这件信访事项" }), /\/office\/petitions\/\d+$/);
  return page.url();
}
