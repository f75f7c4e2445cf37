import { expect, test, type Page } from "@playwright/test";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { OFFICE_INFO, loginAs, publishOfficeInfo, registerLetter, staffPage, takeStep } from "./helpers";

// The office's documents printed to A4 PDFs as Chromium prints them, read back page by
// page: long content runs onto numbered pages, the closing paragraph, seal line and date
// stay on one page, and a decision of some 450 characters fits one page.

/** `n` characters of plausible Chinese prose (a sentence of 30, repeated). */
function prose(n: number): string {
  const sentence = "经现场查看并走访相关村民，该路段路面塌陷约二十米，雨天积水无法通行。";
  return sentence.repeat(Math.ceil(n / sentence.length)).slice(0, n - 1) + "。";
}

/**
 * Chromium's PDF names a glyph that an ideograph shares with a radical by the radical's
 * code point (月 as ⽉, 页 as ⻚), so extracted text is brought back to ideographs: the
 * Kangxi radicals by NFKC, the simplified ones (which have no decomposition) by this map.
 */
const SIMPLIFIED_RADICALS: Record<string, string> = Object.fromEntries(
  Array.from("⺠民⺰纟⻄西⻅见⻆角⻈讠⻉贝⻋车⻌辶⻐钅⻓长⻔门⻙韦⻚页⻛风⻜飞⻠饣⻢马⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻬齐⻮齿⻰龙")
    .reduce<string[][]>((pairs, c, i, all) => (i % 2 ? pairs : [...pairs, [c, all[i + 1]]]), []),
);

function ideographs(text: string): string {
  const kangxi = (c: string) => (c >= "\u2f00" && c <= "\u2fdf" ? c.normalize("NFKC") : c);
  return Array.from(text, (c) => SIMPLIFIED_RADICALS[c] ?? kangxi(c)).join("");
}

/** The text of each page of the PDF, whitespace removed (the PDF places words apart). */
async function pdfPages(pdf: Buffer): Promise<string[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(ideographs(content.items.map((item) => ("str" in item ? item.str : "")).join("")).replace(/\s+/g, ""));
  }
  await doc.destroy();
  return pages;
}

const SEAL = "东湖镇信访办公室（盖章）";

/**
 * Opens a document of the case at `caseUrl`, checks its number, prints it to an A4 PDF and
 * answers the text of its pages. The seal line is always on the page of `closing` (the
 * last paragraph), which is the last page, with the office's contacts.
 */
async function printed(page: Page, caseUrl: string, doc: string, prefix: string, closing: string): Promise<string[]> {
  await page.goto(`${caseUrl}/print/${doc}`);
  await expect(page.locator(".doc-number")).toHaveText(new RegExp(`^${prefix}〔\\d{4}〕\\d+号$`));
  const pages = await pdfPages(await page.pdf({ format: "A4" }));
  const sealed = pages.findIndex((p) => p.includes(SEAL));
  expect(sealed, `${doc}: the seal line is printed`).toBeGreaterThanOrEqual(0);
  expect(sealed, `${doc}: the seal line is on the last page`).toBe(pages.length - 1);
  expect(pages[sealed], `${doc}: the last paragraph is on the seal line's page`).toContain(closing.replace(/\s+/g, ""));
  expect(pages[sealed]).toMatch(/\d{4}年\d{1,2}月\d{1,2}日/);
  expect(pages[sealed]).toContain(`地址：${OFFICE_INFO.address}`);
  expect(pages[sealed]).toContain(`电话：${OFFICE_INFO.phone}`);
  return pages;
}

/** A document of more than one page numbers each page "第 i 页 共 n 页"; one page, none. */
function expectPageNumbers(pages: string[]): void {
  pages.forEach((text, i) => {
    if (pages.length > 1) expect(text).toContain(`第${i + 1}页共${pages.length}页`);
    else expect(text).not.toMatch(/第\d+页/);
  });
}

