// `npm run train [-- options]`: trains a small GPT-2 on Moby-Dick and the State of the Union
// addresses to 2009 (or, with --corpus, on Moby-Dick alone) with steps 17–22 (the reference, or
// yours with --chain=mine, once their checks pass), or fine-tunes one (--from), and writes it
// where `npm run main` finds it (models/moby-gpt2). A status line shows tokens/s and the loss (a plain line every few seconds
// when the output is not a terminal); a held-out loss, in nats per token and bits per byte, and a
// sample come at step 10, every --eval-every steps, and whenever the run stops. Every --save-every
// steps, and at the end, the run is saved (tools/train/run-folder.ts), and running the command again
// continues from there. Ctrl-C finishes the current step, saves, and stops. The tokenizer and the
// loss curve live on a helper thread (tools/train/helper-thread.ts), out of the training thread's heap.
import { setImmediate as nextTurn } from "node:timers/promises";
import { CheckpointError, useWeightDtype } from "../../lib/checkpoint.ts";
import { kernels, useKernels } from "../../lib/kernels/index.ts";
import { preferLowPeak } from "../../lib/memory.ts";
import { Random } from "../../lib/random.ts";
import { UsageError, chosenChain, numberOption, parseCommand } from "../cli/options.ts";
import { StatusLine, bar } from "../cli/progress.ts";
import { writeTokenizerFiles } from "../cli/tokenizer.ts";
import { STEPS } from "../curriculum.ts";
import { downloadHint, resolveModelDir } from "../hub/models.ts";
import { type Chain, exitOnUnfinishedStep, runOnChain } from "../runner/chain.ts";
import { CORPORA, bitsPerByte, corpusTexts, type Corpus, type CorpusName } from "../train/corpus.ts";
import { HelperThread, type TokenizerSource } from "../train/helper-thread.ts";
import { LARGE_MODEL } from "../train/node-options.ts";
import { RunFolder, RunFolderError } from "../train/run-folder.ts";

const COMMAND = {
  usage: "npm run train -- [options]",
  options: {
    out: {
      type: "string",
      default: "models/moby-gpt2",
      value: "DIR",
      help: "where the model goes; continues a run found there",
    },
    fresh: { type: "boolean", help: "start again even if DIR holds a run" },
    from: {
      type: "string",
      value: "NAME|DIR",
      help: "fine-tune a Hugging Face GPT-2 (gpt2 once downloaded, or a folder) instead of starting from random weights",
    },
    corpus: {
      type: "string",
      default: "moby-dick+sotu",
      value: CORPORA.join("|"),
      help: "what to train on (tools/train/corpus.ts)",
    },
    vocab: {
      type: "string",
      value: "N",
      help: "train a tokenizer of N tokens on the corpus first (step 24), written beside the model; default: GPT-2's 50,257",
    },
    steps: {
      type: "string",
      default: "2400",
      value: "N",
      help: "training steps in all (2400 × 8 × 64 tokens: half a pass over the default corpus, as default-model/ was trained)",
    },
    minutes: { type: "string", default: "15", value: "M", help: "stop (and save) after M minutes; run again to go on" },
    batch: {
      type: "string",
      value: "B",
      help: "windows per step (default 8; 4 for a fine-tune, as in llm.c's on a CPU, to save memory; a continued run keeps its own)",
    },
    context: { type: "string", default: "64", value: "T", help: "tokens per window" },
    "n-embd": { type: "string", default: "64", value: "C", help: "width" },
    "n-layer": { type: "string", default: "2", value: "L", help: "blocks" },
    "n-head": { type: "string", default: "4", value: "H", help: "heads" },
    lr: {
      type: "string",
      value: "LR",
      help: "peak learning rate (default 3e-3; 3e-4 for a fine-tune, not to undo what it knows; a continued run keeps its own)",
    },
    "eval-every": { type: "string", default: "50", value: "N", help: "held-out loss and a sample every N steps" },
    "save-every": { type: "string", default: "50", value: "N", help: "checkpoint every N steps" },
    seed: { type: "string", default: "0", value: "S", help: "seed of the weights and the batches" },
    threads: { type: "string", value: "N", help: "threads for the products (default: every core)" },
    chain: { type: "string", default: "reference", value: "mine", help: "mine: train with your own steps 17–22" },
    ship: {
      type: "string",
      value: "DIR",
      help: "also write the result to DIR in bfloat16, as default-model/ was made",
    },
  },
} as const;

