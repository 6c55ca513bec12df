// `npm run bench [-- --model DIR] [--threads N] [--dtype bf16] [--compare-torch] [--kernels js] [--train]`: speed and memory.
//   - the kernels: GFLOP/s of a [64, 768] × [768 → 3072] product in both weight layouts, GB/s of
//     the decode-time head, [1, 768] × [768 → 50257], and the ceiling: GFLOP/s of multiply-adds on
//     registers alone, which no product passes (with --compare-ort and --compare-torch, measured
//     again beside each of the peer's turns: the least time a prompt's weight products can take at
//     it, against the peer's time then);
//   - with a checkpoint (models/gpt2 by default, or any Hugging Face GPT-2 folder): load time,
//     memory, prefill time at T = 16, 64, 256, and decoding speed with and without the KV cache;
//   - with --dtype bf16 (or a checkpoint stored in bfloat16): the matrices held in bfloat16, and how far
//     that moves the logits and greedy tokens from the float32 model's;
//   - with --compare-ort: onnxruntime-node on the same checkpoint (tools/bench/ort.ts), taking turns
//     with ours, and the ratios;
//   - with --compare-torch: the same measurements of PyTorch (Debian's /usr/bin/python3 with
//     python3-torch) on the same checkpoint and thread count, in this same run, and the ratios;
//   - with --train: tokens/s of npm run train's step instead (tools/bench/train.ts), at its default
//     shape and at 124M's, and with --compare-torch PyTorch's in turns with ours; with
//     --train-memory, also the peak memory of training GPT-2 124M with the fine-tune's batch.
// Benchmarks print numbers; no test asserts a time. A full-size checkpoint with random weights:
//   /usr/bin/python3 scripts/make_fixtures.py --random-checkpoint /tmp/gpt2-random
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { resolveModelDir } from "../hub/models.ts";
import { UsageError, parseCommand } from "../cli/options.ts";
import { useWeightDtype, WEIGHT_DTYPES, type WeightDtype } from "../../lib/checkpoint.ts";
import { bf16Bits } from "../../lib/bf16.ts";
import { kernels, useKernels, type Kernels } from "../../lib/kernels/index.ts";
import { createWasmKernels, defaultThreads } from "../../lib/kernels/wasm.ts";
import * as F from "../../lib/functional.ts";
import { Random, randn } from "../../lib/random.ts";
import { fromData, intTensor, type Tensor } from "../../lib/tensor.ts";
import { generate } from "../../solutions/solution_14.ts";
import { median } from "../bench/median.ts";
import { loadOrt } from "../bench/ort.ts";
import { blasWarning, memoryFigures, TORCH_MISSING, TRAIN_SHAPES, trainFigures } from "../bench/train.ts";
import { loadPretrained } from "../../solutions/solution_15.ts";
import { forwardWithCache, generateWithCache, type KVCache } from "../../solutions/solution_16.ts";

