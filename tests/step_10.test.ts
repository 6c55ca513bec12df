// Step 10 · Residual connections and layer norm — checks.
import { LayerNorm } from "../solutions/solution_03.ts";
import { Linear } from "../lib/nn.ts";
import { Random, randn } from "../lib/random.ts";
import { clone, zeros, type Tensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectClose, expectError, expectShape, loadStep } from "./harness.ts";

type Step = typeof import("../solutions/solution_10.ts");
const { preNormResidual } = await loadStep<Step>("10");
const check = checksFor("10");
const fx = loadFixture("step_10");

function parts() {
  const ln = new LayerNorm(16);
  ln.loadStateDict(fx.module("ln."));
  const sublayer = new Linear(16, 16);
  sublayer.loadStateDict(fx.module("sublayer."));
  return { ln, sublayer };
}

check(
  "matches PyTorch: x + f(ln(x))",
  { section: "Pre-norm", hint: "Normalise a copy for the sublayer, then add its output to the original x." },
  () => {
    const { ln, sublayer } = parts();
    expectClose(
      "preNormResidual(x, ln, f)",
      preNormResidual(fx.f32("x"), ln, (h) => sublayer.forward(h)),
      fx.f32("y"),
      fx.tolerance,
    );
  },
);

check(
  "the sublayer receives the normalised input",
  { section: "Pre-norm", hint: "Call sublayer(norm.forward(x)), not sublayer(x)." },
  () => {
    const { ln } = parts();
    const x = fx.f32("x");
    let seen: Tensor | undefined;
    preNormResidual(x, ln, (h) => {
      seen = h;
      return zeros(h.shape);
    });
    expectClose("the sublayer's input", seen, ln.forward(x), { atol: 1e-6, rtol: 1e-6 });
  },
);

check(
  "a sublayer that returns zeros leaves x unchanged",
  { section: "The residual stream", hint: "The result is x plus the update; x itself is never normalised." },
  () => {
    const { ln } = parts();
    const x = fx.f32("x");
    expectClose(
      "preNormResidual(x, ln, () => 0)",
      preNormResidual(x, ln, (h) => zeros(h.shape)),
      x,
      { atol: 0, rtol: 0 },
    );
  },
);

check(
  "does not modify its input",
  { section: "The residual stream", hint: "Build a new tensor with F.add rather than writing into x." },
  () => {
    const { ln, sublayer } = parts();
    const x = randn([2, 3, 16], new Random(10));
    const copy = clone(x);
    expectShape(
      "preNormResidual(x [2, 3, 16], …)",
      preNormResidual(x, ln, (h) => sublayer.forward(h)),
      [2, 3, 16],
    );
    expectClose("x after the call", x, copy, { atol: 0, rtol: 0 });
  },
);

check(
  "rejects a sublayer output of another shape",
  {
    section: "The residual stream",
    hint: "The update must have x's shape to be added; name both shapes in the error.",
  },
  async () => {
    const { ln } = parts();
    await expectError(
      "a sublayer returning [2, 3, 8] for x [2, 3, 16]",
      () => preNormResidual(randn([2, 3, 16], new Random(1)), ln, () => zeros([2, 3, 8])),
      [/\b8\b/, /\b16\b/],
    );
    // A shape that would broadcast silently is just as wrong: the stream must keep x's shape.
    await expectError(
      "a sublayer returning [2, 3, 1] for x [2, 3, 16]",
      () => preNormResidual(randn([2, 3, 16], new Random(1)), ln, () => zeros([2, 3, 1])),
      [/\[2, 3, 1\]/, /\[2, 3, 16\]/],
    );
  },
);
