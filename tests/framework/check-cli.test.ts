// The learner-facing checker: `npm run sNN` must give one line per check, a "not implemented"
// verdict on an untouched skeleton, exit codes that match, and the closing "N passed, N failed".
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { typeErrors } from "../../tools/runner/typecheck.ts";
import { root, runTool } from "./run-tool.ts";

const runCheck = (...args: string[]) => runTool("check", args);

describe("tools/check.ts", () => {
  it("passes the reference solution with exit code 0", async () => {
    const { code, out } = await runCheck("01", "--solution");
    expect(out).toContain("Step 01 · Model configuration  (checking solutions/solution_01.ts)");
    expect(out).toMatch(/✔ defaults are Hugging Face GPT-2 \(124M\)/);
    expect(out).toMatch(/^\d+ passed, 0 failed$/m);
    expect(out).toMatch(/✔ types: solutions\/solution_01\.ts type-checks/);
    expect(code).toBe(0);
  });

  it("fails the untouched skeleton with 'not implemented' and exit code 1", async () => {
    const { code, out } = await runCheck("02");
    expect(out).toMatch(/✘ shape is \[T, past \+ T\]/);
    expect(out).toMatch(/step 02 not implemented yet/);
    expect(out).not.toMatch(/\n\s+at .*node_modules/);
    expect(out).toMatch(/^0 passed, \d+ failed$/m);
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

/** The reference solution of step `nn` with one edit, written as the learner's step in a copy of the course, then checked. */
async function checkMistake(nn: string, find: string | RegExp, replace: string) {
  return runTool("check", [nn], { cwd: courseCopy(nn, find, replace) });
}

/** A copy of the course whose steps/step_NN.ts is the reference solution with one edit. */
function courseCopy(nn: string, find: string | RegExp, replace: string): string {
  const work = mkdtempSync(path.join(tmpdir(), "check-mistake-"));
  for (const entry of ["lib", "steps", "solutions", "tests", "tools", "book", "package.json", "tsconfig.json", "vitest.config.ts"]) cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
  const solution = readFileSync(path.join(root, "solutions", `solution_${nn}.ts`), "utf8").replace(/from "\.\/solution_(\d\d)\.ts"/g, 'from "../lib/chain/step_$1.ts"');
  if (typeof find === "string" ? !solution.includes(find) : !find.test(solution)) throw new Error(`the edit ${find} does not apply to solution_${nn}.ts`);
  const wrong = solution.replace(find, replace);
  writeFileSync(path.join(work, "steps", `step_${nn}.ts`), wrong);
  return work;
}

describe("mistakes from the walkthrough are caught by the check that names them", () => {
  it("step 09: splitHeads reshaped straight to [B, H, T, D] fails splitHeads, not mergeHeads; later checks say they follow from it", async () => {
    const { out } = await checkMistake("09", "return F.permute(F.reshape(x, [B, T, n_head, C / n_head]), [0, 2, 1, 3]);", "return F.reshape(x, [B, n_head, T, C / n_head]);");
    expect(out).toMatch(/✘ splitHeads: .*\n\s+splitHeads\(x\)\[b, h, t, d\] should be x\[b, t, h·D \+ d\]/);
    expect(out).toMatch(/✔ mergeHeads/);
    const failures = out.match(/^\s+✘ /gm) ?? [];
    expect(failures).toHaveLength(3);
    expect(out.match(/follows from ✘ "splitHeads: /g)).toHaveLength(2);
  });

  it("step 13: a bias on lm_head gives one primary ✘ that says the extra 50,257 is vocab_size, and six dependent ones", async () => {
    const { out } = await checkMistake("13", /new Linear\(config.n_embd, config.vocab_size, \{ bias: false \}\)/g, "new Linear(config.n_embd, config.vocab_size)");
    expect(out).toMatch(/got: {6}38,647,633 \(\+50,257 = vocab_size: an extra tensor of vocab_size numbers/);
    expect(out.match(/follows from ✘ "lm_head: /g)).toHaveLength(6);
  });

  it("step 15: an untransposed square attn.c_proj is caught by the Conv1D check", async () => {
    const { out } = await checkMistake("15", '? F.transpose(tensor, 0, 1) : tensor;', '&& !key.endsWith("attn.c_proj.weight") ? F.transpose(tensor, 0, 1) : tensor;');
    expect(out).toMatch(/✘ Conv1D weights are transposed views.*\n\s+h\.1\.attn\.c_proj\.weight: ours\[j\]\[i\] should be the checkpoint's \[i\]\[j\]/);
    expect(out).toMatch(/✘ the loaded tiny GPT-2 reproduces PyTorch's logits\n\s+follows from ✘ "Conv1D weights/);
  });

  it("steps 01 and 02: a plain Error where the chapter asks for ConfigError or RangeError", async () => {
    expect((await checkMistake("01", /new ConfigError\(`GPT2Config: \$\{field\}/, "new Error(`GPT2Config: ${field}")).out).toMatch(/the error should be a ConfigError, as the chapter asks\n\s+got: Error:/);
    expect((await checkMistake("02", /new RangeError/g, "new Error")).out).toMatch(/causalMask\(0\): the error should be a RangeError/);
  });

  it("step 01: `||` for `??` is named, and sends the learner to Defaults", async () => {
    const { out } = await checkMistake("01", / \?\? /g, " || ");
    expect(out).toMatch(/`\|\|` replaced the 0 with the default[\s\S]*section "Defaults"/);
  });

  it("step 03: a hard-coded 1e-5 instead of this.eps is caught", async () => {
    const { out } = await checkMistake("03", "F.add(variance, this.eps)", "F.add(variance, 1e-5)");
    expect(out).toMatch(/✘ uses the eps it is given: LayerNorm\(16, 0\.1\)/);
  });

  it("reports a type error in the step file with file:line, after the verdict", async () => {
    const { out } = await checkMistake("08", "const d = q.shape[q.shape.length - 1];", "const d: number = q.shape.at(-1);");
    expect(out).toMatch(/6 passed, 0 failed\n✘ types: 1 type error in steps\/step_08\.ts[^\n]*\n\s+steps\/step_08\.ts:21:9: Type 'number \| undefined' is not assignable to type 'number'/);
  });

  it("the code the hints and TODOs suggest type-checks (step 08's shapes, step 14's ids)", async () => {
    const hint08 = /`(const d = [^`]+)`/.exec(readFileSync(path.join(root, "steps", "step_08.hints.md"), "utf8"))![1];
    expect(await typeCheckMistake("08", "const d = q.shape[q.shape.length - 1];", `${hint08};`)).toEqual([]);
    const todo14 = /(model\.forward\(intTensor\([^)]*\)\))/.exec(readFileSync(path.join(root, "steps", "step_14.ts"), "utf8"))![1];
    expect(await typeCheckMistake("14", "model.forward(intTensor([[...ids]]))", todo14)).toEqual([]);
  });
});

/** Type errors of the solution of step `nn` with one edit, written as the learner's step. */
async function typeCheckMistake(nn: string, find: string, replace: string): Promise<string[]> {
  const work = courseCopy(nn, find, replace);
  return typeErrors(`steps/step_${nn}.ts`, work);
}
