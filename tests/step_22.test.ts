// Step 22 · The training loop — checks.
import { readFileSync } from "node:fs";
import path from "node:path";
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import { loadPretrained } from "../solutions/solution_15.ts";
import { AdamW } from "../solutions/solution_21.ts";
import { Random, withoutInit } from "../lib/random.ts";
import { parseSafetensors } from "../lib/safetensors.ts";
import { fromData, intTensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  Diagnosis,
  checksFor,
  expectClose,
  expectEqual,
  expectError,
  expectTrue,
  loadStep,
  type Tolerance,
} from "./harness.ts";
import { withTempDir } from "./temp-dir.ts";

type Step = typeof import("../solutions/solution_22.ts");
const { evaluate, randomBatch, saveCheckpoint, trainStep } = await loadStep<Step>("22");
const check = checksFor("22");
const fx = loadFixture("step_22");
const config = new GPT2Config(fx.config);
const adamw = fx.config.adamw as { lr: number; betas: [number, number]; eps: number; weightDecay: number };
const clip = fx.config.clip as number;
const scalar = (v: number) => fromData(Float32Array.of(v), [1]);

function model() {
  const m = withoutInit(() => new GPT2LMHeadModel(config));
  m.loadStateDict(fx.lmHeadModel());
  return m;
}

check(
  "randomBatch: B windows of T + 1 consecutive tokens from anywhere in the stream, the same for the same seed",
  {
    section: "Batches",
    hint: "Pick each start uniformly from 0 … length − T − 1 with rng.uniform(), and copy tokens start … start + T.",
  },
  () => {
    const tokens = Int32Array.from({ length: 100 }, (_, i) => i); // token i at position i: a window's values show where it came from
    const batch = randomBatch(tokens, 64, 7, new Random(1));
    expectEqual("randomBatch(100 tokens, B 64, T 7).shape", [...batch.shape], [64, 8]);
    const starts = new Set<number>();
    for (let b = 0; b < 64; b++) {
      const start = batch.get(b, 0);
      starts.add(start);
      for (let t = 0; t < 8; t++) expectEqual(`row ${b}, position ${t}`, batch.get(b, t), start + t);
    }
    expectTrue(
      "windows start in many places (not always at 0)",
      starts.size > 20,
      `${starts.size} different starts in 64 windows`,
    );
    expectTrue("no window runs past the end (the last start is 92)", Math.max(...starts) <= 92);
    const again = randomBatch(tokens, 64, 7, new Random(1));
    expectEqual(
      "the first column for the same seed",
      [...Array(64).keys()].map((b) => again.get(b, 0)),
      [...Array(64).keys()].map((b) => batch.get(b, 0)),
    );
  },
);

check(
  "randomBatch: from a short stream, both the first window (start 0) and the last one can be drawn",
  {
    section: "Batches",
    after: ["randomBatch: B windows"],
    hint: "A stream of n tokens has n − T windows of T + 1 tokens: starts 0 … n − T − 1, every one of them possible. Math.floor(rng.uniform() * (n − T)) draws exactly those.",
  },
  () => {
    const tokens = Int32Array.from({ length: 12 }, (_, i) => i); // T 7: starts 0 … 4
    const batch = randomBatch(tokens, 200, 7, new Random(3));
    const starts = new Set(Array.from({ length: 200 }, (_, b) => batch.get(b, 0)));
    const missing = [0, 1, 2, 3, 4].filter((start) => !starts.has(start));
    expectTrue(
      "200 windows of 8 tokens from a 12-token stream start at each of 0, 1, 2, 3, 4",
      missing.length === 0,
      `never drawn: start ${missing.join(", ")}${missing.includes(4) ? " — last window never drawn: is the range of starts one short?" : ""}${missing.includes(0) ? " — the first window never drawn: does the range start at 1?" : ""}`,
    );
  },
);

check(
  "randomBatch refuses a stream shorter than one window",
  { section: "Batches", hint: "A window needs T + 1 tokens: throw a RangeError naming both numbers." },
  async () => {
    await expectError(
      "randomBatch(5 tokens, B 2, T 8)",
      () => randomBatch(new Int32Array(5), 2, 8, new Random(0)),
      [/\b9\b/, /\b5\b/],
      "RangeError",
    );
    await expectError(
      "randomBatch(8 tokens, B 2, T 8)",
      () => randomBatch(new Int32Array(8), 2, 8, new Random(0)),
      [/\b9\b/, /\b8\b/],
      "RangeError",
    );
    const exact = randomBatch(
      Int32Array.from({ length: 9 }, (_, i) => i),
      2,
      8,
      new Random(0),
    );
    expectEqual(
      "randomBatch(exactly 9 tokens, B 2, T 8): both rows are the whole stream",
      [exact.get(0, 8), exact.get(1, 0)],
      [8, 0],
    );
  },
);