const { values, threads, backend } = parseCommand(
  {
    usage: "npm run bench -- [options]",
    options: {
      model: { type: "string", default: "gpt2", value: "NAME|DIR", help: "the checkpoint to time" },
      threads: { type: "string", value: "N", help: "threads for the products (default: every core)" },
      kernels: { type: "string", default: "wasm", value: "wasm|js", help: "which kernels" },
      dtype: {
        type: "string",
        default: "auto",
        value: WEIGHT_DTYPES.join("|"),
        help: "how to hold the matrices: as the checkpoint stores them, or bf16 (rounded at load), or f32",
      },
      "compare-torch": { type: "boolean", help: "time PyTorch on the same checkpoint in the same run" },
      "compare-ort": {
        type: "boolean",
        help: "time onnxruntime-node on the same checkpoint, taking turns with ours (installs it and exports the checkpoint to ONNX on first use)",
      },
      "decode-tokens": { type: "string", default: "32", value: "N", help: "tokens to decode" },
      prefill: { type: "string", default: "16,64,256", value: "T,T,…", help: "prompt lengths to time" },
      train: {
        type: "boolean",
        help: "time npm run train's step (reference chain, tokens/s) instead of inference; with --compare-torch, PyTorch's too, taking turns",
      },
      "train-shapes": {
        type: "string",
        default: "default,124m",
        value: "S,S",
        help: "with --train: npm run train's default shape (2 blocks × 64, batch 8 × 64), 124m (batch 1 × 64), finetune (124M, batch 4 × 64)",
      },
      "train-memory": {
        type: "boolean",
        help: "with --train: also peak memory training 124M at the fine-tune's batch, in a fresh process (PyTorch's too with --compare-torch)",
      },
      rounds: {
        type: "string",
        default: "3",
        value: "N",
        help: "rounds taking turns: with --train per shape, ours then PyTorch's; with --compare-ort, onnxruntime's then ours",
      },
    },
  },
  process.argv.slice(2),
  ({ values }) => {
    const threads = values.threads === undefined ? defaultThreads() : Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > cpus().length)
      throw new UsageError(
        `--threads must be a whole number from 1 to ${cpus().length} (the cores), got ${values.threads}`,
      );
    if (values.kernels !== "wasm" && values.kernels !== "js")
      throw new UsageError(`--kernels must be wasm or js, got ${values.kernels}`);
    if (values["train-memory"] && !values.train) throw new UsageError("--train-memory goes with --train");
    const shapes = values["train-shapes"].split(",");
    const unknown = shapes.find((s) => !(s in TRAIN_SHAPES));
    if (unknown !== undefined)
      throw new UsageError(`--train-shapes takes ${Object.keys(TRAIN_SHAPES).join(" and/or ")}, got ${unknown}`);
    if (!(WEIGHT_DTYPES as readonly string[]).includes(values.dtype))
      throw new UsageError(`--dtype must be ${WEIGHT_DTYPES.join(", ")}, got ${values.dtype}`);
    const rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
      throw new UsageError(`--rounds must be a whole number from 1 to 100, got ${values.rounds}`);
    return { values, threads, backend: values.kernels as "wasm" | "js" };
  },
);
useKernels(backend, threads);
useWeightDtype(values.dtype as WeightDtype);
const decodeTokens = Number(values["decode-tokens"]);
const prefillLengths = values.prefill.split(",").map(Number);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Median wall time of `run` in ms, after one warm-up run. */
function medianMs(run: () => unknown, repeats: number): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** A tensor whose numbers live where the kernels read them (as a loaded checkpoint's do). */
function placed(shape: number[], rng: Random): Tensor {
  const values = randn(shape, rng).data;
  const bytes = kernels().allocate(values.length * 4);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, values.length);
  data.set(values);
  return fromData(data, shape);
}

console.log(`CPU: ${cpus()[0]?.model ?? "unknown"} · products on ${kernels().description}`);
if (values.train) {
  await trainFigures(values["train-shapes"].split(","), threads, Number(values.rounds), values["compare-torch"]);
  if (values["train-memory"]) memoryFigures(backend, threads, values["compare-torch"] ?? false);
  process.exit(0);
}
const dir = resolveModelDir(values.model);
if (!existsSync(dir)) {
  kernelFigures();
  console.log(`\nno checkpoint at ${dir}: run npm run download -- gpt2, or pass --model DIR`);
  process.exit(0);
}

/** The kernels alone, on the 124M shapes, with weights placed where the kernels read them. */
function kernelFigures(): void {
  const rng = new Random(0);
  const x = randn([64, 768], rng);
  for (const [layout, weight] of [
    ["[out, in]", placed([3072, 768], rng)],
    // A checkpoint's Conv1D weights do not take this path (lib/checkpoint.ts holds them as [out,
    // in] rows); a transposed view made at run time does.
    ["transposed view of [in, out]", F.transpose(placed([768, 3072], rng), 0, 1)],
  ] as const) {
    const ms = medianMs(() => F.linear(x, weight), 9);
    console.log(
      `kernel  linear 64×768 → 3072, weight ${layout}: ${ms.toFixed(2)} ms, ${((2 * 64 * 768 * 3072) / ms / 1e6).toFixed(1)} GFLOP/s`,
    );
  }
  if (kernels().name === "wasm" && threads > 1) {
    // The cost of sharing a product between threads: a tiny product, alone vs. handed to every thread.
    const job = {
      kind: "nt" as const,
      x: randn([1, 4], rng).data,
      w: randn([8, 4], rng).data,
      wOffset: 0,
      ldw: 4,
      wBatchStride: 0,
      M: 1,
      K: 4,
      N: 8,
      batch: 1,
    };
    const perCall = (k: Kernels) =>
      medianMs(() => {
        for (let i = 0; i < 1000; i++) k.gemm(job);
      }, 5);
    const alone = createWasmKernels(1);
    const shared = createWasmKernels(threads, { threadedMinWork: 0 });
    const handOffUs = perCall(shared) - perCall(alone);
    for (const k of [alone, shared]) k.close();
    console.log(
      `kernel  hand-off to ${threads} threads: ${handOffUs.toFixed(1)} µs per product (Atomics, no messages)`,
    );
  }
  const head = placed([50257, 768], rng);
  const headMs = medianMs(() => F.linear(randn([1, 768], rng), head), 9);
  console.log(
    `kernel  head 1×768 → 50257 (decoding): ${headMs.toFixed(2)} ms, ${((50257 * 768 * 4) / headMs / 1e6).toFixed(1)} GB/s of weights`,
  );
  const one = kernels().ceiling?.(false);
  const all = ceilingNow();
  if (one !== undefined && all !== undefined)
    console.log(
      `kernel  ceiling, multiply-adds on registers alone (no memory): ${one.toFixed(1)} GFLOP/s on 1 thread, ${all.toFixed(1)} on ${threads}`,
    );
}

