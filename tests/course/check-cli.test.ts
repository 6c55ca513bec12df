// The learner-facing checker: `npm run sNN` must give one line per check, a "not implemented"
// verdict on an untouched skeleton, exit codes that match, and the closing "N passed, N failed".
import { describe, expect, it } from "vitest";
import { checkMistake } from "./course-copy.ts";
import { runTool } from "../tools/run-tool.ts";

const runCheck = (...args: string[]) => runTool("check", args);

describe("tools/commands/check.ts", () => {
  it("passes the reference solution with exit code 0", async () => {
    const { code, out } = await runCheck("01", "--solution");
    expect(out).toContain("Step 01 · Model configuration  (checking solutions/solution_01.ts)");
    expect(out).toMatch(/✔ defaults are Hugging Face GPT-2 \(124M\)/);
    expect(out).toMatch(/^\d+ passed, 0 failed · [\d.]+ s$/m);
    expect(out).toMatch(/✔ types: solutions\/solution_01\.ts type-checks/);
    expect(code).toBe(0);
  });

  it("fails the untouched skeleton with 'not implemented' and exit code 1", async () => {
    const { code, out } = await runCheck("02");
    expect(out).toMatch(/✘ shape is \[T, past \+ T\]/);
    expect(out).toMatch(/step 02 not implemented yet/);
    expect(out).not.toMatch(/\n\s+at .*node_modules/);
    expect(out).toMatch(/^0 passed, \d+ failed · [\d.]+ s$/m);
    expect(code).toBe(1);
  });

  it("explains an unknown step", async () => {
    const { code, out } = await runCheck("99");
    expect(out).toMatch(/usage: npm run check -- NN/);
    expect(code).toBe(2);
  });

  it("shows where a wrong answer is off: index, expected and got (a mask that lets each query see one future key)", async () => {
    const { code, out } = await checkMistake("02", "let j = past + i + 1;", "let j = past + i + 2;");
    expect(out).toMatch(/✘ /);
    expect(out).toMatch(/at index \[0, 1\]: expected -Infinity, got 0/);
    expect(code).toBe(1);
  });
});
