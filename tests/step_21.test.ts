// Step 21 · The optimizer — checks.
import path from "node:path";
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import { loadPretrained } from "../solutions/solution_15.ts";
import { Linear } from "../lib/nn.ts";
import { withoutInit } from "../lib/random.ts";
import ndarray from "ndarray";
import { contiguousData, fromData, type Tensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  Diagnosis,
  checksFor,
  expectClose,
  expectEqual,
  expectError,
  expectTrue,
  loadStep,
  values,
  type Tolerance,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_21.ts");
const { AdamW, clipGradNorm, decays, learningRate } = await loadStep<Step>("21");
const check = checksFor("21");
const fx = loadFixture("step_21");
const adamw = fx.config.adamw as { lr: number; betas: [number, number]; eps: number; weightDecay: number };
const reference = "torch.optim.AdamW";

function model() {
  const m = withoutInit(() => new GPT2LMHeadModel(new GPT2Config(fx.config)));
  m.loadStateDict(fx.lmHeadModel());
  return m;
}

/** Step t's gradients by every parameter name; the tied head shares wte's, as step 20 returns them. */
function grads(prefix: string): Record<string, Tensor> {
  const m = model();
  const out: Record<string, Tensor> = {};
  for (const [name] of m.namedParameters()) if (name !== "lm_head.weight") out[name] = fx.f32(`${prefix}.${name}`);
  out["lm_head.weight"] = out["transformer.wte.weight"];
  return out;
}

const names = (m: GPT2LMHeadModel) =>
  m
    .namedParameters()
    .map(([n]) => n)
    .filter((n) => n !== "lm_head.weight");

check(
  "decays: matrices (linear weights, embedding tables) yes; biases and layer norms no",
  {
    section: "Weight decay",
    hint: "Decay parameters of two or more dimensions; leave one-dimensional ones (biases, layer norm scales and shifts) alone.",
  },
  () => {
    const m = model();
    const got = Object.fromEntries(m.namedParameters().map(([n, t]) => [n, decays(t)]));
    const expected = Object.fromEntries(m.namedParameters().map(([n, t]) => [n, t.shape.length >= 2]));
    expectEqual("decays(parameter) for each of the tiny model's parameters", got, expected);
  },
);

check(
  "one AdamW step matches torch.optim.AdamW (bias correction, decoupled weight decay)",
  {
    section: "AdamW",
    after: ["decays"],
    hint: "m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·wd·p (2-D only) − lr·m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).",
  },
  () => {
    const m = model();
    new AdamW(m, adamw).update(grads("grad1"));
    expectAfterOneStep(m, "");
  },
);

/** Every parameter of `m` after one step against torch.optim.AdamW's. */
function expectAfterOneStep(m: GPT2LMHeadModel, what: string): void {
  const state = m.stateDict();
  for (const name of names(m))
    expectClose(`${name} after one step${what}`, state[name], fx.f32(`after1.${name}`), fx.tolerance, reference);
}

check(
  "update(grads, lr) steps with the lr it is given (the schedule's), not the one AdamW was built with",
  {
    section: "The schedule",
    after: ["one AdamW step"],
    hint: "The lr argument overrides the constructor's for this step, in the weight decay too: update(grads, lr = this.lr).",
  },
  () => {
    const built = 10 * adamw.lr;
    const m = model();
    new AdamW(m, { ...adamw, lr: built }).update(grads("grad1"), adamw.lr);
    try {
      expectAfterOneStep(m, ` of AdamW({ lr: ${built} }).update(grads, ${adamw.lr})`);
    } catch (error) {
      const atBuilt = model();
      new AdamW(atBuilt, { ...adamw, lr: built }).update(grads("grad1"));
      const same = names(m).every((name) =>
        values(m.stateDict()[name]).every((v, i) => v === values(atBuilt.stateDict()[name])[i]),
      );
      if (same)
        throw new Diagnosis(
          `AdamW({ lr: ${built} }).update(grads, ${adamw.lr}) stepped at ${built} — update ignores its lr\n  the training loop passes each step's rate from learningRate(step); ignored, training runs at a constant rate while the progress line shows the schedule`,
          "The schedule",
        );
      throw error;
    }
  },
);

check(
  "three AdamW steps match torch.optim.AdamW, and the tied table is updated once per step",
  {
    section: "AdamW",
    after: ["one AdamW step"],
    hint: "Keep m and v per parameter between steps, count the steps for the bias correction, and visit a tied tensor once even though it has two names.",
  },
  () => {
    const m = model();
    const optimizer = new AdamW(m, adamw);
    for (const t of [1, 2, 3]) optimizer.update(grads(`grad${t}`));
    const state = m.stateDict();
    for (const name of names(m))
      expectClose(`${name} after three steps`, state[name], fx.f32(`after3.${name}`), fx.tolerance, reference);
    expectTrue("lm_head.weight is still wte's tensor", state["lm_head.weight"] === state["transformer.wte.weight"]);
  },
);

check(
  "AdamW updates parameters wherever they live: a loaded checkpoint's views and shared buffers give the same numbers",
  {
    section: "AdamW",
    after: ["one AdamW step"],
    hint: "Change each parameter in place at its storage positions, and never past its last element: a weight may be a transposed view (element [r, c] is not at r·C + c), and tensors may sit side by side in one buffer. A copy from contiguousData(t) must go back with writeContiguousData(t, data); forEachIndex visits the positions themselves.",
  },
  () => {
    const loaded = loadPretrained(path.join("tests", "fixtures", "tiny-gpt2"));
    const state = loaded.stateDict();
    /** A model of the loaded weights, each tensor made by `place` from its contiguous numbers. */
    const rebuilt = (place: (numbers: Float32Array, shape: number[]) => Tensor) => {
      const m = withoutInit(() => new GPT2LMHeadModel(loaded.config));
      const tensors: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(state)) tensors[name] = place(contiguousData(t).slice(), [...t.shape]);
      tensors["lm_head.weight"] = tensors["transformer.wte.weight"];
      m.loadStateDict(tensors, { assign: true });
      return m;
    };
    const copy = rebuilt((numbers, shape) => fromData(numbers, shape));
    // Every matrix a transposed view of its columns: element [r, c] is not at r·C + c.
    const transposed = rebuilt((numbers, shape) => {
      if (shape.length !== 2) return fromData(numbers, shape);
      const [R, C] = shape;
      const columns = new Float32Array(numbers.length);
      for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) columns[c * R + r] = numbers[r * C + c];
      return ndarray(columns, [C, R]).transpose(1, 0) as Tensor;
    });
    // Every tensor side by side in one array, each a contiguous view at its own offset, as a
    // checkpoint read into one buffer holds them.
    const total = Object.values(state).reduce((n, t) => n + t.size, 0);
    const buffer = new Float32Array(total + 1); // one spare number after the last tensor: written, it is a bug
    let next = 0;
    const packed = rebuilt((numbers, shape) => {
      buffer.set(numbers, next);
      const t = ndarray(buffer, shape, undefined, next);
      next += numbers.length;
      return t;
    });
    const g = grads("grad1");
    new AdamW(loaded, adamw).update(g);
    new AdamW(copy, adamw).update(g);
    new AdamW(transposed, adamw).update(g);
    new AdamW(packed, adamw).update(g);
    const after = copy.stateDict();
    for (const [label, m] of [
      ["the loaded model", loaded],
      ["transposed views", transposed],
      ["one shared buffer (views at offsets)", packed],
    ] as const)
      for (const [name, t] of Object.entries(m.stateDict()))
        expectClose(
          `${name} in ${label} after one step`,
          t,
          after[name],
          fx.tolerance,
          "the same step on contiguous copies",
        );
    expectEqual("the number after the last tensor of the shared buffer (nothing may write there)", buffer[total], 0);
  },
);