/** The ceiling on every thread now, in GFLOP/s (WebAssembly only): the machine's speed moves within minutes. */
function ceilingNow(): number | undefined {
  return kernels().ceiling?.(threads > 1);
}

/**
 * Floating-point operations of a T-token prefill's weight products, with logits at its last
 * position only: a lower bound on its work (attention's scores and weighted sums come on top).
 */
function prefillFlops(T: number): number {
  const { n_layer, n_embd, n_inner, vocab_size } = model.config;
  const inner = n_inner ?? 4 * n_embd;
  // Per block and token: the attention's [C → 3C] and [C → C], the MLP's [C → inner] and [inner → C].
  return n_layer * T * 2 * (4 * n_embd ** 2 + 2 * n_embd * inner) + 2 * n_embd * vocab_size;
}

/**
 * The least time a T-token prefill's weight products can take at the ceiling, against a peer's
 * prefill time: each ceilings[i] was measured beside peerMs[i], and the medians are printed.
 */
function floorRow(T: number, ceilings: number[], peerMs: number[], peer: string): void {
  if (ceilings.length === 0) return;
  const flops = prefillFlops(T);
  const ms = median(ceilings.map((c) => flops / c / 1e6));
  const ratio = median(ceilings.map((c, i) => flops / c / 1e6 / peerMs[i]));
  console.log(
    `  ${`floor prefill T=${T}`.padEnd(26)} its weight products alone (${(flops / 1e9).toFixed(1)} GFLOP) at the ceiling (${median(ceilings).toFixed(1)} GFLOP/s): ${ms.toFixed(1)} ms, ${ratio.toFixed(2)}× ${peer}'s time`,
  );
}

interface Figures {
  loadS: number;
  prefillMs: Record<string, number>;
  decodeTokensPerS: number;
}

const before = process.memoryUsage().rss;
const loadStart = performance.now();
const model = loadPretrained(dir);
const loadS = (performance.now() - loadStart) / 1000;
const fileBytes = statSync(path.join(dir, "model.safetensors")).size;
const matrices = model.parameters().filter((t) => t.shape.length === 2);
const inBf16 = matrices.filter((t) => bf16Bits(t)).length;
console.log(
  `model   ${dir}: ${model.numParameters().toLocaleString("en-US")} parameters, file ${mib(fileBytes)}, ${inBf16} of ${matrices.length} matrices held in bfloat16 (--dtype ${values.dtype})`,
);
console.log(`load    ${loadS.toFixed(2)} s, RSS ${mib(before)} → ${mib(process.memoryUsage().rss)}`);

const vocab = model.config.vocab_size;
/** The bench's prompt of T tokens. */
const promptIds = (T: number) => Array.from({ length: T }, (_, i) => (i * 97) % vocab);
const DECODE_PROMPT = [464, 3290, 318, 257];
const prefillOnce = (m: typeof model, T: number) =>
  forwardWithCache(m, intTensor([promptIds(T)]), null, { lastOnly: true });
const prefillMs: Record<string, number> = {};
for (const T of prefillLengths) {
  prefillMs[T] = medianMs(() => prefillOnce(model, T), 5);
  console.log(
    `prefill T=${T}: ${prefillMs[T].toFixed(0)} ms (the prompt through every block, logits at its last position)`,
  );
}

