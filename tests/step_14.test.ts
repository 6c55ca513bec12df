// Step 14 · Text generation — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import * as F from "../lib/functional.ts";
import { Random } from "../lib/random.ts";
import { fromData, tensor, zeros, type IntTensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectEqual,
  expectError,
  expectIds,
  expectTrue,
  loadStep,
  values,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_14.ts");
const { generate, nextTokenLogits, sampleNextToken, END_OF_TEXT } = await loadStep<Step>("14");
const check = checksFor("14");
const fx = loadFixture("step_14");
const tiny = new GPT2Config(fx.config);
const prompts = fx.config.prompts as number[][];
const maxNewTokens = fx.config.max_new_tokens as number;

const model = new GPT2LMHeadModel(tiny);
model.loadStateDict(fx.lmHeadModel());

/** A stand-in model with GPT-2's vocabulary that always prefers <|endoftext|>. */
const alwaysEndOfText = {
  config: new GPT2Config(),
  forward(ids: IntTensor) {
    const [B, T] = ids.shape;
    const logits = zeros([B, T, 50257]);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) logits.set(b, t, END_OF_TEXT, 10);
    return logits;
  },
};

check(
  "nextTokenLogits returns the logits at the last position",
  {
    section: "The next token",
    hint: "Run the model on [1, T] ids and take logits[0, T − 1, :] — the prediction after the last token.",
  },
  () => {
    expectClose(
      `nextTokenLogits(model, [${prompts[0]}])`,
      nextTokenLogits(model, prompts[0]),
      fx.f32("last_logits_0"),
      { atol: 1e-5, rtol: 1e-5 },
    );
  },
);

check(
  "greedy generation (temperature 0) reproduces PyTorch's continuations",
  { section: "Greedy decoding", hint: "Append the argmax token and feed the whole sequence back in for the next one." },
  () => {
    prompts.forEach((prompt, i) => {
      expectIds(
        `generate(model, [${prompt}], { maxNewTokens: ${maxNewTokens}, temperature: 0 })`,
        generate(model, prompt, { maxNewTokens, temperature: 0 }),
        fx.i32(`greedy_${i}`),
      );
    });
  },
);

check(
  "sampling draws tokens with the probabilities softmax(logits / temperature)",
  {
    section: "Sampling with a temperature",
    hint: "Divide the logits by the temperature, softmax, then walk the cumulative sum until it passes rng.uniform().",
  },
  () => {
    const logits = tensor([2, 1, 0.5, -1]);
    for (const temperature of [1, 2]) {
      const rng = new Random(123);
      const counts = [0, 0, 0, 0];
      const draws = 20000;
      for (let i = 0; i < draws; i++) counts[sampleNextToken(logits, temperature, rng)]++;
      const expected = values(F.softmax(F.div(logits, temperature)));
      expectClose(
        `token frequencies over ${draws} draws at temperature ${temperature}`,
        fromData(
          Float32Array.from(counts, (c) => c / draws),
          [4],
        ),
        fromData(Float32Array.from(expected), [4]),
        { atol: 0.015, rtol: 0 },
      );
    }
  },
);

check(
  "the same seed gives the same tokens; another seed gives others",
  {
    section: "Sampling with a temperature",
    hint: "Create one Random(seed) per generate call and use it for every draw.",
  },
  () => {
    const options = { maxNewTokens: 10, temperature: 1.5 };
    const a = generate(model, prompts[0], { ...options, seed: 7 });
    expectEqual("two runs with seed 7", generate(model, prompts[0], { ...options, seed: 7 }), a);
    const others = [8, 9, 10].map((seed) => generate(model, prompts[0], { ...options, seed }).join(","));
    expectTrue(
      "runs with seeds 8, 9, 10 should not all equal the run with seed 7",
      others.some((o) => o !== a.join(",")),
    );
  },
);

