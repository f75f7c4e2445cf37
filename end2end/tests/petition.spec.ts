import { expect, test, type Page } from "@playwright/test";
import {
  OFFICE_INFO,
  chinaToday,
  follow,
  hydrated,
  loginAs,
  publishOfficeInfo,
  staffPage,
  takeStep,
  watchConsole,
} from "./helpers";

// A tiny JPEG whose EXIF block holds a GPS position (the server must strip it).
function jpegWithGps(): Buffer {
  const exif = Buffer.from("Exif\0\0GPS-31.2304N-121.4737E");
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, exif.length + 2]),
    exif,
    Buffer.from([0xff, 0xdb, 0, 67, 0]),
    Buffer.alloc(64, 1),
    Buffer.from([0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
    Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]),
    Buffer.from([0x12, 0x34, 0xff, 0xd9]),
  ]);
}

type Petition = {
  subject: string;
  content: string;
  phone: string;
  residentId?: string;
  files?: { name: string; mimeType: string; buffer: Buffer }[];
};

/** Fills the public form as a person would, answering the sum in the check question. */
async function fillPetition(page: Page, p: Petition): Promise<void> {
  await page.getByLabel("信访类别").selectOption({ label: "申诉求决" });
  await page.getByLabel("所涉村(社区)").selectOption({ index: 1 });
  await page.getByLabel("标题").fill(p.subject);
  await page.getByLabel("反映的主要问题").fill(p.content);
  await page.getByLabel("信访人姓名").fill("张秀英");
  await page.getByLabel("身份证号").fill(p.residentId ?? "11010519491231002X");
  await page.getByLabel("电话").fill(p.phone);
  if (p.files) await page.getByLabel("附件", { exact: true }).setInputFiles(p.files);
  await page.getByRole("checkbox").check();
  await answerChallenge(page);
}

/** Works out the sum in the form's check question and types the answer. */
async function answerChallenge(page: Page): Promise<void> {
  const question = await page.locator("label[for=challenge]").innerText();
  const [, a, b] = question.match(/(\d+) 加 (\d+)/) ?? [];
  await page.getByLabel(/验证问题/).fill(String(Number(a) + Number(b)));
}

/** Files a petition and returns what the receipt shows. */
async function filePetition(page: Page, p: Petition): Promise<{ code: string; password: string }> {
  await page.goto("/petition");
  const loaded = Date.now();
  await fillPetition(page, p);
  // A person takes more than three seconds; the server refuses anything faster.
  await page.waitForTimeout(Math.max(0, 3300 - (Date.now() - loaded)));
  await page.getByRole("button", { name: "提交" }).click();
  await expect(page.getByRole("heading", { name: "受理回执" })).toBeVisible();
  const code = (await page.locator("#tracking-code").innerText()).trim();
  const password = (await page.locator("#query-password").innerText()).trim();
  expect(code).toMatch(/^XF-\d{8}-\d{4}$/);
  expect(password).toMatch(/^[2-9A-HJKMNP-Z]{10}$/);
  return { code, password };
}

