import { type Browser, expect, test } from "@playwright/test";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { hydrated, loginAs } from "../tests/helpers";

// Issue 2's budget, measured where it matters: what a browser downloads on a first visit
// (empty cache, no service worker) before the page is interactive. Every script, wasm
// and style sheet whose request started before the page's islands had all hydrated (the
// `minqing:hydrated` event) is counted at its brotli size. What a page fetches after
// that (the field outbox's engine, `app/src/outbox/engine.rs`) is listed and summed on
// its own line. Prints a table; fails if an entry page is over 250 KB until interactive.

const BUDGET = 250_000;

/** The doors people come in by, and who comes through them. */
const ENTRIES: { path: string; who?: string }[] = [
  { path: "/" },
  { path: "/petition" },
  { path: "/track" },
  { path: "/login" },
  { path: "/field", who: "officer" },
  { path: "/field/report", who: "officer" },
  { path: "/field/weekly", who: "officer" },
  { path: "/field/outbox", who: "officer" },
  { path: "/office/petitions", who: "clerk" },
];

const brotli = (b: Buffer) =>
  brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** A file the page fetched, at its raw, gzip and brotli sizes. */
type Fetched = { url: string; raw: number; gz: number; br: number };

/** One line of the table: a label and three byte counts, aligned. */
const line = (label: string, ...sizes: (number | string)[]) =>
  `${label.padEnd(62)}${sizes.map((n) => String(n).padStart(10)).join("")}`;

/** The cookies of a logged-in `who`, from a context that is then thrown away. */
async function sessionOf(browser: Browser, baseURL: string, who: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await loginAs(page, who);
  const state = await context.storageState();
  await context.close();
  return state;
}

test("first visit downloads at most 250 KB brotli before it is interactive", async ({ browser }, info) => {
  const baseURL = String(info.project.use.baseURL);
  const rows: string[] = [];
  const over: string[] = [];
  for (const { path, who } of ENTRIES) {
    const storageState = who ? await sessionOf(browser, baseURL, who) : undefined;
    const context = await browser.newContext({ baseURL, storageState, serviceWorkers: "block" });
    const page = await context.newPage();
    // The moment the page became interactive, on the page's own clock.
    await page.addInitScript(() => {
      // A field page fetches some 300 files; the browser keeps 250 timings by default.
      performance.setResourceTimingBufferSize(2000);
      addEventListener("minqing:hydrated", () => ((window as any).__hydratedAt = performance.now()), { once: true });
    });
    const fetched: Promise<Fetched>[] = [];
    page.on("response", (response) => {
      const url = new URL(response.url());
      if (!/\.(wasm|js|css)$/.test(url.pathname)) return;
      fetched.push(
        response.body().then((body) => ({ url: url.pathname, raw: body.length, gz: gzipSync(body, { level: 9 }).length, br: brotli(body) })),
      );
    });
    await page.goto(path);
    await expect(page).toHaveURL(new RegExp(`${path.replace(/\//g, "\\/")}$`));
    await hydrated(page);
    // Let what the page fetches once interactive arrive too, to list it apart.
    await page.waitForLoadState("networkidle");
    const started = await page.evaluate(() => {
      // Never undefined once hydrated; if it were, every file would count as before.
      const at = ((window as any).__hydratedAt as number | undefined) ?? Infinity;
      return (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).map((e) => ({
        path: new URL(e.name).pathname,
        before: e.startTime < at,
      }));
    });
    const files = await Promise.all(fetched);
    await context.close();
    const before = (f: Fetched) => started.find((s) => s.path === f.url)?.before ?? true;
    const sum = (list: Fetched[], k: "raw" | "gz" | "br") => list.reduce((n, f) => n + f[k], 0);
    const first = files.filter(before);
    const later = files.filter((f) => !before(f));
    for (const f of first) rows.push(line(`  ${f.url}`, f.raw, f.gz, f.br));
    rows.push(line(path + (who ? ` (${who})` : ""), sum(first, "raw"), sum(first, "gz"), sum(first, "br")));
    if (later.length > 0) {
      for (const f of later) rows.push(line(`    then ${f.url}`, f.raw, f.gz, f.br));
      rows.push(line(`  then, once interactive`, sum(later, "raw"), sum(later, "gz"), sum(later, "br")));
    }
    if (sum(first, "br") > BUDGET) over.push(`${path}: ${sum(first, "br")} bytes`);
  }
  console.log(line("first visit: files until interactive (hydrated)", "raw", "gzip", "brotli"));
  console.log(rows.join("\n"));
  console.log(`budget: ${BUDGET} bytes brotli per entry page`);
  expect(over, "entry pages over the budget").toEqual([]);
});
