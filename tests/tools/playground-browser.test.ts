// The playground of `npm run serve` in headless Chromium, used as a person would: type a prompt,
// watch tokens stream in, click one to see its candidates and the attention that chose it.
// Without Chromium these tests are skipped with a line saying what to install (failed under CI=true).
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, requireProgram } from "../system-programs.ts";
import { root } from "./run-tool.ts";
import { ServeProcess } from "./serve-process.ts";

const chromiumPath = requireProgram(CHROMIUM);
let server: ServeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!chromiumPath.path) return;
  server = await ServeProcess.start();
  browser = await launchChromium(chromiumPath.path);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.stop();
});

describe("the playground in Chromium", () => {
  beforeEach((context) => {
    if (chromiumPath.skipReason) context.skip(chromiumPath.skipReason);
  });

  it("streams tokens for a typed prompt, and shows a clicked token's candidates and attention", async () => {
    await page.goto(`${server.url}/`);
    await page.locator("#model").filter({ hasText: "tiny-gpt2" }).waitFor();
    await page.fill("#prompt", "1+2=3"); // characters the tiny model's 64-token vocabulary has
    await page.fill("#max-tokens", "12");
    await page.fill("#top-k", "3");
    await page.click("#generate");
    await page.locator("#output .token").nth(11).waitFor();
    await page.locator("#status", { hasText: "12 tokens" }).waitFor();
    expect(await page.locator("#output .prompt").innerText()).toBe("1+2=3");

    await page.locator("#output .token").nth(4).click();
    await page.locator("#inspect .bar").nth(2).waitFor();
    expect(await page.locator("#inspect .bar.chosen").count()).toBeLessThanOrEqual(1);
    const picture = page.locator("#attention svg");
    await picture.first().waitFor();
    expect(await page.locator("#attention").innerHTML()).toContain("L1 H3");
    await page.screenshot({ path: path.join(root, "test-results", "playground.png") });
  });

  it("fits a 390 px phone: no sideways scrolling, a wide prompt box, the inspector under the text", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${server.url}/`);
    await phone.locator("#model").filter({ hasText: "tiny-gpt2" }).waitFor();
    await phone.fill("#prompt", "1+2=3");
    await phone.fill("#max-tokens", "6");
    await phone.click("#generate");
    await phone.locator("#status", { hasText: "6 tokens" }).waitFor();
    await phone.locator("#output .token").nth(2).click();
    await phone.locator("#attention svg").first().waitFor();
    const layout = await phone.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      prompt: document.getElementById("prompt")!.getBoundingClientRect().width,
      controls: document.querySelector(".controls")!.getBoundingClientRect().top,
      output: document.getElementById("output")!.getBoundingClientRect(),
      inspect: document.getElementById("inspect")!.getBoundingClientRect().top,
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    expect(layout.prompt).toBeGreaterThanOrEqual(300);
    expect(layout.controls).toBeLessThan(layout.output.top);
    expect(layout.inspect).toBeGreaterThanOrEqual(layout.output.bottom);
    expect(await phone.locator("#attention").innerText()).toContain("key tokens");
    await phone.screenshot({ path: path.join(root, "test-results", "playground-phone.png"), fullPage: true });
    await phone.close();
  });

  it("says what was wrong with a prompt the model cannot read", async () => {
    await page.goto(`${server.url}/`);
    await page.fill("#prompt", "Hello"); // GPT-2's id 15496: outside the tiny model's vocabulary
    await page.click("#generate");
    await page.locator("#error", { hasText: "out of range" }).waitFor();
  });
});
