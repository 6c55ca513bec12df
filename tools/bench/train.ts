// `npm run bench -- --train [--compare-torch]` (tools/commands/bench.ts): tokens per second of `npm run train`'s step (the
// reference chain's trainStep: forward, loss, backward, clipping, AdamW) on random windows, at
// npm run train's default shape and at GPT-2 124M's; with --compare-torch, PyTorch's
// (scripts/bench_train.py, the same shapes, threads and batch) in the same run, the two taking
// turns round by round so that a change in the machine's load falls on both. With --train-memory,
// the peak memory of a few steps at GPT-2 124M with the fine-tune's batch, ours and PyTorch's,
// each in a process of its own (tools/bench/train-peak.ts is ours).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { median } from "./median.ts";
import { LARGE_MODEL, TRAIN_NODE_OPTIONS } from "../train/node-options.ts";
import { preferLowPeak } from "../../lib/memory.ts";
import { Random } from "../../lib/random.ts";
import { GPT2Config } from "../../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../../solutions/solution_13.ts";
import { AdamW } from "../../solutions/solution_21.ts";
import { loadPretrained } from "../../solutions/solution_15.ts";
import { randomBatch, saveCheckpoint, trainStep } from "../../solutions/solution_22.ts";

interface TrainShape {
  name: string;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nPositions: number;
  batch: number;
  context: number;
  /** Steps timed per round (after untimed ones: two in the first round, one in each later one). */
  steps: number;
  /**
   * Whether the weights come from a checkpoint, as `npm run train -- --from DIR` loads them
   * (straight into the kernels' memory), rather than made at random in ordinary memory, as
   * `npm run train` makes its default model (whose products then copy them in each time).
   */
  fromCheckpoint: boolean;
}

/** npm run train's defaults, GPT-2 124M with one window of 64 tokens, and with the fine-tune's 4 (npm run train -- --from). */
export const TRAIN_SHAPES: Record<string, TrainShape> = {
  default: {
    name: "npm run train's default",
    nEmbd: 64,
    nLayer: 2,
    nHead: 4,
    nPositions: 64,
    batch: 8,
    context: 64,
    steps: 8,
    fromCheckpoint: false,
  },
  "124m": {
    name: "GPT-2 124M",
    nEmbd: 768,
    nLayer: 12,
    nHead: 12,
    nPositions: 1024,
    batch: 1,
    context: 64,
    steps: 3,
    fromCheckpoint: true,
  },
  finetune: {
    name: "GPT-2 124M, the fine-tune's batch",
    nEmbd: 768,
    nLayer: 12,
    nHead: 12,
    nPositions: 1024,
    batch: 4,
    context: 64,
    steps: 2,
    fromCheckpoint: true,
  },
};

const VOCAB = 50257;
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
const describe = (s: TrainShape) =>
  `${s.name}: ${s.nLayer} blocks × ${s.nEmbd}, ${s.nHead} heads, batch ${s.batch} × ${s.context}, vocab ${fmt(VOCAB)}, ${s.fromCheckpoint ? "loaded from a checkpoint of random weights" : "random weights"}`;

/**
 * A model, its optimizer and a token stream to cut windows from, as npm run train makes them: `run`
 * times steps of it, and `weightBytes` is its weights' size in float32.
 */
