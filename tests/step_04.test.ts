// Step 04 · Feed-forward network — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { Random, randn } from "../lib/random.ts";
import { zeros } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectCount,
  expectError,
  expectParameters,
  expectShape,
  loadStep,
  type Tolerance,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_04.ts");
const { GPT2MLP, gelu } = await loadStep<Step>("04");
const check = checksFor("04");
const fx = loadFixture("step_04");
const tiny = new GPT2Config(fx.config);

check(
  "gelu matches PyTorch's tanh-approximate GELU on [-6, 6]",
  { section: "GELU", hint: "GPT-2 uses 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), not the exact erf form." },
  () => {
    expectClose("gelu(x)", gelu(fx.f32("gelu_x")), fx.f32("gelu_y"), fx.config.gelu_tolerance as Tolerance);
  },
);

check(
  "parameters: c_fc 768→3072 and c_proj 3072→768, 4,722,432 in all",
  {
    section: "Two projections",
    hint: "c_fc = new Linear(n_embd, innerDim), c_proj = new Linear(innerDim, n_embd); Linear weights are [out, in].",
  },
  () => {
    const mlp = new GPT2MLP(new GPT2Config());
    expectParameters("GPT2MLP(gpt2)", mlp, {
      "c_fc.weight": [3072, 768],
      "c_fc.bias": [3072],
      "c_proj.weight": [768, 3072],
      "c_proj.bias": [768],
    });
    expectCount("GPT2MLP(gpt2).numParameters()", mlp.numParameters(), 4_722_432);
  },
);

check(
  "uses n_inner when the config sets it",
  { section: "Two projections", hint: "Use config.innerDim, which is n_inner or 4 × n_embd." },
  () => {
    const mlp = new GPT2MLP(new GPT2Config({ n_embd: 16, n_head: 4, n_inner: 40 }));
    expectParameters("GPT2MLP(n_embd 16, n_inner 40)", mlp, {
      "c_fc.weight": [40, 16],
      "c_fc.bias": [40],
      "c_proj.weight": [16, 40],
      "c_proj.bias": [16],
    });
  },
);

check(
  "matches PyTorch: c_proj(gelu(c_fc(x)))",
  {
    section: "Putting it together",
    after: ["gelu"],
    hint: "Expand with c_fc, apply gelu, project back with c_proj — in that order.",
  },
  () => {
    const mlp = new GPT2MLP(tiny);
    mlp.loadStateDict({
      "c_fc.weight": fx.f32("c_fc.weight"),
      "c_fc.bias": fx.f32("c_fc.bias"),
      "c_proj.weight": fx.f32("c_proj.weight"),
      "c_proj.bias": fx.f32("c_proj.bias"),
    });
    expectClose("GPT2MLP.forward(x)", mlp.forward(fx.f32("x")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "keeps the input's shape for any batch",
  {
    section: "Putting it together",
    hint: "Each position is transformed on its own: [..., n_embd] in, [..., n_embd] out.",
  },
  () => {
    const mlp = new GPT2MLP(tiny);
    for (const shape of [
      [3, 16],
      [2, 5, 16],
      [1, 1, 16],
    ])
      expectShape(`GPT2MLP.forward(x of shape [${shape}])`, mlp.forward(randn(shape, new Random(4))), shape);
  },
);

check(
  "rejects input of the wrong width",
  {
    section: "Putting it together",
    hint: "Linear already checks widths; make sure you pass x through c_fc rather than around it.",
  },
  async () => {
    const mlp = new GPT2MLP(tiny);
    await expectError("GPT2MLP(n_embd 16).forward(zeros([2, 3, 8]))", () => mlp.forward(zeros([2, 3, 8])), [
      /\b16\b/,
      /\b8\b/,
    ]);
  },
);
