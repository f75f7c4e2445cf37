import { expect, type Page, test } from "@playwright/test";
import { fileReport, hydrated, loginAs, openMenu } from "./helpers";

// What a person meets first, on a cheap phone (360 px) and an office desktop (1280 px),
// in both languages: every page of each area fits, the top bar holds one line without
// overlaps, and every touch target is at least 44 × 44 px. The screenshots are kept
// with the run's results (test-results/) for review.

/** The pages of each area, and who opens them. */
const AREAS: { user: string | null; pages: string[] }[] = [
  { user: null, pages: ["/", "/petition", "/track", "/guide", "/login"] },
  { user: "officer", pages: ["/field", "/field/report", "/field/weekly", "/field/outbox", "/field/villages", "/account"] },
  { user: "agent", pages: ["/field/intake"] },
  { user: "clerk", pages: ["/office", "/office/petitions", "/office/intake", "/office/reports", "/office/weekly", "/office/org"] },
  { user: "admin", pages: ["/office/users", "/office/roster", "/office/audit", "/office/info"] },
];

const LANGUAGES = ["zh-CN", "en"] as const;

/** Everything wrong with the page's layout at the current width, in words. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = document.documentElement.clientWidth;
    const name = (el: Element) => {
      const id = el.id ? `#${el.id}` : "";
      const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
      const text = (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 24);
      return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
    };
    const shown = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
    };
    // Inside something that scrolls or clips sideways (the area's navigation, a table).
    const contained = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const x = getComputedStyle(p).overflowX;
        if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") return true;
      }
      return false;
    };

    if (document.documentElement.scrollWidth > width) {
      problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    }
    for (const el of document.querySelectorAll("body *")) {
      // The skip link and the form's honeypot are out of sight on purpose.
      if (!shown(el) || el.closest(".skip-link, [aria-hidden=true]") || contained(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.right > width + 0.5 || r.left < -0.5) problems.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
    }

    // The top bar: one line, its parts side by side, none over another.
    const bar = document.querySelector("header.topbar");
    if (!bar) return [...problems, "no top bar"];
    const barBox = bar.getBoundingClientRect();
    if (barBox.height > 64) problems.push(`the top bar is ${barBox.height} px tall`);
    const parts = [".brand", ".area-name", ".connection", ".bar-menu > summary"]
      .map((s) => bar.querySelector(s))
      .filter((el): el is Element => el !== null && shown(el));
    if (parts.length < 4) problems.push(`the top bar shows ${parts.length} of its 4 parts`);
    for (const [i, a] of parts.entries()) {
      const ra = a.getBoundingClientRect();
      if (ra.left < barBox.left - 0.5 || ra.right > barBox.right + 0.5) problems.push(`${name(a)} sticks out of the top bar`);
      // Its text on one line: each text node's line boxes share one top.
      const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(text);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) problems.push(`${name(a)} wraps onto ${tops.size} lines`);
      }
      for (const b of parts.slice(i + 1)) {
        const rb = b.getBoundingClientRect();
        const overlap = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const vertical = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (overlap > 0.5 && vertical > 0.5) problems.push(`${name(a)} overlaps ${name(b)}`);
      }
    }

    // Touch targets: every control, and every link that is not a word inside running text.
    const targets = document.querySelectorAll(
      "header a, header summary, nav a, main a, main button, main summary, main select, main textarea, main input",
    );
    for (const el of targets) {
      if (!shown(el) || el.closest("[hidden], [aria-hidden=true]")) continue;
      let target: Element = el;
      if (el instanceof HTMLInputElement) {
        if (el.type === "hidden") continue;
        // A checkbox or radio is tapped through its label.
        if (el.type === "checkbox" || el.type === "radio") target = el.closest("label") ?? el.labels?.[0] ?? el;
      }
      if (el instanceof HTMLAnchorElement && getComputedStyle(el).display === "inline" && !el.closest("header, nav")) continue;
      const r = target.getBoundingClientRect();
      if (r.width < 44 || r.height < 44) problems.push(`${name(target)} is ${Math.round(r.width)} × ${Math.round(r.height)}`);
    }
    return problems;
  });
}

async function openIn(page: Page, path: string, lang: string): Promise<void> {
  await page.goto(`/lang/${lang}?next=${encodeURIComponent(path)}`);
  await expect(page.locator("html")).toHaveAttribute("lang", lang);
  await hydrated(page);
}

for (const { user, pages } of AREAS) {
  test(`every page of ${user ?? "the public"}'s area fits a 360 px phone in both languages`, async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    if (user) await loginAs(page, user);
    for (const lang of LANGUAGES) {
      for (const path of pages) {
        await openIn(page, path, lang);
        await page.screenshot({ path: testInfo.outputPath(`360-${lang}${path.replace(/\//g, "_")}.png`) });
        expect(await layoutProblems(page), `${path} in ${lang}`).toEqual([]);
      }
    }
  });
}

test("the top bar's menu holds the name, the account and the language, and closes like a menu", async ({ page }) => {
  await loginAs(page, "officer");
  await hydrated(page);
  const summary = page.locator("header details.bar-menu > summary");
  await expect(summary).toHaveAttribute("aria-label", "菜单（张秀英）");
  await openMenu(page);
  const panel = page.locator("header .bar-menu-panel");
  await expect(panel).toContainText("张秀英");
  await expect(panel.getByRole("link", { name: "我的账号" })).toBeVisible();
  await expect(panel.getByRole("link", { name: "切换到英文界面" })).toBeVisible();
  // The open menu stays inside the screen.
  const box = await panel.boundingBox();
  expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 360).toBe(true);
  await page.keyboard.press("Escape");
  await expect(panel).toBeHidden();
  // A tap elsewhere closes it (the open panel covers the right of the page).
  await openMenu(page);
  await page.mouse.click(20, 400);
  await expect(panel).toBeHidden();
});

test("the office desk counts what waits, each count opening its list", async ({ page }) => {
  await loginAs(page, "clerk");
  await expect(page).toHaveURL(/\/office$/);
  const waiting = page.getByRole("navigation", { name: "待办事项" });
  // The weekly counts are of the latest week whose reports are due.
  const counts: [string, string, RegExp][] = [
    ["desk-awaiting", "待登记（网上信访和代理）", /^\/office\/petitions\?state=submitted$/],
    ["desk-reports-new", "新的排查上报", /^\/office\/reports\?state=new$/],
    ["desk-reports-urgent", "紧急上报待处理", /^\/office\/reports\?state=new&urgent=1$/],
    ["desk-weekly-missing", "周报未报", /^\/office\/weekly\?week=\d{4}-W\d{2}&status=missing$/],
    ["desk-weekly-late", "周报迟报", /^\/office\/weekly\?week=\d{4}-W\d{2}&status=late$/],
  ];
  for (const [id, label, href] of counts) {
    const tile = waiting.getByRole("link", { name: new RegExp(label.replace(/[()（）]/g, "\\$&")) });
    await expect(tile).toHaveAttribute("href", href);
    await expect(tile.getByTestId(id)).toHaveText(/^\d+$/);
    const box = await tile.boundingBox();
    expect(box?.height ?? 0, label).toBeGreaterThanOrEqual(48);
  }
  // The weekly count matches the villages the filtered list shows.
  const missing = Number(await waiting.getByTestId("desk-weekly-missing").innerText());
  await waiting.getByRole("link", { name: /周报未报/ }).click();
  await expect(page).toHaveURL(/status=missing/);
  await hydrated(page);
  await expect(page.locator("#weekly tbody tr")).toHaveCount(missing);
  if (missing > 0) await expect(page.locator("#weekly tbody tr[data-status=missing]")).toHaveCount(missing);
  // The registry's waiting list has as many as the desk said.
  await page.goto("/office");
  const awaiting = Number(await page.getByTestId("desk-awaiting").innerText());
  await page.getByTestId("desk-awaiting").click();
  await expect(page.locator(".registry-total")).toContainText(`共 ${awaiting} 件`);
});

test("on a 1280 px desktop the ledgers use the width, keep their header in view and filter in one row", async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  // A report of this test's own, so the inbox has a row whatever ran before.
  const phone = await browser.newContext();
  const officer = await phone.newPage();
  await loginAs(officer, "officer");
  await officer.goto("/field/report");
  await hydrated(officer);
  await fileReport(officer, { kind: "land", place: "东湖村九组长长的地名", parties: "周某", description: "桌面宽表测试用的上报。" });
  await expect(officer.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 30_000 });
  await phone.close();

  await page.setViewportSize({ width: 1280, height: 800 });
  await loginAs(page, "clerk");
  for (const lang of LANGUAGES) {
    for (const path of ["/office", "/office/petitions", "/office/reports", "/office/weekly"]) {
      await openIn(page, path, lang);
      await page.screenshot({ path: testInfo.outputPath(`1280-${lang}${path.replace(/\//g, "_")}.png`) });
      expect(await layoutProblems(page), `${path} in ${lang}`).toEqual([]);
    }
  }
  await openIn(page, "/office/reports?state=all", "zh-CN");
  const filters = page.getByRole("search");
  const controls = filters.locator("select, input[type=checkbox], button");
  const tops = new Set<number>();
  for (const box of await controls.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top))) tops.add(Math.round(box / 8));
  expect(tops.size, "the filters sit in one row").toBe(1);
  const main = await page.locator("main").boundingBox();
  expect(main?.width ?? 0).toBeGreaterThan(1200);
  // Short values stay on one line, and the header stays in view as the list scrolls.
  const table = page.locator("table.inbox");
  const row = table.locator("tbody tr").filter({ hasText: "东湖村九组长长的地名" });
  await expect(row).toHaveCount(1);
  const wrapped = await table.locator("td.short").evaluateAll((cells) =>
    cells.filter((c) => c.getClientRects().length > 0 && c.getBoundingClientRect().height > 60).map((c) => c.textContent),
  );
  expect(wrapped).toEqual([]);
  await expect(table.locator("thead th").first()).toHaveCSS("position", "sticky");
  // On a phone the same list is cards, one report to a card, each value labelled.
  await page.setViewportSize({ width: 360, height: 740 });
  await expect(row).toHaveCSS("display", "block");
  await expect(table.locator("thead")).toHaveCSS("position", "absolute");
  const label = await row.locator("td[data-label]").first().evaluate((c) => getComputedStyle(c, "::before").content);
  expect(label).toContain("：");
});
