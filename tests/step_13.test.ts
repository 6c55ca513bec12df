// Step 13 · Language model head — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { withoutInit } from "../lib/random.ts";
import { intTensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  count,
  expectCausal,
  expectClose,
  expectCount,
  expectEqual,
  expectShape,
  expectTrue,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_13.ts");
const { GPT2LMHeadModel } = await loadStep<Step>("13");
const check = checksFor("13");
const fx = loadFixture("step_13");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const model = new GPT2LMHeadModel(tiny);
  model.loadStateDict(fx.lmHeadModel());
  return model;
}

// Built inside each check (cheap without random init), so a skeleton's error is reported per
// check and no check sees a model another check built.
const gpt2 = () => withoutInit(() => new GPT2LMHeadModel(new GPT2Config()));
/** Sizes a wrong count may be off by, so the message can name them. */
const SIZES = { vocab_size: 50_257, n_embd: 768, "vocab_size × n_embd (a second, untied head weight)": 38_597_376 };
const HEAD = "lm_head: ";

check(
  `lm_head: Linear(768 → 50257), no bias, ${count(38_597_376)} parameters`,
  { section: "The head", hint: "new Linear(n_embd, vocab_size, { bias: false }), in a field named lm_head." },
  () => {
    const model = gpt2();
    const names = model.namedParameters().map(([name]) => name);
    expectCount("lm_head.numParameters()", model.lm_head.numParameters(), 38_597_376, SIZES);
    expectEqual("lm_head.bias", model.lm_head.bias, null);
    expectEqual("the last parameter path", names[names.length - 1], "lm_head.weight");
    expectEqual("lm_head.weight's shape", model.lm_head.weight.shape, [50257, 768]);
  },
);

check(
  "parameter paths are Hugging Face's GPT2LMHeadModel keys",
  {
    section: "The head",
    after: [HEAD],
    hint: "The backbone is a field named transformer, so its keys read transformer.wte.weight, transformer.h.0.…",
  },
  () => {
    const names = gpt2()
      .namedParameters()
      .map(([name]) => name);
    expectEqual("the first three paths", names.slice(0, 3), [
      "transformer.wte.weight",
      "transformer.wpe.weight",
      "transformer.h.0.ln_1.weight",
    ]);
    expectEqual(
      "number of paths (2 embeddings + 12 × 12 block tensors + ln_f's 2 + lm_head)",
      names.length,
      2 + 144 + 2 + 1,
    );
  },
);

check(
  `weight tying: lm_head.weight is transformer.wte.weight, so ${count(124_439_808)} unique parameters`,
  {
    section: "Weight tying",
    after: [HEAD],
    hint: "Assign the same tensor object: this.lm_head.weight = this.transformer.wte.weight (no copy).",
  },
  () => {
    const model = gpt2();
    expectTrue(
      "lm_head.weight and transformer.wte.weight should be the same array (not a copy)",
      model.lm_head.weight.data === model.transformer.wte.weight.data,
    );
    expectCount("GPT2LMHeadModel(gpt2).numParameters() with tied weights", model.numParameters(), 124_439_808, SIZES);
  },
);

check(
  `untied (tieWeights: false): ${count(163_037_184)} parameters`,
  {
    section: "Weight tying",
    after: [HEAD],
    hint: "With tieWeights false, lm_head keeps its own [vocab_size, n_embd] weight.",
  },
  () => {
    const untied = withoutInit(() => new GPT2LMHeadModel(new GPT2Config(), { tieWeights: false }));
    expectTrue(
      "lm_head.weight should be its own array when untied",
      untied.lm_head.weight.data !== untied.transformer.wte.weight.data,
    );
    expectCount(
      "GPT2LMHeadModel(gpt2, { tieWeights: false }).numParameters()",
      untied.numParameters(),
      163_037_184,
      SIZES,
    );
  },
);

check(
  "logits match PyTorch",
  { section: "Logits", after: [HEAD], hint: "logits = lm_head(transformer(ids)): no softmax, no bias." },
  () => {
    expectClose("GPT2LMHeadModel.forward(ids)", loaded().forward(fx.i32("ids")), fx.f32("logits"), fx.tolerance);
  },
);

check(
  "logits are [B, T, vocab_size] for several batches and lengths",
  { section: "Logits", after: [HEAD], hint: "One score per vocabulary entry at every position." },
  () => {
    const model = loaded();
    for (const [B, T] of [
      [1, 1],
      [2, 16],
    ])
      expectShape(
        `forward(ids [${B}, ${T}])`,
        model.forward(intTensor(Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => (t * 5) % 64)))),
        [B, T, 64],
      );
  },
);

check(
  "changing token t never changes the logits before t",
  { section: "Logits", after: [HEAD], hint: "The head works per position; causality comes from the blocks." },
  () => {
    const model = loaded();
    const ids = [5, 9, 14, 20, 33, 41];
    expectCausal("GPT2LMHeadModel", (t) => model.forward(intTensor([ids.map((id, i) => (i === t ? 0 : id))])), 4);
  },
);
