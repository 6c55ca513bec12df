// Tests that need a program from outside npm: skipped with what to install on a laptop,
// required under CI=true. Both behaviours, shown by pointing CHROMIUM_PATH at a missing file.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHROMIUM, findProgram, requireProgram } from "../system-programs.ts";
import { root } from "./run-tool.ts";

const MISSING = "/nonexistent/chromium";

/** Runs vitest on the book's browser test, as `npm test` would, with the given environment. */
function runBrowserTest(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["node_modules/vitest/vitest.mjs", "run", "--project", "framework", "tests/tools/book-browser.test.ts"],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("programs from outside npm", () => {
  it("uses the environment variable first, then the usual places", () => {
    expect(findProgram(CHROMIUM, { CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
    expect(findProgram(CHROMIUM, { CHROMIUM_PATH: MISSING })).toBeNull();
  });

  it("gives a skip reason naming what to install when the program is missing", () => {
    const found = requireProgram(CHROMIUM, { CHROMIUM_PATH: MISSING });
    expect(found.path).toBeNull();
    expect(found.skipReason).toBe(`needs Chromium (looked in CHROMIUM_PATH=${MISSING}): ${CHROMIUM.install}`);
  });

  it("requires the program under CI=true", () => {
    expect(() => requireProgram(CHROMIUM, { CHROMIUM_PATH: MISSING, CI: "true" })).toThrow(
      /CI=true requires Chromium.*apt-get install chromium/,
    );
  });

  it("npm test skips the browser test without Chromium and says why in its summary", async () => {
    const { code, out } = await runBrowserTest({ CHROMIUM_PATH: MISSING, CI: "" });
    // every test in the file is skipped, however many it has
    const tests = readFileSync(path.join(root, "tests/tools/book-browser.test.ts"), "utf8").match(/^\s*it\(/gm)!.length;
    expect(out).toContain(
      `skipped ${tests} tests: needs Chromium (looked in CHROMIUM_PATH=${MISSING}): apt-get install chromium`,
    );
    expect(out).toMatch(new RegExp(`^0 passed, 0 failed, ${tests} skipped$`, "m"));
    expect(code).toBe(0);
  });

  it("npm test fails naming Chromium when CI=true and it is missing", async () => {
    const { code, out } = await runBrowserTest({ CHROMIUM_PATH: MISSING, CI: "true" });
    expect(out).toContain("CI=true requires Chromium for these tests");
    expect(out).toMatch(/^0 passed, 1 failed$/m);
    expect(code).not.toBe(0);
  });
});