/** Greedy decoding with the cache after a 4-token prompt: tokens per second, not counting the prompt. */
function decodeWithCache(m: typeof model): number {
  let { logits, cache } = forwardWithCache(m, intTensor([DECODE_PROMPT]), null, { lastOnly: true });
  const start = performance.now();
  for (let i = 0; i < decodeTokens; i++) {
    const next = F.argmax(F.reshape(logits, [vocab])).data[0];
    ({ logits, cache } = forwardWithCache(m, intTensor([[next]]), cache as KVCache, { lastOnly: true }));
  }
  return (1000 * decodeTokens) / (performance.now() - start);
}
decodeWithCache(model);
const decodeTokensPerS = median([decodeWithCache(model), decodeWithCache(model), decodeWithCache(model)]);
console.log(
  `decode  with the KV cache: ${decodeTokensPerS.toFixed(1)} tokens/s (greedy, ${decodeTokens} tokens after a 4-token prompt)`,
);
const uncachedStart = performance.now();
generate(model, [464, 3290, 318, 257], { maxNewTokens: 8, temperature: 0 });
console.log(
  `decode  without it (step 14): ${((1000 * 8) / (performance.now() - uncachedStart)).toFixed(1)} tokens/s (8 tokens, the whole sequence each time, logits at every position)`,
);
const peak = process.resourceUsage().maxRSS * 1024;
console.log(`memory  peak RSS ${mib(peak)} = ${(peak / fileBytes).toFixed(2)}× the checkpoint file`);
// With bfloat16 matrices, the same checkpoint in float32 too (after the memory figure): how far
// bfloat16 moves the logits, and with --compare-ort a third contender in the turns.
const float32 = inBf16 > 0 ? loadFloat32() : undefined;
if (float32) compareWithFloat32(float32);

function loadFloat32(): typeof model {
  useWeightDtype("f32");
  return loadPretrained(dir);
}

function compareWithFloat32(reference: typeof model): void {
  const ids = intTensor([promptIds(64)]);
  const ours = forwardWithCache(model, ids, null).logits.data;
  const theirs = forwardWithCache(reference, ids, null).logits.data;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  const greedy = (m: typeof model) =>
    generateWithCache(m, DECODE_PROMPT, { maxNewTokens: decodeTokens, temperature: 0 });
  const same = greedy(model).join() === greedy(reference).join();
  console.log(
    `bf16    logits at 64 positions vs float32: max |difference| ${worst.toExponential(2)} (${((100 * worst) / scale).toFixed(2)}% of the largest |logit|); greedy ${decodeTokens} tokens ${same ? "equal" : "DIFFER"}`,
  );
}

kernelFigures();
if (values["compare-torch"]) compareTorch({ loadS, prefillMs, decodeTokensPerS });
if (values["compare-ort"]) await compareOrt();

/** One line of a comparison: our figure, the peer's, and how many times the peer's time ours takes (or its speed ours runs at). */
function row(what: string, a: number, b: number, unit: string, lowerIsBetter: boolean, peer: string): void {
  const digits = unit === "s" ? 2 : 1;
  const verdict = lowerIsBetter
    ? `ours takes ${(a / b).toFixed(2)}× ${peer}'s time`
    : `ours runs at ${(a / b).toFixed(2)}× ${peer}'s speed`;
  console.log(
    `  ${what.padEnd(26)} ours ${a.toFixed(digits).padStart(8)} ${unit.padEnd(9)} ${peer} ${b.toFixed(digits).padStart(8)} ${unit.padEnd(9)} ${verdict}`,
  );
}

/**
 * onnxruntime-node on the same checkpoint (tools/bench/ort.ts), taking turns with ours round by
 * round so a change in the machine's load falls on both; with bfloat16 matrices our float32 twin
 * takes its turn too.
 */
