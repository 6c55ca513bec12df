// The mistakes a walkthrough of the steps found, each made on purpose: the check that names it
// must fail, say why, and not send the learner after another cause.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkMistake, typeCheckMistake } from "./course-copy.ts";
import { root, runTool } from "../tools/run-tool.ts";

describe("mistakes from the walkthrough are caught by the check that names them", () => {
  it("step 09: splitHeads reshaped straight to [B, H, T, D] fails splitHeads, not mergeHeads; later checks say they follow from it", async () => {
    const { out } = await checkMistake(
      "09",
      "return F.permute(F.reshape(x, [B, T, n_head, C / n_head]), [0, 2, 1, 3]);",
      "return F.reshape(x, [B, n_head, T, C / n_head]);",
    );
    expect(out).toMatch(/✘ splitHeads: .*\n\s+splitHeads\(x\)\[b, h, t, d\] should be x\[b, t, h·D \+ d\]/);
    expect(out).toMatch(/✔ mergeHeads/);
    const failures = out.match(/^\s+✘ /gm) ?? [];
    expect(failures).toHaveLength(3);
    expect(out.match(/follows from ✘ "splitHeads: /g)).toHaveLength(2);
  });

  it("step 13: a bias on lm_head gives one primary ✘ that says the extra 50,257 is vocab_size, and six dependent ones", async () => {
    const { out } = await checkMistake(
      "13",
      /new Linear\(config.n_embd, config.vocab_size, \{ bias: false \}\)/g,
      "new Linear(config.n_embd, config.vocab_size)",
    );
    expect(out).toMatch(/got: {6}38,647,633 \(\+50,257 = vocab_size: an extra tensor of vocab_size numbers/);
    expect(out.match(/follows from ✘ "lm_head: /g)).toHaveLength(6);
  });

  it("step 15: an untransposed square attn.c_proj is caught by the Conv1D check", async () => {
    const { out } = await checkMistake(
      "15",
      "? F.transpose(tensor, 0, 1) : tensor;",
      '&& !key.endsWith("attn.c_proj.weight") ? F.transpose(tensor, 0, 1) : tensor;',
    );
    expect(out).toMatch(
      /✘ Conv1D weights are transposed views.*\n\s+h\.1\.attn\.c_proj\.weight: ours\[j\]\[i\] should be the checkpoint's \[i\]\[j\]/,
    );
    expect(out).toMatch(/✘ the loaded tiny GPT-2 reproduces PyTorch's logits\n\s+follows from ✘ "Conv1D weights/);
  });

  it("steps 01 and 02: a plain Error where the chapter asks for ConfigError or RangeError", async () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text a learner would write, not a template
      (await checkMistake("01", /new ConfigError\(`GPT2Config: \$\{field\}/, "new Error(`GPT2Config: ${field}")).out,
    ).toMatch(/the error should be a ConfigError, as the chapter asks\n\s+got: Error:/);
    expect((await checkMistake("02", /new RangeError/g, "new Error")).out).toMatch(
      /causalMask\(0\): the error should be a RangeError/,
    );
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
    const original = "const d = q.shape[q.shape.length - 1];";
    const { out } = await checkMistake("08", original, "const d: number = q.shape.at(-1);");
    const lines = readFileSync(path.join(root, "solutions", "solution_08.ts"), "utf8").split("\n");
    const row = lines.findIndex((line) => line.includes(original));
    const where = `steps/step_08.ts:${row + 1}:${lines[row].indexOf("d") + 1}`;
    expect(out).toMatch(/6 passed, 0 failed · [\d.]+ s\n✘ types: 1 type error in steps\/step_08\.ts/);
    expect(out).toContain(`${where}: Type 'number | undefined' is not assignable to type 'number'`);
  });

  it("the code the hints suggest type-checks (step 08's shapes, step 14's ids)", async () => {
    const hint08 = /^(const d = .+;)$/m.exec(readFileSync(path.join(root, "steps", "step_08.hints.md"), "utf8"))![1];
    expect(await typeCheckMistake("08", "const d = q.shape[q.shape.length - 1];", hint08)).toEqual([]);
    const hint14 = /`(model\.forward\(intTensor\([^)]*\)\))`/.exec(
      readFileSync(path.join(root, "steps", "step_14.hints.md"), "utf8"),
    )![1];
    expect(await typeCheckMistake("14", "model.forward(intTensor([[...ids]]))", hint14)).toEqual([]);
  });

  it("a value check names the classic mistake the output matches (step 08 without the 1/√d scale)", async () => {
    const { out } = await checkMistake("08", ", 1 / Math.sqrt(d)); // [..., Tq, Tk]", ", 1); // [..., Tq, Tk]");
    expect(out).toMatch(
      /attention output does not match the PyTorch reference[^\n]*\n\s+it matches what PyTorch computes for a classic mistake — scale missing/,
    );
  });

  it("npm run mutants measures the checks: step 02 kills every mutant but the one listed as equivalent", async () => {
    const { out, code } = await runTool("mutants", ["02"]);
    expect(out).toMatch(/step 02: (\d+)\/\1 non-equivalent mutants killed \(100\.0%\), 1 equivalent/);
    expect(code).toBe(0);
  }, 120_000);

  it("a syntax error in the step file is reported as such, with file and line, and no stack trace", async () => {
    const { out, code } = await checkMistake("03", "forward(x: Tensor): Tensor {", "forward(x: Tensor: Tensor {");
    expect(out).toMatch(/✘ could not load steps\/step_03\.ts \(line \d+, column \d+\)/);
    expect(out).toMatch(/fix the error above, save, and run the check again/);
    expect(out).not.toMatch(/\n\s+at .*node_modules/);
    expect(code).toBe(1);
  });
});
