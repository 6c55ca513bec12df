// Step 18 · Backward through a layer — checks.
import { Random, randn } from "../lib/random.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectClose, expectShape, loadStep, type Tolerance } from "./harness.ts";

type Step = typeof import("../solutions/solution_18.ts");
const { geluBackward, layerNormBackward, linearBackward } = await loadStep<Step>("18");
const check = checksFor("18");
const fx = loadFixture("step_18");
const autograd = "torch.autograd";

check(
  "linearBackward: dx = dout·W, matching torch.autograd",
  {
    section: "Linear",
    hint: "Each position's dx is its dout times the [out, in] weight: [..., out]·[out, in] → [..., in].",
  },
  () => {
    const { dx } = linearBackward(fx.f32("linear.x"), fx.f32("linear.weight"), fx.f32("linear.dout"));
    expectClose("linearBackward(…).dx", dx, fx.f32("linear.dx"), fx.tolerance, autograd);
  },
);

check(
  "linearBackward: dweight = Σ doutᵀ·x and dbias = Σ dout over every position",
  {
    section: "Linear",
    hint: "A weight is used at every position of every sequence, so its gradient is the sum of each position's doutᵀ·x; the bias's is the sum of dout.",
  },
  () => {
    const { dweight, dbias } = linearBackward(fx.f32("linear.x"), fx.f32("linear.weight"), fx.f32("linear.dout"));
    expectClose("linearBackward(…).dweight", dweight, fx.f32("linear.dweight"), fx.tolerance, autograd);
    expectClose("linearBackward(…).dbias", dbias, fx.f32("linear.dbias"), fx.tolerance, autograd);
  },
);

check(
  "linearBackward keeps x's shape for 2-D and 4-D inputs",
  {
    section: "Linear",
    hint: "Treat every leading axis as positions: flatten to rows, multiply, and give dx the shape of x.",
  },
  () => {
    const rng = new Random(18);
    const weight = randn([5, 3], rng);
    for (const shape of [
      [4, 3],
      [2, 2, 2, 3],
    ]) {
      const lead = shape.slice(0, -1);
      const { dx, dweight, dbias } = linearBackward(randn(shape, rng), weight, randn([...lead, 5], rng));
      expectShape(`dx for x [${shape}]`, dx, shape);
      expectShape(`dweight for x [${shape}]`, dweight, [5, 3]);
      expectShape(`dbias for x [${shape}]`, dbias, [5]);
    }
  },
);

check(
  "geluBackward matches torch.autograd on [-6, 6] (tanh GELU, times dout)",
  {
    section: "GELU",
    hint: "With t = tanh(u): 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), multiplied by dout.",
  },
  () => {
    const dx = geluBackward(fx.f32("gelu.x"), fx.f32("gelu.dout"));
    expectClose("geluBackward(x, dout)", dx, fx.f32("gelu.dx"), fx.config.gelu_tolerance as Tolerance, autograd);
  },
);

check(
  "layerNormBackward: dx matches torch.autograd, mean and variance terms included",
  {
    section: "Layer norm",
    hint: "dx̂ = dout·weight; dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / √(var + eps). Every x moves the mean and the variance too.",
  },
  () => {
    const { dx } = layerNormBackward(fx.f32("ln.x"), fx.f32("ln.weight"), 1e-5, fx.f32("ln.dout"));
    expectClose("layerNormBackward(…).dx", dx, fx.f32("ln.dx"), fx.tolerance, autograd);
  },
);

check(
  "layerNormBackward: dweight = Σ dout·x̂ and dbias = Σ dout over every position",
  { section: "Layer norm", hint: "The scale multiplies x̂, so its gradient sums dout·x̂; the shift's sums dout." },
  () => {
    const { dweight, dbias } = layerNormBackward(fx.f32("ln.x"), fx.f32("ln.weight"), 1e-5, fx.f32("ln.dout"));
    expectClose("layerNormBackward(…).dweight", dweight, fx.f32("ln.dweight"), fx.tolerance, autograd);
    expectClose("layerNormBackward(…).dbias", dbias, fx.f32("ln.dbias"), fx.tolerance, autograd);
  },
);