export function trainer(shape: TrainShape): { run: (steps: number) => Promise<number>; weightBytes: number } {
  const config = new GPT2Config({
    n_embd: shape.nEmbd,
    n_layer: shape.nLayer,
    n_head: shape.nHead,
    n_positions: shape.nPositions,
  });
  const model = shape.fromCheckpoint ? throughCheckpoint(new GPT2LMHeadModel(config)) : new GPT2LMHeadModel(config);
  preferLowPeak(model.numParameters() >= LARGE_MODEL); // as npm run train does
  const optimizer = new AdamW(model, { lr: 3e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
  const rng = new Random(0);
  const tokens = Int32Array.from({ length: 100_000 }, () => Math.floor(rng.uniform() * VOCAB));
  let warmup = 2; // as PyTorch's turn has: at 124M the second step is still ~1.7× slower than the rest
  /** Tokens per second over `steps` steps after untimed ones, yielding between steps as npm run train does. */
  const run = async (steps: number): Promise<number> => {
    let seconds = 0;
    for (let i = 0; i < warmup + steps; i++) {
      const window = randomBatch(tokens, shape.batch, shape.context, rng);
      const start = performance.now();
      trainStep(model, optimizer, window, { lr: 3e-3, clip: 1 });
      if (i >= warmup) seconds += (performance.now() - start) / 1000;
      await nextTurn(); // npm run train lets the event loop turn between steps; so must we
    }
    warmup = 1; // later rounds continue the same model, warm
    return (steps * shape.batch * shape.context) / seconds;
  };
  return { run, weightBytes: 4 * model.numParameters() };
}

/** `model` saved by step 22 and loaded back by step 15, as a fine-tune loads its checkpoint. */
function throughCheckpoint(model: GPT2LMHeadModel): GPT2LMHeadModel {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-train-"));
  try {
    saveCheckpoint(model, dir);
    return loadPretrained(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface TorchFigures {
  torch: string;
  /** The BLAS libraries PyTorch's process had loaded (scripts/blas.py). */
  blas: string;
  tokensPerS: number;
  /** The whole Python process's, as getrusage counts it. */
  peakRssBytes: number;
}

/**
 * PyTorch's figures for `shape` (scripts/bench_train.py in a process of its own) after `warmup`
 * untimed steps, or an Error saying why it could not run.
 */
function torchFigures(shape: TrainShape, threads: number, warmup = 2): TorchFigures | Error {
  const args = [
    "scripts/bench_train.py",
    "--json",
    ...["--threads", threads, "--steps", shape.steps, "--warmup", warmup],
    ...["--n-embd", shape.nEmbd, "--n-layer", shape.nLayer],
    ...["--n-head", shape.nHead, "--n-positions", shape.nPositions, "--batch", shape.batch, "--context", shape.context],
  ].map(String);
  // OpenBLAS tuned for another core kind, or a smaller cache, is slower here (shared/DEPENDENCIES.md).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    const out = execFileSync("/usr/bin/python3", args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
    const raw = JSON.parse(out) as { torch: string; blas: string; tokens_per_s: number; peak_rss_bytes: number };
    return { torch: raw.torch, blas: raw.blas, tokensPerS: raw.tokens_per_s, peakRssBytes: raw.peak_rss_bytes };
  } catch (error) {
    return error as Error;
  }
}

/** What --compare-torch says when Debian's PyTorch is not there to run. */
export const TORCH_MISSING =
  "--compare-torch needs Debian's PyTorch (/usr/bin/python3 with python3-torch): apt-get install python3-torch python3-numpy libopenblas0-openmp";

/**
 * A warning when PyTorch and NumPy ran on the reference BLAS (Debian's default without
 * libopenblas0-openmp): far slower, so any ratio to them would flatter ours. Empty otherwise.
 */
export function blasWarning(blas: string): string {
  if (/openblas|mkl|blis/i.test(blas)) return "";
  return `  warning: Debian's PyTorch and NumPy are using the reference BLAS (${blas || "none loaded"}), far slower than OpenBLAS (2.4 GFLOP/s measured here): ratios to them mean nothing. apt-get install libopenblas0-openmp`;
}

/** Our peak resident memory over `shape.steps` + 2 steps of `shape`, in a fresh process, and the weights' bytes. */
function ourPeak(shape: string, backend: string, threads: number): { peakRssBytes: number; weightBytes: number } {
  const child = fileURLToPath(new URL("./train-peak.ts", import.meta.url));
  const node = [...process.execArgv, ...TRAIN_NODE_OPTIONS]; // as npm run train starts node
  const out = execFileSync(process.execPath, [...node, child, shape, backend, String(threads)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out);
}

/**
 * Peak memory of training GPT-2 124M with the fine-tune's batch: ours on `backend`'s kernels
 * (loaded from a checkpoint of random weights), and with `compare` PyTorch's (random weights, its
 * own process, as many steps, the first two untimed on both sides), against the float32 weights' bytes.
 */
export function memoryFigures(backend: "wasm" | "js", threads: number, compare: boolean): void {
  const shape = TRAIN_SHAPES.finetune;
  console.log(
    `\nmemory  ${describe(shape)}: peak resident memory of ${shape.steps + 2} steps, each in its own process`,
  );
  const { peakRssBytes: ours, weightBytes } = ourPeak("finetune", backend, threads);
  const gib = (bytes: number) =>
    `${(bytes / 2 ** 30).toFixed(2)} GiB (${(bytes / weightBytes).toFixed(1)}× the weights)`;
  let line = `  ours ${gib(ours)}`;
  if (compare) {
    const theirs = torchFigures(shape, threads);
    if (theirs instanceof Error) console.log(`${TORCH_MISSING}\n${theirs.message.split("\n")[0]}`);
    else
      line += `, PyTorch ${theirs.torch} ${gib(theirs.peakRssBytes)}: ours is ${(ours / theirs.peakRssBytes).toFixed(2)}× PyTorch's`;
  }
  console.log(`${line}; the float32 weights are ${(weightBytes / 2 ** 20).toFixed(0)} MiB`);
}

/** Times each shape in `names` for `rounds` rounds, PyTorch taking its turn after ours in each when `compare`. */
export async function trainFigures(names: string[], threads: number, rounds: number, compare: boolean): Promise<void> {
  for (const key of names) {
    const shape = TRAIN_SHAPES[key];
    console.log(`\ntrain   ${describe(shape)}`);
    const { run } = trainer(shape);
    const ours: number[] = [];
    const theirs: number[] = [];
    let torch = "";
    for (let round = 1; round <= rounds; round++) {
      ours.push(await run(shape.steps));
      let line = `  round ${round}: ours ${fmt(ours.at(-1) as number)} tokens/s`;
      if (compare) {
        const result = torchFigures(shape, threads);
        if (result instanceof Error) {
          console.log(`${TORCH_MISSING}\n${result.message.split("\n")[0]}`);
          compare = false;
        } else {
          const warning = blasWarning(result.blas);
          if (!theirs.length && warning) console.log(warning);
          theirs.push(result.tokensPerS);
          torch = result.torch;
          line += `, PyTorch ${fmt(result.tokensPerS)} tokens/s (ours ${((ours.at(-1) as number) / result.tokensPerS).toFixed(2)}×)`;
        }
      }
      console.log(line);
    }
    const summary = `  median of ${rounds} rounds of ${shape.steps} steps: ours ${fmt(median(ours))} tokens/s`;
    if (!theirs.length) console.log(summary);
    else {
      const ratios = ours.map((o, i) => o / theirs[i]);
      console.log(
        `${summary}, PyTorch ${torch} ${fmt(median(theirs))} tokens/s, ${threads} thread(s): ours runs at ${median(ratios).toFixed(2)}× PyTorch's speed (median of the rounds' ratios)`,
      );
    }
  }
}
