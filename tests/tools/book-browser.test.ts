// The book in a real browser: Chromium (Debian's, or CHROMIUM_PATH), driven by playwright-core,
// against the `npm run book` server on 127.0.0.1. Screenshots go to test-results/ (gitignored).
// Without Chromium these tests are skipped with a line saying what to install (failed under CI=true).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, requireProgram } from "../system-programs.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const chromiumPath = requireProgram(CHROMIUM);
const shots = path.join(root, "test-results");

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let server: ChildProcess;
let browser: Browser;
let page: Page;
let base = "";
let work = "";

beforeAll(async () => {
  if (!chromiumPath.path) return;
  // A copy of the book and the files it includes, so the live-reload test can edit a chapter.
  work = mkdtempSync(path.join(tmpdir(), "book-serve-"));
  for (const dir of ["book", "steps", "solutions"])
    cpSync(path.join(root, dir), path.join(work, dir), {
      recursive: true,
      filter: (f) => !f.includes(`${path.sep}build`),
    });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    process.execPath,
    ["--import", "tsx", "tools/commands/book.ts", "--book", path.join(work, "book"), "--port", String(port)],
    { cwd: root },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the book server did not start:\n${output}`)), 30_000);
    const listen = (data: Buffer) => {
      output += data;
      if (output.includes("serving the book at http://127.0.0.1:")) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on("data", listen);
    server.stderr!.on("data", listen);
    server.on("exit", (code) => reject(new Error(`the book server exited (${code}):\n${output}`)));
  });
  browser = await launchChromium(chromiumPath.path);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
});

describe("the book in Chromium", () => {
  beforeEach((context) => {
    if (chromiumPath.skipReason) context.skip(chromiumPath.skipReason);
  });

  it("opens the home page and follows the sidebar to step 13", async () => {
    await page.goto(`${base}/`);
    await expect(page.title()).resolves.toMatch(/Introduction · GPT-2 from Scratch in TypeScript/);
    await page.click("#sidebar >> text=Language model head");
    await page.waitForURL(/step_13\.html$/);
    expect(await page.locator("#content h1").innerText()).toBe("Language model head");
    expect(await page.locator("#sidebar a.active").innerText()).toMatch(/13\.\s+Language model head/);
    const skeleton = page.locator("#content pre", { hasText: 'throw notImplemented("13"' });
    await skeleton.scrollIntoViewIfNeeded();
    expect(await skeleton.isVisible()).toBe(true);
    const validation = page.locator("#content p", { hasText: "Validation: npm run s13" }).first();
    expect(await validation.isVisible()).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, "book-step13-light.png") });
  });

  it("finds “weight tying” with the search box", async () => {
    await page.fill("#search", "weight tying");
    const first = page.locator("#search-results a").first();
    await first.waitFor({ state: "visible" });
    expect(await first.innerText()).toMatch(/Language model head › Weight tying/);
    await first.click();
    await page.waitForURL(/step_13\.html#weight-tying$/);
  });

  it("toggles dark mode and remembers it", async () => {
    await page.click("#theme-toggle");
    expect(await page.evaluate(() => document.documentElement.className)).toBe("dark");
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(13, 17, 23)");
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.className)).toBe("dark");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, "book-step13-dark.png") });
  });

  it("reloads the page when a chapter changes", async () => {
    await page.goto(`${base}/step_13.html`);
    const reloaded = page.waitForEvent("load", { timeout: 20_000 });
    appendFileSync(path.join(work, "book", "src", "step_13.md"), "\nA sentence added while the server runs.\n");
    await reloaded;
    await page.locator("text=A sentence added while the server runs.").waitFor({ timeout: 10_000 });
  });
});
