import fs from "node:fs";
import path from "node:path";

/**
 * Run after all tests: every server they started kept its log in `.data/` (or in
 * MINQING_E2E_DATA). A panic there fails the run, even one in a background task that no
 * page showed (the server answers on, so no test would see it otherwise).
 */
export default async function noPanics(): Promise<void> {
  const dir = process.env.MINQING_E2E_DATA ?? path.join(__dirname, ".data");
  const logs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".log")) : [];
  if (logs.length === 0) throw new Error("no server log in end2end/.data: serve.sh no longer keeps one");
  const panics = logs.flatMap((f) => {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    const at = text.indexOf("panicked at");
    return at < 0 ? [] : [`${f}:\n${text.slice(Math.max(0, text.lastIndexOf("\n", at)), at + 1500)}`];
  });
  if (panics.length > 0) throw new Error(`the server panicked during the tests:\n${panics.join("\n\n")}`);
}
