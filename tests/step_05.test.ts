// Step 05 · Token embeddings — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { intTensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectCount,
  expectEqual,
  expectError,
  expectParameters,
  expectShape,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_05.ts");
const { TokenEmbedding } = await loadStep<Step>("05");
const check = checksFor("05");
const fx = loadFixture("step_05");
const tiny = new GPT2Config(fx.config);

check(
  "parameters: weight [50257, 768], 38,597,376 in all",
  {
    section: "The embedding table",
    hint: "One row of n_embd numbers per vocabulary entry: a [vocab_size, n_embd] tensor named weight.",
  },
  () => {
    const wte = new TokenEmbedding(new GPT2Config());
    expectParameters("TokenEmbedding(gpt2)", wte, { weight: [50257, 768] });
    expectCount("TokenEmbedding(gpt2).numParameters()", wte.numParameters(), 38_597_376);
  },
);

check(
  "matches PyTorch's F.embedding",
  { section: "Looking up rows", hint: "Output [b, t] is row ids[b, t] of the table." },
  () => {
    const wte = new TokenEmbedding(tiny);
    wte.loadStateDict({ weight: fx.f32("weight") });
    expectClose("TokenEmbedding.forward(ids)", wte.forward(fx.i32("ids")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "each output vector is exactly the table row of its id",
  { section: "Looking up rows", hint: "Copy the row unchanged — no scaling, no transposing." },
  () => {
    const wte = new TokenEmbedding(tiny);
    const out = wte.forward(intTensor([[7, 0, 63]]));
    [7, 0, 63].forEach((id, t) => {
      const row = Array.from({ length: 16 }, (_, c) => out.get(0, t, c));
      const table = Array.from({ length: 16 }, (_, c) => wte.weight.get(id, c));
      expectEqual(`output[0, ${t}] vs weight[${id}]`, row, table);
    });
  },
);

check(
  "shape [B, T] → [B, T, n_embd] for several batches and lengths",
  { section: "Shapes", hint: "Keep the batch and time axes and add n_embd as the last one." },
  () => {
    const wte = new TokenEmbedding(tiny);
    for (const [B, T] of [
      [1, 1],
      [2, 5],
      [3, 16],
    ]) {
      const ids = intTensor(Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b * 7 + t) % 64)));
      expectShape(`TokenEmbedding.forward(ids of shape [${B}, ${T}])`, wte.forward(ids), [B, T, 16]);
    }
  },
);

check(
  "an id outside the vocabulary gives an error naming the id and the vocabulary size",
  {
    section: "Bad ids",
    hint: "Check 0 ≤ id < vocab_size before the lookup and say which id failed and how many tokens there are.",
  },
  async () => {
    const wte = new TokenEmbedding(tiny);
    await expectError("forward([[1, 70]]) with a vocabulary of 64", () => wte.forward(intTensor([[1, 70]])), [
      /\b70\b/,
      /\b64\b/,
    ]);
    await expectError("forward([[-1]])", () => wte.forward(intTensor([[-1]])), [/-1\b/]);
    // The first id past the end: the table's rows are 0 … 63.
    await expectError("forward([[64]]) with a vocabulary of 64 (ids 0…63)", () => wte.forward(intTensor([[64]])), [
      /\b64\b/,
    ]);
  },
);

check(
  "rejects ids that are not a [B, T] tensor",
  { section: "Shapes", hint: "Check ids.shape.length === 2 and name the shape you got, e.g. [5]." },
  async () => {
    const wte = new TokenEmbedding(tiny);
    await expectError("forward(ids of shape [5])", () => wte.forward(intTensor([1, 2, 3, 4, 5])), [/\[5\]/]);
  },
);