async function compareOrt(): Promise<void> {
  const ort = await loadOrt(dir, threads, model.config);
  const ortPrefill = async (T: number) => {
    const start = performance.now();
    await ort.step(promptIds(T), null);
    return performance.now() - start;
  };
  const ortDecode = async () => {
    let { logits, cache } = await ort.step(DECODE_PROMPT, null);
    const start = performance.now();
    for (let i = 0; i < decodeTokens; i++) ({ logits, cache } = await ort.step([argmaxOf(logits)], cache));
    return (1000 * decodeTokens) / (performance.now() - start);
  };
  const rounds = Number(values.rounds);
  const ours = float32 ? [model, float32] : [model];
  const times = { ort: new Map<string, number[]>(), ours: ours.map(() => new Map<string, number[]>()) };
  const ceilings: number[] = []; // one a round, beside ORT's prompts
  const record = (into: Map<string, number[]>, what: string, value: number): void => {
    into.set(what, [...(into.get(what) ?? []), value]);
  };
  for (const T of prefillLengths) await ortPrefill(T); // warm up
  await ortDecode();
  for (let r = 0; r < rounds; r++) {
    for (const T of prefillLengths) {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) ms.push(await ortPrefill(T));
      record(times.ort, `prefill T=${T}`, median(ms));
      for (const [i, m] of ours.entries())
        record(
          times.ours[i],
          `prefill T=${T}`,
          medianMs(() => prefillOnce(m, T), 3),
        );
    }
    const ceiling = ceilingNow(); // the machine as ORT's prompts just ran on it, for the floors
    if (ceiling !== undefined) ceilings.push(ceiling);
    // Three runs a turn, as our own line takes: a run right after another contender's is slower
    // (~20% for both, measured), and one run of 32 tokens is a third of a second of a noisy machine.
    record(times.ort, "decode", median([await ortDecode(), await ortDecode(), await ortDecode()]));
    for (const [i, m] of ours.entries())
      record(times.ours[i], "decode", median([decodeWithCache(m), decodeWithCache(m), decodeWithCache(m)]));
  }
  console.log(
    `\nonnxruntime-node ${ort.version} (float32), ${threads} thread(s), same checkpoint, taking turns with ours (${rounds} rounds, medians):`,
  );
  row("load (ONNX session)", loadS, ort.loadS, "s", true, "ORT");
  ours.forEach((m, i) => {
    const label = bf16Bits(m.lm_head.weight) ? "bfloat16 matrices" : "float32";
    console.log(`  ours with ${label}:`);
    for (const T of prefillLengths)
      row(
        `prefill T=${T}`,
        median(times.ours[i].get(`prefill T=${T}`)!),
        median(times.ort.get(`prefill T=${T}`)!),
        "ms",
        true,
        "ORT",
      );
    row(
      "decode with the KV cache",
      median(times.ours[i].get("decode")!),
      median(times.ort.get("decode")!),
      "tokens/s",
      false,
      "ORT",
    );
  });
  for (const T of prefillLengths) floorRow(T, ceilings, times.ort.get(`prefill T=${T}`)!, "ORT");
}

function argmaxOf(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

function compareTorch(ours: Figures): void {
  const python = "/usr/bin/python3";
  let theirs: Figures;
  let numpyDecode = 0;
  try {
    const out = execFileSync(
      python,
      [
        "scripts/bench_torch.py",
        "--model",
        dir,
        "--threads",
        String(threads),
        "--decode-tokens",
        String(decodeTokens),
        "--prefill",
        prefillLengths.join(","),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const raw = JSON.parse(out) as {
      load_s: number;
      prefill_ms: Record<string, number>;
      decode_tokens_per_s: number;
      numpy_decode_tokens_per_s: number;
      torch: string;
      blas: string;
    };
    numpyDecode = raw.numpy_decode_tokens_per_s;
    console.log(`\nPyTorch ${raw.torch} and NumPy, ${threads} thread(s), same checkpoint, same run:`);
    const warning = blasWarning(raw.blas);
    if (warning) console.log(warning);
    theirs = { loadS: raw.load_s, prefillMs: raw.prefill_ms, decodeTokensPerS: raw.decode_tokens_per_s };
  } catch (error) {
    console.log(`\n${TORCH_MISSING}\n${(error as Error).message.split("\n")[0]}`);
    return;
  }
  row("load", ours.loadS, theirs.loadS, "s", true, "PyTorch");
  for (const T of prefillLengths)
    row(`prefill T=${T}`, ours.prefillMs[T], theirs.prefillMs[String(T)], "ms", true, "PyTorch");
  const ceiling = ceilingNow(); // right after PyTorch's turn: the machine as it ran
  for (const T of prefillLengths)
    floorRow(T, ceiling === undefined ? [] : [ceiling], [theirs.prefillMs[String(T)]], "PyTorch");
  row("decode with the KV cache", ours.decodeTokensPerS, theirs.decodeTokensPerS, "tokens/s", false, "PyTorch");
  console.log(
    `  NumPy (its BLAS) decoding with a KV cache: ${numpyDecode.toFixed(1)} tokens/s; ours ${ours.decodeTokensPerS.toFixed(1)} = ${(ours.decodeTokensPerS / numpyDecode).toFixed(2)}× NumPy's speed`,
  );
}
