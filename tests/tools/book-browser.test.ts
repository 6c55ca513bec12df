// The book in a real browser: Chromium (Debian's, or CHROMIUM_PATH), driven by playwright-core,
// against the `npm run book` server on 127.0.0.1. Screenshots go to test-results/ (gitignored).
// Without Chromium these tests are skipped with a line saying what to install (failed under CI=true).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STEPS } from "../../tools/curriculum.ts";
import { CHROMIUM, launchChromium, requireProgram } from "../system-programs.ts";
import { tempDir } from "../temp-dir.ts";

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
// A copy of the book and the files it includes, so the live-reload test can edit a chapter.
const work = tempDir("book-serve");

beforeAll(async () => {
  if (!chromiumPath.path) return;
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
    expect(await page.locator("#content h1").innerText()).toBe("13. Language model head");
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

  it("numbers every step's chapter in the sidebar by its step, and the pages between steps not at all", async () => {
    await page.goto(`${base}/`);
    const entries = await page.locator("#sidebar .chapter-item a").evaluateAll((links) =>
      links.map((a) => ({
        href: a.getAttribute("href") ?? "",
        number: a.querySelector("strong")?.textContent ?? "",
      })),
    );
    for (const step of STEPS)
      expect(entries.find((e) => e.href.endsWith(`step_${step.nn}.html`))?.number, `step ${step.nn}`).toBe(
        `${Number(step.nn)}.`,
      );
    for (const other of entries.filter((e) => !/step_\d+\.html$/.test(e.href)))
      expect(other.number, other.href).toBe("");
    expect(await page.locator("#sidebar .part-title").first().innerText()).toMatch(/^PART I\s+FOUNDATIONS$/i);
  });

  it("draws every formula's square-root signs (KaTeX's SVGs keep their height)", async () => {
    await page.goto(`${base}/print.html`);
    const heights = await page.evaluate(() =>
      [...document.querySelectorAll("#content .katex .sqrt svg")].map((svg) => svg.getBoundingClientRect().height),
    );
    expect(heights.length, "square roots in the book").toBeGreaterThan(0);
    expect(Math.min(...heights), "the flattest √ sign, in px").toBeGreaterThan(5);
  });

  it("has the whole book on one page to print", async () => {
    const response = await page.goto(`${base}/print.html`);
    expect(response?.status()).toBe(200);
    expect(await page.locator("#content h1").count()).toBeGreaterThanOrEqual(STEPS.length + 2);
    expect(await page.locator("#content").innerText()).toContain("Cross-entropy loss");
    // On paper: the chapters only, without the sidebar, the top bar or the copy buttons.
    await page.emulateMedia({ media: "print" });
    for (const chrome of ["#sidebar", "#topbar", ".pager", "#content pre .copy"])
      expect(await page.locator(chrome).first().isVisible(), chrome).toBe(false);
    await page.emulateMedia({ media: "screen" });
  });

  it("shows comments in code at 4.5:1 or more, in both themes", async () => {
    await page.goto(`${base}/step_13.html`);
    for (const theme of ["light", "dark"]) {
      await page.evaluate((t) => {
        document.documentElement.className = t;
      }, theme);
      const worst = await page.evaluate(() => {
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const luminance = (c: string) => {
          const [r, g, b] = rgb(c).map((v) =>
            v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4,
          );
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const contrast = (a: string, b: string) => {
          const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
          return (hi + 0.05) / (lo + 0.05);
        };
        const comments = [...document.querySelectorAll("#content pre.shiki span")].filter((s) =>
          /^\s*\/\//.test(s.textContent ?? ""),
        );
        const ratios = comments.map((s) =>
          contrast(getComputedStyle(s).color, getComputedStyle(s.closest("pre")!).backgroundColor),
        );
        return { count: ratios.length, worst: Math.min(...ratios) };
      });
      expect(worst.count, theme).toBeGreaterThan(0);
      expect(worst.worst, theme).toBeGreaterThanOrEqual(4.5);
    }
    await page.evaluate(() => localStorage.removeItem("book-theme"));
  });

  it("fits a 390 px phone: every chapter without sideways scrolling, its title in the first screen", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const chapters = await phone
      .goto(`${base}/`)
      .then(() =>
        phone
          .locator("#sidebar .chapter-item a")
          .evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? "")),
      );
    for (const href of chapters) {
      await phone.goto(`${base}/${href}`);
      const { scrollWidth, innerWidth, h1 } = await phone.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        h1: document.querySelector("#content h1")!.getBoundingClientRect(),
      }));
      expect(scrollWidth, href).toBeLessThanOrEqual(innerWidth);
      expect(h1.bottom, href).toBeLessThanOrEqual(844);
      expect(h1.left, `${href}: the sidebar is closed`).toBeLessThan(100);
    }
    await phone.click("#sidebar-toggle");
    expect(await phone.locator("#sidebar").isVisible()).toBe(true);
    await phone.screenshot({ path: path.join(shots, "book-phone-sidebar.png") });
    await phone.close();
  }, 120_000);

  it("reloads the page when a chapter changes", async () => {
    await page.goto(`${base}/step_13.html`);
    const reloaded = page.waitForEvent("load", { timeout: 20_000 });
    appendFileSync(path.join(work, "book", "src", "step_13.md"), "\nA sentence added while the server runs.\n");
    await reloaded;
    await page.locator("text=A sentence added while the server runs.").waitFor({ timeout: 10_000 });
  });
});