/** One trainStep on the fixture's window, with an AdamW built with rate `built` and the step's rate `lr`. */
function oneStep(built: number, lr: number) {
  const m = model();
  const result = trainStep(m, new AdamW(m, { ...adamw, lr: built }), fx.i32("train.window"), { lr, clip });
  return { m, ...result };
}

/** Every parameter after the step against PyTorch's. */
function expectParametersAfterStep(m: GPT2LMHeadModel): void {
  const state = m.stateDict();
  for (const [name] of m.namedParameters())
    if (name !== "lm_head.weight")
      expectClose(`${name} after the step`, state[name], fx.f32(`train.after.${name}`), fx.tolerance);
}

check(
  "trainStep: one step matches PyTorch (loss, gradient norm, and every parameter after clipping and AdamW at the step's lr)",
  {
    section: "One training step",
    hint: "nextTokenTargets, forwardForTraining, crossEntropy, backward(crossEntropyBackward), clipGradNorm, then optimizer.update(grads, lr).",
  },
  () => {
    // The optimizer is built with another rate than the step's: trainStep must pass its lr on (the schedule's).
    const built = 10 * adamw.lr;
    const { m, loss, norm } = oneStep(built, adamw.lr);
    expectClose("trainStep(…).loss", scalar(loss), fx.f32("train.loss"), fx.tolerance);
    try {
      expectParametersAfterStep(m);
    } catch (error) {
      let stepsAtBuiltRate = false;
      try {
        expectParametersAfterStep(oneStep(adamw.lr, adamw.lr).m);
        stepsAtBuiltRate = true;
      } catch {}
      if (stepsAtBuiltRate)
        throw new Diagnosis(
          `trainStep stepped at the rate the optimizer was built with (${built}), not at the lr it was given (${adamw.lr}) — the schedule's rate not passed to the optimizer\n  npm run train would train at a constant rate while its progress line shows the schedule: call optimizer.update(grads, lr)`,
          "One training step",
        );
      throw error;
    }
    expectClose("trainStep(…).norm (before clipping)", scalar(norm), fx.f32("train.norm"), fx.tolerance);
  },
);

check(
  "ten trainSteps along a warmup-and-cosine schedule reproduce PyTorch's ten losses",
  {
    section: "One training step",
    after: ["trainStep"],
    hint: "Each call is one whole step on its own window: fresh gradients from backward, clipped, then optimizer.update(grads, lr) with that step's lr; nothing carried over but the weights and AdamW's m and v.",
  },
  () => {
    const { schedule, lrs } = fx.config.ten_steps as { schedule: { maxLr: number }; lrs: number[] };
    const m = model();
    const optimizer = new AdamW(m, { ...adamw, lr: schedule.maxLr });
    const windows = fx.i32("ten.windows"); // [10, 2, 9]
    const losses = lrs.map((lr, s) => trainStep(m, optimizer, windows.pick(s, null, null), { lr, clip }).loss);
    expectClose(
      `the losses of ten trainSteps at rates ${lrs.map((lr) => lr.toPrecision(2)).join(", ")}`,
      fromData(Float32Array.from(losses), [10]),
      fx.f32("ten.losses"),
      fx.config.ten_steps_tolerance as Tolerance,
    );
  },
);

check(
  "a few steps on one window lower its loss",
  {
    section: "One training step",
    after: ["trainStep"],
    hint: "Each step must move the parameters against the gradient: check the sign of your update.",
  },
  () => {
    const m = model();
    const optimizer = new AdamW(m, adamw);
    const window = fx.i32("train.window");
    const losses = [1, 2, 3, 4, 5].map(() => trainStep(m, optimizer, window, { lr: adamw.lr, clip: 1 }).loss);
    expectTrue(
      "the loss falls from the first step to the fifth",
      losses[4] < losses[0],
      `losses: ${losses.map((l) => l.toFixed(4)).join(", ")}`,
    );
  },
);