/** The command line, checked: every number in range before a minute is spent. */
function readCommandLine(argv: string[]) {
  return parseCommand(COMMAND, argv, ({ values }) => {
    const n = (name: keyof typeof values, range?: { integer?: boolean; low?: number; high?: number }) =>
      numberOption(name, values[name] as string | undefined, range);
    const options = {
      steps: n("steps"),
      // Bounded by GPT-2's own largest sizes, so a typo cannot build a model no file can hold.
      batch: values.batch === undefined ? undefined : n("batch", { high: 1024 }),
      context: n("context", { low: 2, high: 1024 }),
      nEmbd: n("n-embd", { high: 1600 }),
      nLayer: n("n-layer", { high: 48 }),
      nHead: n("n-head", { high: 64 }),
      lr: values.lr === undefined ? undefined : numberOption("lr", values.lr, { integer: false, low: 0 }),
      evalEvery: n("eval-every"),
      saveEvery: n("save-every"),
      seed: n("seed", { low: 0 }),
    };
    const threads = values.threads === undefined ? undefined : n("threads");
    const minutes = n("minutes", { integer: false, low: 0 });
    if (!(CORPORA as readonly string[]).includes(values.corpus))
      throw new UsageError(`--corpus must be one of ${CORPORA.join(", ")}, got ${JSON.stringify(values.corpus)}`);
    const corpus = values.corpus as CorpusName;
    const vocab = values.vocab === undefined ? undefined : n("vocab", { low: 257, high: 65536 });
    if (vocab !== undefined && values.from !== undefined)
      throw new UsageError("--vocab trains a new tokenizer for a new model; a model given with --from keeps its own");
    return { values, options, threads, minutes, chain: chosenChain(values.chain), from: values.from, corpus, vocab };
  });
}
type Given = ReturnType<typeof readCommandLine>["options"];
type Options = Omit<Given, "batch" | "lr"> & { batch: number; lr: number };

/**
 * The run's options. A continued run keeps its model's shape, and its batch and lr unless the
 * command line gives them; how to go on (steps, evaluation) comes from this command. A new run
 * without --batch or --lr takes, for a fine-tune, a gentle rate, not to undo what the model knows,
 * and half the batch (GPT-2 124M's weights, gradients and AdamW's moments are 1.9 GiB before any
 * activation).
 */
function runOptions(given: Given, from: string | undefined, saved: State | undefined): Options {
  if (saved) {
    const { nEmbd, nLayer, nHead, context, batch, lr } = saved.options;
    return { ...given, nEmbd, nLayer, nHead, context, batch: given.batch ?? batch, lr: given.lr ?? lr };
  }
  const fineTune = from !== undefined;
  return { ...given, batch: given.batch ?? (fineTune ? 4 : 8), lr: given.lr ?? (fineTune ? 3e-4 : 3e-3) };
}

/** The steps training runs on, from the chain this process resolves. */
async function loadSteps() {
  const [{ GPT2Config }, { GPT2LMHeadModel }, { generate }, { loadPretrained }, { AdamW, learningRate }, step22] =
    await Promise.all([
      import("#chain/step_01"),
      import("#chain/step_13"),
      import("#chain/step_14"),
      import("#chain/step_15"),
      import("#chain/step_21"),
      import("#chain/step_22"),
    ]);
  return { GPT2Config, GPT2LMHeadModel, generate, loadPretrained, AdamW, learningRate, ...step22 };
}
type Steps = Awaited<ReturnType<typeof loadSteps>>;
type Model = InstanceType<Steps["GPT2LMHeadModel"]>;

interface State {
  step: number;
  options: Options;
  seconds: number;
  history: { step: number; loss: number; validation?: number; bitsPerByte?: number }[];
  samples: { step: number; text: string }[];
  /** The checkpoint a fine-tuning run started from. */
  from?: string;
}

/** On your chain: steps 17–22 (and 23–24 for --vocab) must pass their checks, or the run would train with a wrong step. */
async function refuseFailingSteps(last: "22" | "24"): Promise<boolean> {
  // The checker runs its checks on one thread (runChecks sets GPT2_THREADS); training wants every core.
  const threads = process.env.GPT2_THREADS;
  const { surveySteps } = await import("../runner/checks.ts");
  const training = STEPS.filter((s) => s.nn >= "17" && s.nn <= last);
  const outcomes = await surveySteps(training, "mine");
  if (threads === undefined) delete process.env.GPT2_THREADS;
  else process.env.GPT2_THREADS = threads;
  useKernels(process.env.GPT2_KERNELS === "js" ? "js" : "wasm");
  for (const outcome of outcomes) {
    if (outcome.status === "passed") continue;
    const how =
      outcome.status === "not started" ? "is not started" : `passes ${outcome.passed} of ${outcome.total} checks`;
    console.error(
      `npm run train --chain=mine trains with your steps 17–${last}, and step ${outcome.nn} ${how}: finish it (npm run s${outcome.nn}), or leave out --chain=mine to train with the reference.`,
    );
    return false;
  }
  return true;
}

