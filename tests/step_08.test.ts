// Step 08 · Attention — checks.
import * as F from "../lib/functional.ts";
import { Random, randn } from "../lib/random.ts";
import { clone, zeros } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectClose, expectError, expectShape, loadStep } from "./harness.ts";

type Step = typeof import("../solutions/solution_08.ts");
const { attention } = await loadStep<Step>("08");
const check = checksFor("08");
const fx = loadFixture("step_08");
const [q, k, v] = [fx.f32("q"), fx.f32("k"), fx.f32("v")];

check(
  "output and weights match PyTorch",
  {
    section: "The formula",
    hint: "softmax(q·kᵀ / √d + causalMask(T)) · v — divide by the square root of the head width.",
  },
  () => {
    const { output, weights } = attention(q, k, v);
    // The output first: the classic mistakes are recorded against it, so a failure can name them.
    expectClose("attention output", output, fx.f32("out"), fx.tolerance);
    expectClose("attention weights", weights, fx.f32("weights"), fx.tolerance);
  },
);

check(
  "with cached keys, new queries see every earlier key",
  {
    section: "Queries after a cache",
    after: ["output and weights"],
    hint: "When k has more rows than q, use causalMask(Tq, Tk − Tq).",
  },
  () => {
    const { output, weights } = attention(fx.f32("q_cached"), k, v);
    expectClose("attention weights (2 queries, 6 keys)", weights, fx.f32("weights_cached"), fx.tolerance);
    expectClose("attention output (2 queries, 6 keys)", output, fx.f32("out_cached"), fx.tolerance);
  },
);

check(
  "every row of weights sums to 1",
  { section: "Softmax", hint: "Softmax over the last axis (the keys), after adding the mask." },
  () => {
    const { weights } = attention(
      randn([2, 5, 8], new Random(1)),
      randn([2, 5, 8], new Random(2)),
      randn([2, 5, 8], new Random(3)),
    );
    expectClose("row sums of the weights", F.sum(weights), F.add(zeros([2, 5, 1]), 1), { atol: 1e-5, rtol: 0 });
  },
);

check(
  "changing a later token never changes an earlier output",
  {
    section: "Causality",
    hint: "Add the causal mask to the scores before softmax, so future keys get weight exactly 0.",
  },
  () => {
    const rng = new Random(8);
    const [a, b, c] = [randn([1, 6, 8], rng), randn([1, 6, 8], rng), randn([1, 6, 8], rng)];
    const before = attention(a, b, c).output;
    const [a2, b2, c2] = [clone(a), clone(b), clone(c)];
    for (let d = 0; d < 8; d++) for (const t of [a2, b2, c2]) t.set(0, 4, d, t.get(0, 4, d) + 10);
    const after = attention(a2, b2, c2).output;
    expectClose("outputs at positions 0…3 after changing token 4", after.hi(1, 4, 8), before.hi(1, 4, 8), {
      atol: 1e-6,
      rtol: 0,
    });
  },
);

check(
  "works with heads as an extra batch axis",
  { section: "Shapes", hint: "Use F.matmul and F.transpose(k, -2, -1): they handle any leading axes." },
  () => {
    const rng = new Random(9);
    const { output, weights } = attention(randn([2, 3, 4, 8], rng), randn([2, 3, 4, 8], rng), randn([2, 3, 4, 8], rng));
    expectShape("output for [B=2, H=3, T=4, d=8]", output, [2, 3, 4, 8]);
    expectShape("weights for [B=2, H=3, T=4, d=8]", weights, [2, 3, 4, 4]);
  },
);

check(
  "rejects q and k of different widths",
  {
    section: "Shapes",
    hint: "q·kᵀ needs the same head width d; let the shape error through rather than returning NaN.",
  },
  async () => {
    await expectError(
      "attention(q [1, 4, 8], k [1, 4, 6], v [1, 4, 6])",
      () => attention(zeros([1, 4, 8]), zeros([1, 4, 6]), zeros([1, 4, 6])),
      [/\b8\b/, /\b6\b/],
    );
  },
);
