// Step 15 · Loading pretrained weights — checks.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import { generate } from "../solutions/solution_14.ts";
import { readCheckpoint } from "../lib/checkpoint.ts";
import { withoutInit } from "../lib/random.ts";
import { fmtShape, zeros, type Tensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import { withTempDir } from "./temp-dir.ts";
import { checksFor, expectClose, expectEqual, expectError, expectTrue, loadStep, values } from "./harness.ts";

type Step = typeof import("../solutions/solution_15.ts");
const { convertHFStateDict, loadPretrained } = await loadStep<Step>("15");
const check = checksFor("15");
const fx = loadFixture("step_15");
const tinyDir = fileURLToPath(new URL("fixtures/tiny-gpt2", import.meta.url));
const prefixedDir = fileURLToPath(new URL("fixtures/tiny-gpt2-prefixed", import.meta.url));
const hf = () => readCheckpoint(tinyDir).weights.tensors;

const ourPaths = (config: GPT2Config) =>
  withoutInit(() => new GPT2LMHeadModel(config))
    .namedParameters()
    .map(([name, t]) => `${name} ${fmtShape(t.shape)}`);

check(
  "converted keys and shapes are exactly GPT2LMHeadModel's parameters",
  {
    section: "Four differences",
    hint: "Prefix transformer., drop the attn.bias / attn.masked_bias buffers, transpose the four Conv1D weights, add lm_head.weight.",
  },
  () => {
    const { state } = convertHFStateDict(hf());
    const got = new Set(Object.entries(state).map(([name, t]) => `${name} ${fmtShape(t.shape)}`));
    const want = new Set(ourPaths(new GPT2Config(fx.config)));
    const missing = [...want].filter((k) => !got.has(k));
    const extra = [...got].filter((k) => !want.has(k));
    expectTrue(
      "the converted state dict (name [shape]) should hold exactly GPT2LMHeadModel's parameters",
      missing.length === 0 && extra.length === 0,
      [
        missing.length ? `missing or misshapen: ${missing.join(", ")}` : "",
        extra.length ? `unexpected or misshapen: ${extra.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("\n  "),
    );
  },
);

check(
  "the attention mask buffers are skipped and reported",
  {
    section: "Four differences",
    hint: "Keys ending in .attn.bias or .attn.masked_bias are buffers; list them in `skipped`.",
  },
  () => {
    const { skipped } = convertHFStateDict(readCheckpoint(prefixedDir).weights.tensors);
    for (const key of ["transformer.h.0.attn.bias", "transformer.h.1.attn.masked_bias"])
      expectTrue(
        `skipped should mention ${key}`,
        skipped.some((s) => s.startsWith(key)),
        `skipped: ${JSON.stringify(skipped)}`,
      );
    expectTrue(
      "c_attn.bias is a parameter, not a buffer: it must not be skipped",
      !skipped.some((s) => s.includes("c_attn.bias")),
    );
    expectTrue(
      "skipped should also name lm_head.weight (tied to wte, not loaded)",
      skipped.some((s) => s.startsWith("lm_head.weight ")),
      `skipped: ${JSON.stringify(skipped)}`,
    );
    // Exactly what was left out: two buffers in each of the 2 layers, and the head.
    expectEqual("skipped.length (attn.bias and attn.masked_bias × 2 layers, lm_head.weight)", skipped.length, 5);
  },
);

check(
  "Conv1D weights are transposed views, not copies; lm_head is wte itself",
  {
    section: "Conv1D weights",
    hint: "F.transpose(t, 0, 1) swaps the axes without copying; tie by assigning the same tensor.",
  },
  () => {
    const source = hf();
    const { state } = convertHFStateDict(source);
    const ours = state["transformer.h.0.attn.c_attn.weight"];
    const theirs = source["h.0.attn.c_attn.weight"] as Tensor;
    expectEqual(
      "c_attn.weight: Hugging Face's shape → ours",
      [theirs.shape, ours.shape],
      [
        [16, 48],
        [48, 16],
      ],
    );
    expectTrue("c_attn.weight should share the checkpoint's memory (a view, no copy)", ours.data === theirs.data);
    expectEqual("ours[5][3] = theirs[3][5]", ours.get(5, 3), theirs.get(3, 5));
    // Every Conv1D weight, the square ones too (they keep their shape when left untransposed).
    for (const suffix of ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]) {
      const [mine, original] = [state[`transformer.h.1.${suffix}`], source[`h.1.${suffix}`] as Tensor];
      const [rows, cols] = original.shape;
      let transposed = mine.shape[0] === cols && mine.shape[1] === rows;
      for (let i = 0; transposed && i < rows; i++)
        for (let j = 0; j < cols; j++) if (mine.get(j, i) !== original.get(i, j)) transposed = false;
      expectTrue(
        `h.1.${suffix}: ours[j][i] should be the checkpoint's [i][j] for every i, j (Hugging Face stores it [in, out]${rows === cols ? "; a square one keeps its shape, so only the values tell" : ""})`,
        transposed,
      );
    }
    expectTrue(
      "lm_head.weight should be the very same tensor as transformer.wte.weight",
      state["lm_head.weight"] === state["transformer.wte.weight"],
    );
  },
);

check(
  "the loaded tiny GPT-2 reproduces PyTorch's logits",
  {
    section: "Loading",
    after: ["converted keys", "Conv1D weights"],
    hint: "loadPretrained: readCheckpoint → GPT2Config.fromJSON → withoutInit model → loadStateDict(state, { assign: true }).",
  },
  () => {
    expectClose(
      "logits of loadPretrained(tests/fixtures/tiny-gpt2)",
      loadPretrained(tinyDir).forward(fx.i32("ids")),
      fx.f32("logits"),
      fx.tolerance,
    );
  },
);

check(
  "keys with the transformer. prefix and an lm_head.weight load too",
  {
    section: "Four differences",
    after: ["converted keys", "Conv1D weights"],
    hint: "Only add the prefix when a key lacks it; skip the checkpoint's lm_head.weight and tie to wte instead.",
  },
  () => {
    expectClose(
      "logits of loadPretrained(tests/fixtures/tiny-gpt2-prefixed)",
      loadPretrained(prefixedDir).forward(fx.i32("ids")),
      fx.f32("logits"),
      fx.tolerance,
    );
  },
);

check(
  "greedy generation with the loaded model continues [1, 2, 3] as PyTorch does",
  {
    section: "Loading",
    after: ["converted keys", "Conv1D weights"],
    hint: "Once the logits match, generation matches; check that lm_head is tied after loading.",
  },
  () => {
    const model = loadPretrained(tinyDir);
    expectTrue(
      "after loading, lm_head.weight should still be transformer.wte.weight",
      model.lm_head.weight === model.transformer.wte.weight,
    );
    expectEqual(
      "generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 0 })",
      generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 0 }),
      values(fx.i32("greedy")),
    );
  },
);