/** The run saved in the folder, continued; or a pretrained model to fine-tune; or a new model. */
function startOrResume(
  folder: RunFolder,
  saved: State | undefined,
  from: string | undefined,
  options: Options,
  steps: Steps,
  helper: HelperThread,
) {
  if (saved) {
    saved.options = options; // the run's own shape, batch and lr (runOptions)
    console.log(
      `continuing the run in ${folder.out} from step ${saved.step} (the optimizer's running averages start again)`,
    );
    return { state: saved, model: steps.loadPretrained(folder.dir) as Model, resumed: true };
  }
  if (from !== undefined) return fineTune(from, options, steps, helper);
  const config = new steps.GPT2Config({
    vocab_size: helper.vocabSize,
    n_embd: options.nEmbd,
    n_layer: options.nLayer,
    n_head: options.nHead,
    n_positions: options.context,
  });
  const model = new steps.GPT2LMHeadModel(config);
  console.log(
    `a new GPT-2: ${options.nLayer} blocks, width ${options.nEmbd}, ${options.nHead} heads, context ${options.context}, ${model.numParameters().toLocaleString("en-US")} parameters`,
  );
  const state: State = { step: 0, options, seconds: 0, history: [], samples: [] };
  return { state, model, resumed: false };
}

/** A Hugging Face checkpoint as the starting point: its shape, and windows no longer than its context. */
function fineTune(from: string, options: Options, steps: Steps, helper: HelperThread) {
  const dir = resolveModelDir(from);
  let model: Model;
  try {
    model = steps.loadPretrained(dir) as Model;
  } catch (error) {
    if (error instanceof CheckpointError && error.missing)
      throw new CheckpointError(`${error.message} Download it with:\n  ${downloadHint(dir)}`, true);
    throw error;
  }
  const { n_embd, n_layer, n_head, n_positions, vocab_size } = model.config;
  if (vocab_size < helper.vocabSize)
    throw new CheckpointError(
      `${from} has a vocabulary of ${vocab_size} tokens, but ${helper.own ? "its own tokenizer" : "GPT-2's tokenizer (it has no vocab.json and merges.txt of its own)"} has ${helper.vocabSize.toLocaleString("en-US")}: fine-tune a model whose vocabulary fits its tokenizer.`,
    );
  Object.assign(options, {
    nEmbd: n_embd,
    nLayer: n_layer,
    nHead: n_head,
    context: Math.min(options.context, n_positions),
  });
  console.log(
    `fine-tuning ${from}: ${n_layer} blocks, width ${n_embd}, ${n_head} heads, ${model.numParameters().toLocaleString("en-US")} parameters, windows of ${options.context} tokens`,
  );
  const state: State = { step: 0, options, seconds: 0, history: [], samples: [], from };
  return { state, model, resumed: false };
}

/**
 * The run's tokenizer, in startOrResume's order: a saved run's or a --from model's own (GPT-2's
 * when it has none), or one of --vocab tokens trained on the corpus's training text by step 24,
 * or GPT-2's; on the helper thread, which encodes the corpus with it.
 */
async function startHelper(run: {
  folder: RunFolder;
  saved: boolean;
  from?: string;
  vocab?: number;
  corpusName: CorpusName;
  chain: Chain;
}): Promise<HelperThread> {
  const { folder, from, vocab, chain, corpusName } = run;
  const start = (source: TokenizerSource) => HelperThread.start({ source, chain, corpus: corpusName });
  if (run.saved) {
    const helper = await start({ dir: folder.dir });
    if (vocab !== undefined && helper.vocabSize !== vocab)
      throw new UsageError(
        `the run in ${folder.out} has ${helper.own ? `its own tokenizer of ${helper.vocabSize} tokens` : "GPT-2's tokenizer"}, not one of ${vocab}: start again with --fresh, or choose another folder with --out DIR`,
      );
    return helper;
  }
  if (from !== undefined) return start({ dir: resolveModelDir(from) });
  if (vocab === undefined) return start(null);
  const { trainBPE } = await import("#chain/step_24");
  const texts = corpusTexts(corpusName);
  const status = new StatusLine();
  const started = performance.now();
  const files = trainBPE(texts.train.join("\n"), vocab, (done, total) => {
    if (done % 64 === 0 || done === total)
      status.update(`training a tokenizer: [${bar(done / total, 24)}] merge ${done}/${total}`);
  });
  status.clear();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`trained a tokenizer of ${files.vocab.size} tokens on ${texts.name} in ${seconds} s (step 24)`);
  return start({ files, name: `a tokenizer trained on ${texts.name}` });
}

