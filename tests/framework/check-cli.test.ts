// The learner-facing checker: `npm run sNN` must give one line per check, a "not implemented"
// verdict on an untouched skeleton, exit codes that match, and the closing "N passed, N failed".
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, runTool } from "./run-tool.ts";

const runCheck = (...args: string[]) => runTool("check", args);

describe("tools/check.ts", () => {
  it("passes the reference solution with exit code 0", async () => {
    const { code, out } = await runCheck("01", "--solution");
    expect(out).toContain("Step 01 · Model configuration  (checking solutions/solution_01.ts)");
    expect(out).toMatch(/✔ defaults are Hugging Face GPT-2 \(124M\)/);
    expect(out.trim().split("\n").at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(code).toBe(0);
  });

  it("fails the untouched skeleton with 'not implemented' and exit code 1", async () => {
    const { code, out } = await runCheck("02");
    expect(out).toMatch(/✘ shape is \[T, past \+ T\]/);
    expect(out).toMatch(/step 02 not implemented yet/);
    expect(out).not.toMatch(/\n\s+at .*node_modules/);
    expect(out.trim().split("\n").at(-1)).toMatch(/^0 passed, \d+ failed$/);
    expect(code).toBe(1);
  });

  it("explains an unknown step", async () => {
    const { code, out } = await runCheck("99");
    expect(out).toMatch(/usage: npm run check -- NN/);
    expect(code).toBe(2);
  });

  it("shows where a wrong answer is off: index, expected and got (a mask that lets each query see one future key)", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "check-wrong-"));
    for (const entry of ["lib", "steps", "solutions", "tests", "tools", "book", "package.json", "tsconfig.json", "vitest.config.ts"]) cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
    symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
    const wrong = readFileSync(path.join(root, "solutions", "solution_02.ts"), "utf8").replace("let j = past + i + 1;", "let j = past + i + 2;");
    writeFileSync(path.join(work, "steps", "step_02.ts"), wrong);
    const { code, out } = await runTool("check", ["02"], { cwd: work });
    expect(out).toMatch(/✘ /);
    expect(out).toMatch(/at index \[0, 1\]: expected -Infinity, got 0/);
    expect(code).toBe(1);
  });
});
