// The phone benchmark (./x bench-phone): the same server and browser as the tests, but
// the scripts in bench/, which measure instead of check, and may take many minutes.
import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: /.*\.bench\.ts/,
  timeout: 30 * 60_000,
  expect: { timeout: 60_000 },
});