/** Held-out loss on the first 16 windows (the same text every time, and seconds rather than minutes), and a sample. */
async function evaluateNow({ model, steps, corpus, state, helper }: Run) {
  const { batch, context } = state.options;
  const windows = corpus.heldOut.subarray(0, 16 * context + 1);
  const validation = steps.evaluate(model, windows, batch, context);
  // A resting helper wakes only now (~1 s): while the held-out windows ran, its memory would have
  // come on top of theirs, and made the run's peak (measured at GPT-2 124M).
  helper.wake();
  const scored = windows.subarray(1, 1 + Math.floor((windows.length - 1) / context) * context);
  const ids = steps.generate(model, await helper.encode("Call me"), {
    maxNewTokens: 24,
    temperature: 0.8,
    seed: state.step,
  });
  const text = (await helper.decode(ids)).replace(/\s+/g, " ");
  state.samples.push({ step: state.step, text });
  return { validation, bitsPerByte: bitsPerByte(validation, scored.length, await helper.decode(scored)), text };
}

async function main(argv: string[]): Promise<number> {
  const { values, options: given, threads, minutes, chain, from, corpus: corpusName, vocab } = readCommandLine(argv);
  runOnChain(chain);
  exitOnUnfinishedStep("npm run train");
  if (chain === "mine" && !(await refuseFailingSteps(vocab === undefined ? "22" : "24"))) return 1;
  useWeightDtype("f32"); // training writes every weight: float32 from the start, not bfloat16 widened on first write
  if (threads !== undefined) {
    try {
      useKernels("wasm", threads);
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`);
    }
  }
  const steps = await loadSteps();
  const folder = new RunFolder(values.out);
  const saved = values.fresh ? undefined : folder.readState<State>();
  if (saved && from !== undefined && saved.from !== from)
    throw new UsageError(
      `the run in ${values.out} ${saved.from === undefined ? "started from random weights" : `fine-tunes ${saved.from}`}, not ${from}: start again with --fresh, or choose another folder with --out DIR`,
    );
  const options = runOptions(given, from, saved);
  const helper = await startHelper({ folder, saved: saved !== undefined, from, vocab, corpusName, chain });
  console.log(`(${helper.description}; products on ${kernels().description})`);
  const { state, model, resumed } = startOrResume(folder, saved, from, options, steps, helper);
  const corpus = await helper.corpus();
  console.log(
    `${corpus.name}: ${corpus.train.length.toLocaleString("en-US")} tokens to train on, ${corpus.heldOut.length.toLocaleString("en-US")} held out`,
  );
  const stopAt = Date.now() + minutes * 60_000;
  let stopping = false;
  process.on("SIGINT", () => {
    if (stopping) process.exit(130); // a second Ctrl-C: stop at once (the last save is intact)
    stopping = true;
    process.stderr.write("\nstopping after this step (Ctrl-C again to stop at once)…\n");
  });
  const run = { model, steps, corpus, state, folder, helper };
  const done = await trainUntil(() => stopping || Date.now() >= stopAt, run, resumed);
  if (values.ship) {
    folder.ship(values.ship);
    console.log(`shipped a bfloat16 copy to ${values.ship}`);
  }
  const why = stopping ? "stopped" : done ? "finished" : "out of time";
  console.log(
    `${why} at step ${state.step}: saved to ${values.out} (config.json, model.safetensors, ${helper.own ? "vocab.json, merges.txt, " : ""}training.json, loss.svg).`,
  );
  const tryIt = chain === "mine" ? "npm run gpt2" : "npm run main";
  console.log(done ? `Try it: ${tryIt} -- "Call me" --model ${values.out}` : "Run the same command again to continue.");
  return 0;
}

interface Run {
  model: Model;
  steps: Steps;
  corpus: Corpus;
  state: State;
  folder: RunFolder;
  helper: HelperThread;
}

/** AdamW as GPT-2 was trained (β 0.9/0.95, decoupled weight decay 0.1) and its schedule: warmup, then a cosine to a tenth. */
function optimizerFor({ model, steps, state: { options } }: Run) {
  const optimizer = new steps.AdamW(model, { lr: options.lr, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
  const warmup = Math.min(50, Math.ceil(options.steps / 10));
  return { optimizer, schedule: { maxLr: options.lr, minLr: options.lr / 10, warmup, total: options.steps } };
}

/** Trains until the last step or until `stop()` says so; evaluates and saves on the way and at the end. Whether all steps ran. */
async function trainUntil(stop: () => boolean, run: Run, alreadySaved: boolean): Promise<boolean> {
  const { model, steps, state, folder, helper } = run;
  const { options } = state;
  const { optimizer, schedule } = optimizerFor(run);
  // A large model's helper thread rests between its jobs: at GPT-2 124M its ~55 MB are 2% of the
  // run's peak and it wakes in ~1 s, against minutes between looks.
  const large = model.numParameters() >= LARGE_MODEL;
  preferLowPeak(large);
  const rng = new Random(options.seed + state.step); // a resumed run draws new windows, not the first ones again
  const status = new StatusLine();
  const meter = { start: performance.now(), tokens: 0, smoothed: Number.NaN };
  let savedStep = alreadySaved ? state.step : -1;
  let evaluatedStep = -1;
  const firstStep = state.step;
  const report = async () => {
    const { validation, bitsPerByte, text } = await evaluateNow(run);
    Object.assign(state.history.at(-1) ?? {}, { validation, bitsPerByte });
    const rate = meter.tokens / ((performance.now() - meter.start) / 1000);
    status.clear();
    console.log(
      `step ${state.step}: loss ${meter.smoothed.toFixed(3)}, held-out ${validation.toFixed(3)} (${bitsPerByte.toFixed(3)} bits per byte), ${rate.toFixed(0)} tokens/s — ${JSON.stringify(text)}`,
    );
    Object.assign(meter, { start: performance.now(), tokens: 0 });
    evaluatedStep = state.step;
  };
  const save = async () => {
    const lossSvg = await helper.lossCurve(state).catch((error: Error) => {
      throw new RunFolderError(`could not draw the loss curve of step ${state.step}: ${error.message}`);
    });
    folder.save(
      (dir) => {
        steps.saveCheckpoint(model, dir, { trained_steps: String(state.step) });
        if (helper.own) writeTokenizerFiles(dir, helper.own);
      },
      state,
      lossSvg,
    );
    savedStep = state.step;
  };
  // A periodic save that fails (a full disk) is said and training goes on: the next may succeed.
  const saveOrWarn = async () => {
    try {
      await save();
    } catch (error) {
      if (!(error instanceof RunFolderError)) throw error;
      status.clear();
      console.error(`${error.message}; training goes on`);
    }
  };
  while (state.step < options.steps && !stop()) {
    if (large) helper.rest(); // after the corpus, and after each look or save
    const started = performance.now();
    const lr = steps.learningRate(state.step, schedule);
    const batch = steps.randomBatch(run.corpus.train, options.batch, options.context, rng);
    const { loss } = steps.trainStep(model, optimizer, batch, { lr, clip: 1 });
    state.step++;
    state.seconds += (performance.now() - started) / 1000;
    state.history.push({ step: state.step, loss });
    meter.tokens += options.batch * options.context;
    meter.smoothed = Number.isNaN(meter.smoothed) ? loss : 0.9 * meter.smoothed + 0.1 * loss;
    const rate = meter.tokens / ((performance.now() - meter.start) / 1000);
    status.update(
      `[${bar(state.step / options.steps, 24)}] step ${state.step}/${options.steps} · ${rate.toFixed(0)} tokens/s · loss ${meter.smoothed.toFixed(3)} · lr ${lr.toExponential(1)}`,
    );
    // The first look early (step 10), then every --eval-every steps: a short run shows something too.
    if (state.step === Math.min(10, options.evalEvery) || state.step % options.evalEvery === 0) await report();
    if (state.step % options.saveEvery === 0) await saveOrWarn();
    await nextTurn(); // lets Node deliver a Ctrl-C to the handler between steps
  }
  status.clear();
  await nextTurn(); // a second Ctrl-C typed during the last step stops here, before evaluating and saving
  if (evaluatedStep !== state.step && state.step > firstStep) await report(); // how the run ends, whatever stopped it
  if (savedStep !== state.step) await save();
  return state.step >= options.steps;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof RunFolderError || error instanceof UsageError || error instanceof CheckpointError))
    throw error;
  console.error(error.message);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
