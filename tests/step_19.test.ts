// Step 19 · Backward through attention — checks.
import { attention } from "../solutions/solution_08.ts";
import { Random, randn } from "../lib/random.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectClose, expectTrue, loadStep } from "./harness.ts";

type Step = typeof import("../solutions/solution_19.ts");
const { attentionBackward, softmaxBackward } = await loadStep<Step>("19");
const check = checksFor("19");
const fx = loadFixture("step_19");
const autograd = "torch.autograd";

check(
  "softmaxBackward matches torch.autograd: w ⊙ (dw − Σ dw·w) along each row",
  {
    section: "Softmax",
    hint: "Each weight depends on every score of its row through the shared denominator: subtract the row's Σ dw·w before multiplying by w.",
  },
  () => {
    const dscores = softmaxBackward(fx.f32("softmax.weights"), fx.f32("softmax.dweights"));
    expectClose("softmaxBackward(weights, dweights)", dscores, fx.f32("softmax.dscores"), fx.tolerance, autograd);
  },
);

for (const [name, what] of [
  ["full", "a prompt (Tq = Tk = 5)"],
  ["cached", "queries after a cache (Tq 3, Tk 6)"],
] as const)
  check(
    `attentionBackward matches torch.autograd for ${what}, with a head axis`,
    {
      section: "Attention",
      after: ["softmaxBackward"],
      hint: "dv = weightsᵀ·dout; dweights = dout·vᵀ; dscores = softmaxBackward(weights, dweights)/√d; dq = dscores·k; dk = dscoresᵀ·q.",
    },
    () => {
      const { dq, dk, dv } = attentionBackward(
        fx.f32(`${name}.q`),
        fx.f32(`${name}.k`),
        fx.f32(`${name}.v`),
        fx.f32(`${name}.weights`),
        fx.f32(`${name}.dout`),
      );
      expectClose("attentionBackward(…).dv", dv, fx.f32(`${name}.dv`), fx.tolerance, autograd);
      expectClose("attentionBackward(…).dq", dq, fx.f32(`${name}.dq`), fx.tolerance, autograd);
      expectClose("attentionBackward(…).dk", dk, fx.f32(`${name}.dk`), fx.tolerance, autograd);
    },
  );

check(
  "no gradient reaches a future key: changing dout at query i leaves dk and dv of keys after i at zero",
  {
    section: "The mask",
    after: ["attentionBackward"],
    hint: "Masked scores have weight 0, so softmaxBackward gives them gradient 0 — as long as you use the forward pass's weights.",
  },
  () => {
    const rng = new Random(19);
    const [q, k, v] = [randn([1, 4, 8], rng), randn([1, 4, 8], rng), randn([1, 4, 8], rng)];
    const { weights } = attention(q, k, v);
    const dout = randn([1, 4, 8], rng);
    for (let i = 1; i < 4; i++) for (let c = 0; c < 8; c++) dout.set(0, i, c, 0); // only query 0 has a gradient
    const { dk, dv } = attentionBackward(q, k, v, weights, dout);
    let leaked = 0;
    for (let j = 1; j < 4; j++)
      for (let c = 0; c < 8; c++) leaked = Math.max(leaked, Math.abs(dk.get(0, j, c)), Math.abs(dv.get(0, j, c)));
    expectTrue("keys 1…3 get no gradient from query 0", leaked === 0, `largest |dk| or |dv| there: ${leaked}`);
  },
);
