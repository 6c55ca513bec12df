// Step 11 · Transformer block — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { Random, randn } from "../lib/random.ts";
import { clone } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  blockParameters,
  checksFor,
  expectCausal,
  expectClose,
  expectCount,
  expectParameters,
  expectShape,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_11.ts");
const { GPT2Block } = await loadStep<Step>("11");
const check = checksFor("11");
const fx = loadFixture("step_11");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const block = new GPT2Block(tiny);
  block.loadStateDict(fx.module("block."));
  return block;
}

check(
  "parameters: ln_1, attn, ln_2, mlp with Hugging Face's names, 7,087,872 in all",
  {
    section: "Four parts",
    hint: "Declare the fields in the order ln_1, attn, ln_2, mlp; their names become the checkpoint paths.",
  },
  () => {
    const block = new GPT2Block(new GPT2Config());
    expectParameters("GPT2Block(gpt2)", block, blockParameters("", 768));
    expectCount("GPT2Block(gpt2).numParameters()", block.numParameters(), 7_087_872);
  },
);

check(
  "matches PyTorch: x + attn(ln_1(x)), then + mlp(ln_2(x))",
  { section: "The forward pass", hint: "Two pre-norm residuals: attention with ln_1 first, then the MLP with ln_2." },
  () => {
    expectClose("GPT2Block.forward(x)", loaded().forward(fx.f32("x")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "changing a later token never changes an earlier output",
  {
    section: "The forward pass",
    hint: "Only attention mixes positions, and it is causal; the MLP and layer norms work per position.",
  },
  () => {
    const block = loaded();
    const x = randn([1, 6, 16], new Random(11));
    expectCausal(
      "GPT2Block",
      (t) => {
        const input = clone(x);
        if (t !== null) for (let c = 0; c < 16; c++) input.set(0, t, c, -input.get(0, t, c));
        return block.forward(input);
      },
      2,
    );
  },
);

check(
  "output is [B, T, n_embd] for several batches and lengths",
  { section: "The forward pass", hint: "A block maps the residual stream to a stream of the same shape." },
  () => {
    const block = loaded();
    for (const [B, T] of [
      [1, 1],
      [2, 9],
    ])
      expectShape(`GPT2Block.forward(x [${B}, ${T}, 16])`, block.forward(randn([B, T, 16], new Random(T))), [B, T, 16]);
  },
);