check(
  "evaluate: the mean loss over the held-out stream, in windows that overlap by one token",
  {
    section: "Held-out text",
    hint: "Windows i·T … i·T + T for i = 0 … ⌊(length − 1)/T⌋ − 1, B at a time; average over all windows, not just the last batch.",
  },
  () => {
    const loss = evaluate(model(), fx.i32("eval.tokens").data, fx.config.eval_B as number, fx.config.eval_T as number);
    expectClose("evaluate(model, 41 tokens, B 3, T 8)", scalar(loss), fx.f32("eval.loss"), fx.tolerance);
  },
);

check(
  "evaluate uses only whole windows, and refuses a stream shorter than one",
  {
    section: "Held-out text",
    after: ["evaluate: the mean loss"],
    hint: "⌊(length − 1)/T⌋ windows: 40 tokens make 4 windows of 9 (a fifth would need a 41st token).",
  },
  async () => {
    const tokens = fx.i32("eval.tokens").data;
    for (const [n, B] of [
      [33, 2],
      [40, 3],
    ])
      expectClose(
        `evaluate(model, the first ${n} tokens, B ${B}, T 8)`,
        scalar(evaluate(model(), tokens.subarray(0, n), B, 8)),
        fx.f32("eval.loss_4_windows"),
        fx.tolerance,
      );
    await expectError(
      "evaluate(model, 8 tokens, B 3, T 8)",
      () => evaluate(model(), tokens.subarray(0, 8), 3, 8),
      [/\b9\b/, /\b8\b/],
      "RangeError",
    );
  },
);

check(
  "saveCheckpoint writes Hugging Face's layout, and step 15 loads it back with the same logits",
  {
    section: "Checkpoints",
    hint: 'config.json with GPT-2\'s keys, and model.safetensors with the transformer.… names, Conv1D weights transposed back to [in, out], no lm_head.weight (tied), and metadata { format: "pt", ...metadata }.',
  },
  () =>
    withTempDir("checkpoint", (dir) => {
      const m = model();
      saveCheckpoint(m, dir, { trained_steps: "7" });
      const written = parseSafetensors(readFileSync(path.join(dir, "model.safetensors"))).tensors;
      const hf = parseSafetensors(
        readFileSync(path.join("tests", "fixtures", "tiny-gpt2-prefixed", "model.safetensors")),
      ).tensors;
      const layout = (tensors: Record<string, { shape: readonly number[] }>) =>
        Object.fromEntries(
          Object.entries(tensors)
            .filter(([n]) => !/attn\.(masked_)?bias$|^lm_head/.test(n)) // HF's file repeats the tied head; the course writes it once
            .map(([n, t]) => [n, [...t.shape].join("×")])
            .sort(([a], [b]) => a.localeCompare(b)),
        );
      expectEqual(
        "the tensors written (names and shapes) against a checkpoint saved by Hugging Face",
        layout(written),
        layout(hf),
      );
      const file = parseSafetensors(readFileSync(path.join(dir, "model.safetensors")));
      expectEqual(
        "lm_head.weight in the file (it is wte: Hugging Face ties it on loading)",
        "lm_head.weight" in file.tensors,
        false,
      );
      expectEqual(
        "the file's metadata format (transformers refuses a file without format: pt)",
        file.metadata.format,
        "pt",
      );
      expectEqual(
        'the metadata saveCheckpoint was given ({ trained_steps: "7" }; npm run train records its step there)',
        file.metadata.trained_steps,
        "7",
      );
      const json = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
      const reference = JSON.parse(readFileSync(path.join("tests", "fixtures", "tiny-gpt2", "config.json"), "utf8"));
      const keys = [
        "model_type",
        "architectures",
        "activation_function",
        "vocab_size",
        "n_positions",
        "n_ctx",
        "n_embd",
        "n_layer",
        "n_head",
        "n_inner",
        "layer_norm_epsilon",
      ];
      const pick = (o: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, o[k]]));
      expectEqual("config.json, against one Hugging Face wrote", pick(json), pick(reference));
      expectEqual("config.json's tie_word_embeddings (absent means true)", json.tie_word_embeddings ?? true, true);
      const ids = intTensor([[3, 17, 42, 8, 0]]);
      expectClose(
        "the reloaded model's logits",
        loadPretrained(dir).forward(ids),
        m.forward(ids),
        fx.tolerance,
        "the saved model's logits",
      );
    }),
);