check(
  "a checkpoint without wte.weight is refused, saying so",
  {
    section: "Four differences",
    hint: "The head is tied to wte: without it there is nothing to tie, so throw an error naming wte.weight.",
  },
  async () => {
    const { "wte.weight": _wte, ...rest } = hf();
    await expectError("convertHFStateDict(a checkpoint without wte.weight)", () => convertHFStateDict(rest), [
      /wte\.weight/,
    ]);
  },
);

check(
  "a checkpoint with a missing weight is refused, naming the key",
  {
    section: "Loading",
    hint: "Load with strict key checking (the default), so a missing key is an error, not a silent zero.",
  },
  async () => {
    const source = hf();
    delete source["h.1.mlp.c_fc.bias"];
    await expectError(
      "loading a state dict without h.1.mlp.c_fc.bias",
      () => new GPT2LMHeadModel(new GPT2Config(fx.config)).loadStateDict(convertHFStateDict(source).state),
      [/transformer\.h\.1\.mlp\.c_fc\.bias/],
    );
  },
);

check(
  "config.json decides the shape: a wrong config is refused clearly",
  {
    section: "Loading",
    hint: "Build the config with GPT2Config.fromJSON, so its validation runs; shapes that disagree make loadStateDict fail.",
  },
  () =>
    withTempDir("gpt2-config", async (dir) => {
      copyFileSync(path.join(tinyDir, "model.safetensors"), path.join(dir, "model.safetensors"));
      const config = JSON.parse(readFileSync(path.join(tinyDir, "config.json"), "utf8"));
      writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, n_embd: 18, n_head: 4 }));
      await expectError("config.json with n_embd 18, n_head 4", () => loadPretrained(dir), [/18/]);
      writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, n_layer: 3 }));
      await expectError("config.json with n_layer 3 for a 2-layer checkpoint", () => loadPretrained(dir), [/h\.2\./]);
    }),
);

check(
  "gpt2-medium's layout converts onto a gpt2-medium model",
  {
    section: "Larger models",
    hint: "Nothing in the conversion may assume 12 layers or width 768; read every size from the config.",
  },
  () => {
    const config = GPT2Config.fromJSON(
      JSON.parse(readFileSync(fileURLToPath(new URL("fixtures/hf_configs/gpt2-medium.json", import.meta.url)), "utf8")),
    );
    // Zero-filled tensors of the real shapes; untouched, they cost no memory.
    const source: Record<string, Tensor> = {};
    for (const [name, t] of withoutInit(() => new GPT2LMHeadModel(config)).namedParameters()) {
      if (name === "lm_head.weight") continue;
      const key = name.replace(/^transformer\./, "");
      source[key] = /(c_attn|c_proj|c_fc)\.weight$/.test(key) ? zeros([t.shape[1], t.shape[0]]) : zeros(t.shape);
    }
    const model = withoutInit(() => new GPT2LMHeadModel(config));
    model.loadStateDict(convertHFStateDict(source).state, { assign: true });
    expectEqual("gpt2-medium parameters after loading", model.numParameters(), 354_823_168);
  },
);