test("a petition goes from the public form to an evaluated reply", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const problems = watchConsole(page);
  const marker = `村道塌陷-${Date.now()}`;
  const { code, password } = await filePetition(page, {
    subject: marker,
    content: "<script>window.__xss = 1</script>三组村道塌陷，雨天无法通行。",
    phone: "13800138001",
    files: [{ name: "门口.jpg", mimeType: "image/jpeg", buffer: jpegWithGps() }],
  });
  expect(problems).toEqual([]);

  // The clerk finds it in the inbox, registers it and assigns it to a department.
  const clerk = await staffPage(browser, "clerk");
  await clerk.goto("/office/petitions?state=submitted");
  await follow(clerk, clerk.getByRole("link", { name: code }), /\/office\/petitions\/\d+$/);
  await expect(clerk.locator("#case-state")).toHaveText("待登记");
  // What the citizen typed is shown as text, never run.
  await expect(clerk.locator("#case-content")).toContainText("<script>window.__xss = 1</script>");
  expect(await clerk.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(clerk.getByRole("link", { name: "门口.jpg" })).toBeVisible();
  await takeStep(clerk, "register");
  await expect(clerk.locator("#case-state")).toHaveText("已登记");
  await takeStep(clerk, "assign", (f) => f.getByLabel("承办单位").selectOption({ index: 1 }));
  await expect(clerk.locator("#case-state")).toHaveText("已交办");
  const caseUrl = clerk.url();
  // The identity is shown only when asked for (and the server logs the read).
  await clerk.getByRole("button", { name: /查看信访人身份/ }).click();
  await expect(clerk.locator("#identity")).toContainText("11010519491231002X");

  // The department's handler accepts it and records the written decision; they never
  // see who filed it.
  const handler = await staffPage(browser, "handler");
  await handler.goto(caseUrl);
  await hydrated(handler);
  await expect(handler.getByRole("button", { name: /查看信访人身份/ })).toHaveCount(0);
  await takeStep(handler, "accept");
  await takeStep(handler, "start_handling");
  await takeStep(handler, "record_decision", async (f) => {
    await f.getByLabel("诉求").fill("修复村道");
    await f.getByLabel("事实和理由").fill("经现场查看，情况属实。");
    await f.getByLabel(/^处理意见/).fill("村道将于年内修复。");
    await f.getByLabel("法律政策依据").fill("《农村公路建设管理办法》");
    await f.getByLabel("处理结果").selectOption("supported");
  });

  // The clerk replies: the decision is delivered today.
  await clerk.reload();
  await hydrated(clerk);
  await takeStep(clerk, "reply", (f) => f.getByLabel("送达日期").fill(chinaToday()));
  await expect(clerk.locator("#case-state")).toHaveText("已答复");

  // The citizen reads the reply and rates it.
  await page.goto(`/track?code=${code}`);
  await expect(page.getByLabel("查询码")).toHaveValue(code);
  await page.getByLabel("查询密码").fill(password);
  await page.getByRole("button", { name: "查询" }).click();
  await expect(page.locator("#track-state")).toHaveText("已答复");
  await expect(page.locator("#reply-decision")).toHaveText("村道将于年内修复。");
  await expect(page.getByText("陈志强")).toHaveCount(0);
  await page.getByLabel("满意", { exact: true }).check();
  await page.getByLabel("意见", { exact: true }).fill("路修好了，谢谢。");
  await page.getByRole("button", { name: "提交评价" }).click();
  await expect(page.getByText("感谢您的评价")).toBeVisible();
  await expect(page.locator("#track-state")).toHaveText("已评价");

  // A wrong password reveals nothing about the petition.
  await page.goto("/track");
  await page.getByLabel("查询码").fill(code);
  await page.getByLabel("查询密码").fill("AAAAAAAAAA");
  const wrong = page.waitForResponse((r) => r.url().endsWith("/track") && r.request().method() === "POST");
  await page.getByRole("button", { name: "查询" }).click();
  expect((await wrong).status()).toBe(404);
  await expect(page.getByRole("alert")).toContainText("查询码或查询密码不正确");
  await expect(page.getByText(marker)).toHaveCount(0);
});

test("the form checks each field as the person leaves it", async ({ page }) => {
  await page.goto("/petition");
  await hydrated(page);
  await page.getByLabel("身份证号").fill("110105194912310021");
  await page.getByLabel("信访人姓名").focus();
  await expect(page.locator("#resident_id-error")).toContainText("校验位不对");
  await page.getByLabel("身份证号").fill("11010519491231002X");
  await expect(page.locator("#resident_id-error")).toHaveCount(0);
  // A message names the field by the label the person sees.
  await page.getByLabel("信访人姓名").fill("张");
  await page.getByLabel("电话").focus();
  await page.getByLabel("信访人姓名").fill("");
  await page.getByLabel("电话").focus();
  await expect(page.locator("#name-error")).toHaveText("请填写“信访人姓名”。");
  // A phone as people write it is taken, and shown as it will be kept.
  await page.getByLabel("电话").fill("+86 139-1234-5678");
  await page.getByLabel("住址").focus();
  await expect(page.getByLabel("电话")).toHaveValue("13912345678");
  await expect(page.locator("#phone-error")).toHaveCount(0);
  await expect(page.getByRole("group", { name: "您的信息" })).toBeVisible();
});

test("an ID and phone typed in full-width digits are accepted as ASCII", async ({ page }) => {
  await page.goto("/petition");
  await hydrated(page);
  const loaded = Date.now();
  await fillPetition(page, {
    subject: "全角数字",
    content: "手机输入法打出的全角数字。",
    phone: "１３８００１３８００９",
    residentId: "１１０１０５１９４９１２３１００２ｘ",
  });
  // Leaving each field shows what will be stored, and no problem.
  await expect(page.getByLabel("身份证号")).toHaveValue("11010519491231002x");
  await expect(page.getByLabel("电话")).toHaveValue("13800138009");
  await expect(page.locator("#resident_id-error")).toHaveCount(0);
  await expect(page.locator("#phone-error")).toHaveCount(0);
  await page.waitForTimeout(Math.max(0, 3300 - (Date.now() - loaded)));
  await page.getByRole("button", { name: "提交" }).click();
  await expect(page.getByRole("heading", { name: "受理回执" })).toBeVisible();
});