check(
  "a temperature near 0 behaves like greedy",
  {
    section: "Sampling with a temperature",
    hint: "As the temperature shrinks, softmax(logits / T) puts all its weight on the largest logit.",
  },
  () => {
    expectEqual(
      "temperature 1e-4 vs temperature 0",
      generate(model, prompts[2], { maxNewTokens, temperature: 1e-4, seed: 3 }),
      generate(model, prompts[2], { maxNewTokens, temperature: 0 }),
    );
  },
);

check(
  "stops at <|endoftext|> (50256) only when asked",
  { section: "Stopping", hint: "After pushing a token, break if stopAtEndOfText and the token is END_OF_TEXT." },
  () => {
    expectEqual(
      "stopAtEndOfText: true",
      generate(alwaysEndOfText, [464], { maxNewTokens: 5, temperature: 0, stopAtEndOfText: true }),
      [464, END_OF_TEXT],
    );
    expectEqual("stopAtEndOfText: false", generate(alwaysEndOfText, [464], { maxNewTokens: 3, temperature: 0 }), [
      464,
      END_OF_TEXT,
      END_OF_TEXT,
      END_OF_TEXT,
    ]);
    expectEqual(
      "stopAtEndOfText: true with a model that never writes it: all 3 new tokens",
      generate(model, [3], { maxNewTokens: 3, temperature: 0, stopAtEndOfText: true }).length,
      4,
    );
  },
);

check(
  "keeps generating past the context window by looking at the last n_positions tokens",
  {
    section: "The context window",
    hint: "Feed the model ids.slice(-n_positions) once the sequence is longer than the context.",
  },
  () => {
    const out = generate(model, prompts[2], { maxNewTokens: 14, temperature: 0 });
    expectEqual("length of prompt (6) + 14 new tokens with n_positions 16", out.length, 20);
  },
);

check(
  "rejects a negative temperature, an empty prompt and a prompt longer than n_positions",
  {
    section: "The context window",
    hint: "Throw a RangeError that names the bad value (and n_positions for a long prompt).",
  },
  async () => {
    await expectError("temperature -1", () => generate(model, [1], { maxNewTokens: 1, temperature: -1 }), [/-1/]);
    await expectError("an empty prompt", () => generate(model, [], { maxNewTokens: 1 }), [
      /empty|no token|at least one/i,
    ]);
    await expectError(
      "a 17-token prompt with n_positions 16",
      () =>
        generate(
          model,
          Array.from({ length: 17 }, () => 1),
          { maxNewTokens: 1 },
        ),
      [/\b17\b/, /\b16\b/],
    );
    expectEqual(
      "a prompt of exactly n_positions = 16 tokens is fine: new tokens",
      generate(
        model,
        Array.from({ length: 16 }, () => 1),
        { maxNewTokens: 1, temperature: 0 },
      ).length,
      17,
    );
  },
);

check(
  "rejects a maxNewTokens that is not a whole number ≥ 0, and sampleNextToken a bad temperature",
  {
    section: "The context window",
    hint: "Check Number.isInteger(maxNewTokens) && maxNewTokens >= 0 (0 returns the prompt); sampleNextToken refuses a temperature that is negative or NaN.",
  },
  async () => {
    await expectError("maxNewTokens: -1", () => generate(model, [1], { maxNewTokens: -1 }), [/maxNewTokens/]);
    await expectError("maxNewTokens: 1.5", () => generate(model, [1], { maxNewTokens: 1.5 }), [/maxNewTokens/]);
    expectEqual("maxNewTokens: 0 returns the prompt", generate(model, [3, 17], { maxNewTokens: 0 }), [3, 17]);
    await expectError(
      "sampleNextToken(logits, -1, rng)",
      () => sampleNextToken(tensor([1, 2]), -1, new Random(0)),
      [/temperature/],
      "RangeError",
    );
    await expectError(
      "sampleNextToken(logits, NaN, rng)",
      () => sampleNextToken(tensor([1, 2]), NaN, new Random(0)),
      [/temperature/],
      "RangeError",
    );
  },
);