check(
  "AdamW's defaults are PyTorch's: betas (0.9, 0.999), eps 1e-8, weight decay 0.01",
  {
    section: "AdamW",
    after: ["one AdamW step"],
    hint: "Only lr is required; the other options default to torch.optim.AdamW's.",
  },
  () => {
    const layer = new Linear(3, 2, { bias: false });
    layer.weight = fx.f32("defaults.weight");
    const optimizer = new AdamW(layer, { lr: 0.1 });
    for (const t of [1, 2]) optimizer.update({ weight: fx.f32(`defaults.grad${t}`) });
    expectClose(
      "the weight after two steps with the defaults",
      layer.weight,
      fx.f32("defaults.after2"),
      fx.tolerance,
      reference,
    );
  },
);

check(
  "AdamW.update names a parameter it has no gradient for",
  {
    section: "AdamW",
    hint: "A missing gradient is a bug upstream: throw an error naming the parameter rather than skipping it.",
  },
  async () => {
    const layer = new Linear(3, 2);
    await expectError(
      "AdamW.update with no gradient for bias",
      () => new AdamW(layer, { lr: 0.1 }).update({ weight: fromData(new Float32Array(6), [2, 3]) }),
      [/\bbias\b/],
    );
  },
);

check(
  "clipGradNorm returns the norm and scales the gradients to norm 1, counting the tied table once",
  {
    section: "Gradient clipping",
    hint: "The norm is √Σ g² over every distinct gradient tensor (lm_head.weight is wte's: count it once); above maxNorm, multiply every gradient by maxNorm / norm.",
  },
  () => {
    const g = grads("grad1");
    const big: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(g))
      if (name !== "lm_head.weight")
        big[name] = fromData(
          t.data.map((v) => v * 10),
          t.shape,
        );
    big["lm_head.weight"] = big["transformer.wte.weight"];
    const norm = clipGradNorm(big, fx.config.clip as number);
    expectClose(
      "clipGradNorm(…)'s norm",
      fromData(Float32Array.of(norm), [1]),
      fx.f32("clip.norm"),
      fx.tolerance,
      "torch.nn.utils.clip_grad_norm_",
    );
    for (const name of names(model()))
      expectClose(
        `the clipped gradient of ${name}`,
        big[name],
        fx.f32(`clip.${name}`),
        fx.tolerance,
        "torch.nn.utils.clip_grad_norm_",
      );
  },
);