test("each document prints on numbered A4 pages with its closing, seal and date together", async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  await loginAs(page, "admin");
  await publishOfficeInfo(page);

  // A letter with the longest subject and a long account, registered at the desk.
  const clerk = await staffPage(browser, "clerk");
  const subject = `村道塌陷-${Date.now()}-${"三组至五组村道".repeat(12)}`.slice(0, 100);
  const caseUrl = await registerLetter(clerk, { subject, content: prose(2400) });

  // The receipt notice: one page, to the petitioner.
  await clerk.goto(`${caseUrl}/print/receipt_notice`);
  await expect(clerk.locator(".doc-issuer")).toHaveText("东湖镇信访办公室");
  await expect(clerk.locator(".doc-addressee")).toHaveText("张秀英：");
  const notice = await printed(clerk, caseUrl, "receipt_notice", "信受", "特此告知。");
  expect(notice).toHaveLength(1);
  expectPageNumbers(notice);
  // Printed again, it is the same document.
  const number = await clerk.locator(".doc-number").innerText();
  await clerk.reload();
  await expect(clerk.locator(".doc-number")).toHaveText(number);

  // The assignment sheet, to the department, with the long account: two pages or more.
  await clerk.goto(caseUrl);
  let department = "";
  await takeStep(clerk, "assign", async (f) => {
    const unit = f.getByLabel("承办单位");
    department = (await unit.locator("option").nth(1).innerText()).trim();
    await unit.selectOption({ index: 1 });
  });
  await clerk.goto(`${caseUrl}/print/assignment`);
  await expect(clerk.locator(".doc-addressee")).toHaveText(`${department}：`);
  const sheet = await printed(clerk, caseUrl, "assignment", "信交", "出具书面处理意见并报本办。");
  expect(sheet.length).toBeGreaterThanOrEqual(2);
  expectPageNumbers(sheet);

  // The written decision with long sections: two pages or more.
  await clerk.goto(caseUrl);
  await takeStep(clerk, "accept");
  await takeStep(clerk, "start_handling");
  await takeStep(clerk, "record_decision", async (f) => {
    await f.getByLabel("诉求").fill(prose(400));
    await f.getByLabel("事实和理由").fill(prose(900));
    await f.getByLabel(/^处理意见/).fill(prose(700));
    await f.getByLabel("法律政策依据").fill("《农村公路建设管理办法》第二十三条。");
    await f.getByLabel("处理结果").selectOption("supported");
  });
  const decision = await printed(clerk, caseUrl, "decision", "信处", "请求原办理机关的上一级机关复查");
  expect(decision.length).toBeGreaterThanOrEqual(2);
  expectPageNumbers(decision);

  // A decline with long reasons.
  const declined = await registerLetter(clerk, { subject: "重复反映的事项", content: prose(200) });
  await takeStep(clerk, "decline", (f) => f.getByLabel("理由").fill(prose(2600)));
  const decline = await printed(clerk, declined, "decline_notice", "信不受", "特此告知。");
  expect(decline.length).toBeGreaterThanOrEqual(2);
  expectPageNumbers(decline);
});

test("a written decision of some 450 characters prints on one page", async ({ browser }) => {
  test.setTimeout(120_000);
  const clerk = await staffPage(browser, "clerk");
  const caseUrl = await registerLetter(clerk, { subject: "灌溉渠堵塞", content: prose(300) });
  await takeStep(clerk, "accept");
  await takeStep(clerk, "start_handling");
  const sections = [prose(100), prose(190), prose(140), "《农田水利条例》第二十九条、第三十条。"];
  expect(sections.join("").length).toBeGreaterThanOrEqual(445);
  await takeStep(clerk, "record_decision", async (f) => {
    await f.getByLabel("诉求").fill(sections[0]);
    await f.getByLabel("事实和理由").fill(sections[1]);
    await f.getByLabel(/^处理意见/).fill(sections[2]);
    await f.getByLabel("法律政策依据").fill(sections[3]);
    await f.getByLabel("处理结果").selectOption("explained");
  });
  await clerk.goto(`${caseUrl}/print/decision`);
  const pages = await pdfPages(await clerk.pdf({ format: "A4" }));
  expect(pages).toHaveLength(1);
  expect(pages[0]).toContain(SEAL);
  expect(pages[0]).toContain("请求原办理机关的上一级机关复查");
  expectPageNumbers(pages);
});

test("the receipt names the subject, the office and how to follow the petition", async ({ browser }) => {
  const clerk = await staffPage(browser, "clerk");
  await clerk.goto("/office/intake");
  await clerk.getByLabel("信访形式").selectOption("visit");
  await clerk.getByLabel("信访类别").selectOption({ label: "建议意见" });
  await clerk.getByLabel("标题").fill("建议增设公交站");
  await clerk.getByLabel("反映的主要问题").fill("村口到镇上没有公交站。");
  await clerk.getByLabel("信访人姓名").fill("李四");
  await clerk.getByRole("button", { name: "登记" }).click();
  await expect(clerk.getByRole("heading", { name: "受理回执" })).toBeVisible();
  await expect(clerk.locator("#receipt-subject")).toHaveText("建议增设公交站");
  await expect(clerk.locator("#receipt-office")).toHaveText("东湖镇信访办公室");
  const code = (await clerk.locator("#tracking-code").innerText()).trim();
  await expect(clerk.locator("#receipt-track")).toContainText(`/track?code=${code}`);
});
