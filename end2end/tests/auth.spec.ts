import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, hydrated, loginAs, watchConsole } from "./helpers";

// Every demo account, its role's name on the account page, and where it lands.
const ROLES = [
  { username: "admin", role: "系统管理员", home: "/office", heading: "信访办工作台" },
  { username: "clerk", role: "信访办工作人员", home: "/office", heading: "信访办工作台" },
  { username: "leader", role: "包案领导", home: "/office", heading: "信访办工作台" },
  { username: "handler", role: "承办单位经办人", home: "/office", heading: "信访办工作台" },
  { username: "officer", role: "信息员", home: "/field", heading: "村级工作台" },
  { username: "gridworker", role: "网格员", home: "/field", heading: "村级工作台" },
  { username: "agent", role: "信访代理员", home: "/field", heading: "村级工作台" },
];

for (const { username, role, home, heading } of ROLES) {
  test(`${username} logs in to their home and logs out`, async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto("/login");
    await hydrated(page);
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "登录" }).click();
    await expect(page).toHaveURL(new RegExp(`${home}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);

    await page.getByRole("navigation").getByRole("link", { name: "我的账号" }).click();
    await expect(page.getByRole("listitem").filter({ hasText: role })).toBeVisible();
    await page.getByRole("button", { name: "退出登录" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto(home);
    await expect(page).toHaveURL(new RegExp(`/login\\?next=${home}$`));
    expect(problems).toEqual([]);
  });
}

test("a field officer is refused the office pages", async ({ page }) => {
  await loginAs(page, "officer");
  for (const path of ["/office", "/office/users", "/office/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("无权访问");
  }
  await page.getByRole("link", { name: "回到我的工作台" }).click();
  await expect(page).toHaveURL(/\/field$/);
});

test("a form posted from another site is refused", async ({ page, baseURL }) => {
  // A page on another site (served by the test itself) that posts a login form to us.
  const ours = new URL(baseURL ?? "http://127.0.0.1:3100").origin;
  await page.route("http://evil.example/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<form method="post" action="${ours}/api/login">
        <input name="username" value="clerk"><input name="password" value="${DEMO_PASSWORD}">
        <button>go</button></form>`,
    }),
  );
  await page.goto("http://evil.example/");
  const answer = page.waitForResponse((r) => r.url().startsWith(`${ours}/api/login`));
  await page.getByRole("button", { name: "go" }).click();
  const response = await answer;
  expect(response.status()).toBe(403);
  expect(response.headers()["set-cookie"]).toBeUndefined();
  await expect(page.getByText("跨站提交已被拒绝")).toBeVisible();
  // And no session was opened: the office still asks for a login.
  await page.goto("/office");
  await expect(page).toHaveURL(/\/login/);
});

test("repeated failures lock the account with a clear message", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  // Each try waits for its answer: the message is the same every time, so the text
  // alone cannot tell one answer from the next.
  const attempt = async (password: string) => {
    await page.getByLabel("用户名").fill("leader");
    await page.getByLabel("密码").fill(password);
    const answer = page.waitForResponse((r) => r.url().includes("/api/login"));
    await page.getByRole("button", { name: "登录" }).click();
    await answer;
  };
  for (let i = 0; i < 5; i++) {
    await attempt(`wrong password ${i}`);
    await expect(page.getByRole("alert")).toHaveText("用户名或密码不正确。");
  }
  await attempt(DEMO_PASSWORD);
  await expect(page.getByRole("alert")).toContainText("登录失败次数过多");
  await expect(page).toHaveURL(/\/login/);
});

test("an admin creates an account that can then log in, and the audit log shows it", async ({ page }) => {
  await loginAs(page, "admin");
  await page.goto("/office/users");
  await hydrated(page);
  const form = page.locator("#create-user-form");
  await form.getByLabel("用户名").fill("liming");
  await form.getByLabel("姓名").fill("李明");
  await form.getByLabel("电话").fill("13800138000");
  await form.getByLabel("角色").selectOption({ label: "网格员" });
  await form.getByLabel("单位").selectOption({ label: "西岭村 · 第一网格" });
  // A weak first password is refused with the reason.
  await form.getByLabel("初始密码").fill("password1234");
  await form.getByRole("button", { name: "创建账号" }).click();
  await expect(form.getByRole("alert")).toContainText("太常见");
  await form.getByLabel("初始密码").fill("spring-river-2026-walk");
  await form.getByRole("button", { name: "创建账号" }).click();
  await expect(form.getByRole("status")).toContainText("账号已创建");
  await expect(page.locator('[data-username="liming"]')).toContainText("网格员 · 第一网格");

  await page.goto("/office/audit?action=create_user");
  await expect(page.getByRole("row", { name: /新建账号/ }).first()).toContainText("admin");

  await page.getByRole("navigation").getByRole("link", { name: "我的账号" }).click();
  await page.getByRole("button", { name: "退出登录" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await loginAs(page, "liming", "spring-river-2026-walk");
  await expect(page).toHaveURL(/\/field$/);
  // The top bar's menu names who is logged in.
  await expect(page.locator("header details.bar-menu > summary")).toHaveAttribute("aria-label", "菜单（李明）");
});

test("an admin imports a roster: a bad file is refused with its problems, a good one goes in whole", async ({
  page,
}) => {
  await loginAs(page, "admin");
  await page.goto("/office/roster");
  await hydrated(page);
  // One unit by hand, then the same again: refused as a duplicate.
  const add = page.locator("#add-unit-form");
  for (const expected of ["已新增。", "“名称”重复了。"]) {
    await add.getByLabel("类型").selectOption("village");
    await add.getByLabel("上级单位").selectOption({ label: "东湖镇" });
    await add.getByLabel("名称", { exact: true }).fill("红星村");
    await add.getByRole("button", { name: "新增" }).click();
    await expect(add.getByText(expected)).toBeVisible();
  }
  const bad = [
    "用户名,姓名,电话,角色,单位,初始密码",
    "zhaohong,赵红,13800138001,信息员,南坪村,red-flag-village-01",
    "qianyi,钱一,,网格员,南坪村,red-flag-grid-one-01",
    "sunsan,孙三,12345,信息员,南坪村,red-flag-village-03",
  ].join("\r\n");
  await page.getByLabel("名册文件").setInputFiles({ name: "人员.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.getByRole("button", { name: "导入" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "没有导入任何内容" })).toBeVisible();
  const problems = page.locator("#roster-problems");
  await expect(problems.getByRole("row", { name: /角色/ })).toContainText("不能设在所选的单位");
  await expect(problems.getByRole("row", { name: /电话/ })).toContainText("12345");

  const good = [
    "用户名,姓名,电话,角色,单位,初始密码",
    "zhaohong,赵红,13800138001,信息员,南坪村,red-flag-village-01",
    "qianyi,钱一,,网格员,南坪村/第一网格,red-flag-grid-one-01",
  ].join("\r\n");
  await page.getByLabel("名册文件").setInputFiles({ name: "人员.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.getByRole("button", { name: "导入" }).click();
  await expect(page.getByRole("status").filter({ hasText: "已导入" })).toHaveText("已导入 0 个单位、2 个账号。");
  await page.goto("/office/users");
  await expect(page.locator('[data-username="qianyi"]')).toContainText("网格员 · 第一网格");
});