test("a stale form token never files a second citizen's petition under the first one's receipt", async ({
  page,
  browser,
}) => {
  test.setTimeout(60_000);
  // The first citizen files at the village PC; the page they used is no longer kept.
  await page.goto("/petition");
  const used = await page.locator("input[name=challenge_token]").inputValue();
  const loaded = Date.now();
  await fillPetition(page, { subject: "第一位的事", content: "第一位村民的内容。", phone: "13800138011" });
  const usedAnswer = await page.getByLabel(/验证问题/).inputValue();
  await page.waitForTimeout(Math.max(0, 3300 - (Date.now() - loaded)));
  await page.getByRole("button", { name: "提交" }).click();
  await expect(page.getByRole("heading", { name: "受理回执" })).toBeVisible();
  const first = (await page.locator("#tracking-code").innerText()).trim();
  const firstPassword = (await page.locator("#query-password").innerText()).trim();

  // The next citizen gets the form as the browser restored it from before: the first
  // one's token and question (answered right).
  const next = await (await browser.newContext()).newPage();
  await next.goto("/petition");
  await hydrated(next);
  const again = Date.now();
  await fillPetition(next, {
    subject: "第二位的事",
    content: "第二位村民的内容。",
    phone: "13900139011",
    residentId: "440524198001010013",
  });
  await next.locator("input[name=challenge_token]").evaluate((el, t) => ((el as HTMLInputElement).value = t), used);
  await next.getByLabel(/验证问题/).fill(usedAnswer);
  await next.waitForTimeout(Math.max(0, 3300 - (Date.now() - again)));
  const refused = next.waitForResponse((r) => r.url().endsWith("/petition") && r.request().method() === "POST");
  await next.getByRole("button", { name: "提交" }).click();
  expect((await refused).status()).toBe(422);
  await expect(next.locator("#challenge-error")).toContainText("这份表单已经提交过了");
  // Nothing of the first petition is shown; what the second citizen typed is kept.
  await expect(next.getByText(first)).toHaveCount(0);
  expect(await next.content()).not.toContain(firstPassword);
  await expect(next.getByLabel("标题")).toHaveValue("第二位的事");
  await expect(next.getByLabel("电话")).toHaveValue("13900139011");
  // The fresh form files it as its own petition.
  expect(await next.locator("input[name=challenge_token]").inputValue()).not.toBe(used);
  const fresh = Date.now();
  await answerChallenge(next);
  await next.waitForTimeout(Math.max(0, 3300 - (Date.now() - fresh)));
  await next.getByRole("button", { name: "提交" }).click();
  await expect(next.getByRole("heading", { name: "受理回执" })).toBeVisible();
  const second = (await next.locator("#tracking-code").innerText()).trim();
  expect(second).toMatch(/^XF-\d{8}-\d{4}$/);
  expect(second).not.toBe(first);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a citizen files a petition and gets a code", async ({ page }) => {
    await filePetition(page, { subject: "路灯不亮", content: "五组路灯坏了一个月。", phone: "13800138002" });
    await expect(page.getByText("查询密码只显示这一次")).toBeVisible();
  });

  test("bad input is named field by field and nothing typed is lost", async ({ page }) => {
    await page.goto("/petition");
    const loaded = Date.now();
    const big = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(10 * 1024 * 1024 + 1, 0x20)]);
    await fillPetition(page, {
      subject: "<b>加粗</b>",
      content: "</textarea><script>alert('x')</script> 内容",
      phone: "13800138003",
      residentId: "110105194912310021",
      files: [{ name: "big.pdf", mimeType: "application/pdf", buffer: big }],
    });
    await page.waitForTimeout(Math.max(0, 3300 - (Date.now() - loaded)));
    const answer = page.waitForResponse((r) => r.url().endsWith("/petition") && r.request().method() === "POST");
    await page.getByRole("button", { name: "提交" }).click();
    expect((await answer).status()).toBe(422);
    await expect(page.locator("#resident_id-error")).toContainText("校验位不对");
    await expect(page.locator("#attachments-error")).toContainText("不能超过 10 MB");
    // Everything typed is still there, as text.
    await expect(page.getByLabel("标题")).toHaveValue("<b>加粗</b>");
    await expect(page.getByLabel("反映的主要问题")).toHaveValue("</textarea><script>alert('x')</script> 内容");
    await expect(page.getByLabel("身份证号")).toHaveValue("110105194912310021");
    await expect(page.getByLabel("信访人姓名")).toHaveValue("张秀英");
    await expect(page.getByRole("checkbox")).toBeChecked();
  });
});

test("an admin publishes the office's contacts and citizens see them in the guide", async ({ page }) => {
  await loginAs(page, "admin");
  await publishOfficeInfo(page);
  await page.goto("/guide");
  const info = page.locator("#office-info");
  await expect(info).toContainText(OFFICE_INFO.phone);
  await expect(info).toContainText("每周三上午 镇领导接访日");
});

test("a clerk exports the registry as an Excel ledger", async ({ page }) => {
  await loginAs(page, "clerk");
  await page.goto("/office/petitions");
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "导出 Excel" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^petitions-\d{8}-\d{4}\.xlsx$/);
});

test("the clerk's intake form heads the petitioner's part as the petitioner's, not 'yours'", async ({ page }) => {
  await loginAs(page, "clerk");
  await page.goto("/office/intake");
  await expect(page.getByRole("group", { name: "信访人信息" })).toBeVisible();
  await expect(page.getByRole("group", { name: "您的信息" })).toHaveCount(0);
});