check(
  "clipGradNorm scales to any maxNorm, and leaves gradients below it unchanged",
  {
    section: "Gradient clipping",
    hint: "Only scale when the norm √Σg² is larger than maxNorm, by maxNorm / norm.",
  },
  () => {
    const above = { w: fromData(Float32Array.of(0.3, 0.4), [2]) };
    clipGradNorm(above, 0.4);
    expectClose(
      "[0.3, 0.4] (norm 0.5) after clipping to 0.4",
      above.w,
      fromData(Float32Array.of(0.24, 0.32), [2]),
      fx.tolerance,
      "[0.24, 0.32]: compare the norm itself (not its square) with maxNorm",
    );
    const small = { w: fromData(Float32Array.of(0.3, 0.4), [2]) };
    const norm = clipGradNorm(small, 1);
    expectClose(
      "the norm of [0.3, 0.4]",
      fromData(Float32Array.of(norm), [1]),
      fromData(Float32Array.of(0.5), [1]),
      fx.tolerance,
      "0.5",
    );
    expectClose(
      "[0.3, 0.4] after clipping to 1",
      small.w,
      fromData(Float32Array.of(0.3, 0.4), [2]),
      fx.tolerance,
      "unchanged",
    );
  },
);

check(
  "learningRate: linear warmup for 10 steps, a cosine down to minLr at step 100, then minLr",
  {
    section: "The schedule",
    hint: "step < warmup: maxLr·(step+1)/warmup; then minLr + ½(maxLr − minLr)(1 + cos(π·progress)), progress going 0 → 1 from warmup to total.",
  },
  () => {
    const schedule = fx.config.schedule as { maxLr: number; minLr: number; warmup: number; total: number };
    const got = fromData(
      Float32Array.from({ length: 120 }, (_, s) => learningRate(s, schedule)),
      [120],
    );
    expectClose("learningRate(0 … 119)", got, fx.f32("lr"), fx.config.lr_tolerance as Tolerance, "nanoGPT's schedule");
  },
);
