import { expect, type Page, test } from "@playwright/test";
import { controlledByServiceWorker, hydrated, loginAs } from "../tests/helpers";

// Issue 5's phone figure: 200 queued reports, 50 of them with a photo, synced over a
// throttled link (Chromium's network emulation: 1.6 Mbit/s down, 750 kbit/s up, 150 ms
// round trip). Prints the total time and compares it with the bytes sent divided by the
// upload bandwidth (goal: within 1.5×).

const REPORTS = Number(process.env.BENCH_REPORTS ?? 200);
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 50);
const DOWN = 1.6e6 / 8; // bytes a second
const UP = 750e3 / 8;
const RTT_MS = 150;

/** A photo as a phone camera gives it: a large, detailed JPEG (noise does not compress). */
async function cameraPhoto(page: Page, seed: number): Promise<Buffer> {
  const b64 = await page.evaluate(async (seed) => {
    const canvas = new OffscreenCanvas(2400, 1800);
    const ctx = canvas.getContext("2d")!;
    const img = ctx.createImageData(2400, 1800);
    let x = seed * 2654435761;
    for (let i = 0; i < img.data.length; i += 4) {
      x = (x * 1103515245 + 12345) >>> 0;
      // Smooth-ish texture plus noise, like a photo of a field or a wall.
      img.data[i] = (i / 4) % 256 ^ (x & 63);
      img.data[i + 1] = ((i / 9600) | 0) % 256 ^ ((x >> 6) & 63);
      img.data[i + 2] = (x >> 12) & 255;
      img.data[i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, seed);
  return Buffer.from(b64, "base64");
}

/** Bytes the phone holds to send: sealed records and photos, less the 16-byte tags. */
async function queuedBytes(page: Page): Promise<{ records: number; photos: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("minqing");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction(["outbox", "photos"]);
          const out = { records: 0, photos: 0 };
          const r = tx.objectStore("outbox").getAll();
          r.onsuccess = () => (out.records = r.result.reduce((n, v) => n + v.ct.length - 16, 0));
          const p = tx.objectStore("photos").getAll();
          p.onsuccess = () => (out.photos = p.result.reduce((n, v) => n + v.ct.length - 16, 0));
          tx.oncomplete = () => resolve(out);
        };
      }),
  );
}

test("200 reports with 50 photos over a throttled link", async ({ page, context }) => {
  test.setTimeout(30 * 60_000);
  await page.goto("/");
  await controlledByServiceWorker(page);
  await loginAs(page, "officer");
  await page.goto("/field/report");
  await hydrated(page);
  const photos: Buffer[] = [];
  for (let i = 0; i < PHOTOS; i++) photos.push(await cameraPhoto(page, i + 1));
  console.log(`camera photos: ${(photos.reduce((n, p) => n + p.length, 0) / PHOTOS / 1024).toFixed(0)} KB each`);

  // One DevTools session drives the link: off first, then the slow link (Playwright's
  // own setOffline would reset the throttling).
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: true,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  const kinds = ["land", "wages_owed", "neighbours", "family", "environment", "safety"];
  for (let i = 0; i < REPORTS; i++) {
    await page.locator("#kind").selectOption(kinds[i % kinds.length]);
    await page.locator("#place").fill(`东湖村${(i % 9) + 1}组`);
    await page.locator("#parties").fill(`当事人${i}`);
    await page.locator("#description").fill(`第 ${i} 条：排查中发现的情况，已现场劝解并登记。`.repeat(3));
    if (i < PHOTOS) {
      await page.locator("#photos").setInputFiles({ name: `p${i}.jpg`, mimeType: "image/jpeg", buffer: photos[i] });
      await expect(page.getByTestId("photo-list").locator("li")).toHaveCount(1);
    }
    await page.getByRole("button", { name: "保存并发送" }).click();
    await expect(page.locator("#place")).toHaveValue("");
  }
  await expect(page.getByTestId("outbox-badge")).toHaveText(String(REPORTS));
  const bytes = await queuedBytes(page);

  const started = Date.now();
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: RTT_MS,
    downloadThroughput: DOWN,
    uploadThroughput: UP,
  });
  // The "online" event starts the sync by itself.
  await expect(page.getByTestId("outbox-badge")).toHaveCount(0, { timeout: 20 * 60_000 });
  const seconds = (Date.now() - started) / 1000;

  const sent = bytes.records + bytes.photos;
  const ideal = sent / UP;
  console.log(
    [
      `reports: ${REPORTS}, photos: ${PHOTOS} (${(bytes.photos / PHOTOS / 1024).toFixed(0)} KB each after compression)`,
      `bytes to send: ${(sent / 1e6).toFixed(2)} MB (records ${(bytes.records / 1e6).toFixed(2)} MB, photos ${(bytes.photos / 1e6).toFixed(2)} MB)`,
      `bytes / upload bandwidth: ${ideal.toFixed(1)} s`,
      `sync took: ${seconds.toFixed(1)} s = ${(seconds / ideal).toFixed(2)} × (goal ≤ 1.5 ×)`,
    ].join("\n"),
  );
});
