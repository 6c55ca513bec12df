// Step 03 · Layer normalization — checks.
import * as F from "../lib/functional.ts";
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
} from "./harness.ts";

type Step = typeof import("../solutions/solution_03.ts");
const { LayerNorm } = await loadStep<Step>("03");
const check = checksFor("03");
const fx = loadFixture("step_03");

check(
  "parameters: weight [768] of ones and bias [768] of zeros, 1,536 in all",
  {
    section: "Learned scale and shift",
    hint: "Create weight with ones([dim]) and bias with zeros([dim]) as fields of the module.",
  },
  () => {
    const ln = new LayerNorm(768);
    expectParameters("LayerNorm(768)", ln, { weight: [768], bias: [768] });
    expectCount("LayerNorm(768).numParameters()", ln.numParameters(), 1536);
    expectClose("LayerNorm(768).weight", ln.weight, F.add(zeros([768]), 1), { atol: 0, rtol: 0 });
    expectClose("LayerNorm(768).bias", ln.bias, zeros([768]), { atol: 0, rtol: 0 });
  },
);

check(
  "matches PyTorch's nn.LayerNorm (rows of very different scales)",
  {
    section: "The formula",
    hint: "Biased variance (divide by n), eps inside the square root: (x − mean) / √(var + eps) · weight + bias.",
  },
  () => {
    const ln = new LayerNorm(16, 1e-5);
    ln.loadStateDict({ weight: fx.f32("weight"), bias: fx.f32("bias") });
    expectClose("LayerNorm(16).forward(x)", ln.forward(fx.f32("x")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "uses the eps it is given: LayerNorm(16, 0.1) matches PyTorch's",
  { section: "The formula", hint: "Add this.eps, the value the constructor received, not the literal 1e-5." },
  () => {
    const ln = new LayerNorm(16, 0.1);
    ln.loadStateDict({ weight: fx.f32("weight"), bias: fx.f32("bias") });
    expectClose("LayerNorm(16, 0.1).forward(x)", ln.forward(fx.f32("x")), fx.f32("y_eps_0.1"), fx.tolerance);
  },
);

check(
  "before the affine part, each row has mean ≈ 0 and variance ≈ 1",
  {
    section: "The formula",
    hint: "Normalise over the last axis only; F.mean and F.variance keep that axis as size 1 so it broadcasts.",
  },
  () => {
    const ln = new LayerNorm(32);
    const y = ln.forward(F.add(randn([4, 32], new Random(1), 3), 5));
    expectClose("row means of the output", F.mean(y), zeros([4, 1]), { atol: 1e-5, rtol: 0 });
    expectClose("row variances of the output", F.variance(y), F.add(zeros([4, 1]), 1), { atol: 1e-4, rtol: 0 });
  },
);

check(
  "works for any number of leading dimensions",
  { section: "Shapes", hint: "Only the last axis is normalised; every leading axis is a separate row." },
  () => {
    const ln = new LayerNorm(16);
    for (const shape of [
      [3, 16],
      [2, 5, 16],
      [2, 3, 4, 16],
      [1, 1, 16],
    ])
      expectShape(`LayerNorm(16).forward(x of shape [${shape}])`, ln.forward(randn(shape, new Random(2))), shape);
  },
);

check(
  "rejects input whose last dimension is not dim",
  {
    section: "Shapes",
    hint: "Input of width 8 into LayerNorm(16) must throw an error that names both sizes, not return NaN.",
  },
  async () => {
    const ln = new LayerNorm(16);
    await expectError("LayerNorm(16).forward(zeros([2, 8]))", () => ln.forward(zeros([2, 8])), [/\b16\b/, /\b8\b/]);
  },
);
