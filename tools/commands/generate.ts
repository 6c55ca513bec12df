// `npm run main -- "prompt"` (the reference solutions) and `npm run gpt2 -- "prompt"` (your own
// steps, --chain=mine): load a Hugging Face GPT-2 checkpoint and continue a prompt.
import { readFileSync, writeFileSync } from "node:fs";
import { CheckpointError } from "../../lib/checkpoint.ts";
import { useKernels } from "../../lib/kernels/index.ts";
import { fromData, intTensor } from "../../lib/tensor.ts";
import { isNotImplemented } from "../../lib/todo.ts";
import { StreamingDecoder, type TextTokenizer } from "../../lib/tokenizer.ts";
import { refuseNonFiniteWeights } from "../cli/finite.ts";
import { toNpy } from "../cli/npy.ts";
import { UsageError, chosenChain, numberOption, parseCommand } from "../cli/options.ts";
import { bar } from "../cli/progress.ts";
import { PromptError, promptIds } from "../cli/prompt.ts";
import { tokenizerFor } from "../cli/tokenizer.ts";
import type { Candidate } from "../figures/inspect.ts";
import { tokenLabel } from "../figures/svg.ts";
import { SHIPPED_MODEL, defaultModel, downloadHint, resolveModelDir } from "../hub/models.ts";
import { runOnChain } from "../runner/chain.ts";
import { bitsPerByte, modernEnglish } from "../train/corpus.ts";

/** --score's name for the text no corpus trains on (tools/train/corpus.ts). */
const MODERN_ENGLISH = "modern-english";

const COMMAND = {
  usage: `npm run main -- "prompt" [options]      (the reference model)
       npm run gpt2 -- "prompt" [options]      (your model, built from your steps)
`,
  positionals: true,
  options: {
    model: {
      type: "string",
      value: "NAME|DIR",
      help: "gpt2, gpt2-medium, gpt2-large, gpt2-xl, or a folder holding a Hugging Face config.json and model.safetensors. Default: gpt2 once downloaded, else the model npm run train made (models/moby-gpt2)",
    },
    "max-new-tokens": { type: "string", default: "40", value: "N", help: "tokens to generate" },
    temperature: {
      type: "string",
      value: "T",
      help: "0 is greedy; default 0.8, a little sharper than the model's own distribution (generate()'s default, 1), which reads better",
    },
    greedy: { type: "boolean", help: "same as --temperature 0" },
    seed: { type: "string", default: "0", value: "S", help: "sampling seed: the same seed writes the same text" },
    "stop-at-eot": { type: "boolean", help: "stop at <|endoftext|>" },
    ids: { type: "string", value: "464,3290,…", help: "give token ids instead of a text prompt" },
    json: { type: "boolean", help: 'print {"prompt_ids": […], "generated_ids": […]} instead of text' },
    "logits-out": {
      type: "string",
      value: "F.npy",
      help: "also write the prompt's logits, float32 [T, vocab], as NumPy .npy",
    },
    threads: { type: "string", value: "N", help: "threads for the matrix products (default: every core)" },
    "no-cache": { type: "boolean", help: "generate without the KV cache (step 14's loop), for comparison" },
    "show-top-k": {
      type: "string",
      value: "N",
      help: "after the text, each new token with the N likeliest candidates it was drawn from",
    },
    attention: {
      type: "string",
      value: "FILE.svg",
      help: "draw the prompt's attention maps (every head of every layer) into FILE.svg",
    },
    score: {
      type: "string",
      value: "FILE.txt|modern-english",
      help: "instead of writing, say how well the model predicts FILE.txt (or modern-english: the State of the Union addresses from 2010 on, which npm run train never reads): nats per token and bits per byte",
    },
    tokens: {
      type: "boolean",
      help: "instead of writing, show how the model's tokenizer cuts the prompt: its tokens and their ids",
    },
    chain: {
      type: "string",
      default: "reference",
      value: "mine",
      help: "mine: your own steps (what npm run gpt2 does)",
    },
  },
} as const;

function readCommandLine(argv: string[]) {
  return parseCommand(COMMAND, argv, ({ values, positionals }) => {
    const prompt = positionals.join(" ");
    if (values.ids === undefined && prompt === "" && values.score === undefined)
      throw new UsageError("give a prompt (or --ids, or --score FILE)");
    const ids = values.ids?.split(",").map((raw) => numberOption("ids", raw, { low: 0 }));
    const named = values.model === undefined ? defaultModel() : { model: values.model, note: undefined };
    const temperature = values.greedy ? "0" : (values.temperature ?? "0.8");
    // Below 1e-6, logits / temperature overflow float32 to ∞ and every probability is NaN: 0 is greedy.
    if (!(Number(temperature) === 0 || Number(temperature) >= 1e-6) || temperature.trim() === "")
      throw new UsageError(
        `--temperature must be 0 (greedy) or a number ≥ 1e-6 (smaller ones overflow float32), got ${JSON.stringify(temperature)}`,
      );
    return {
      chain: chosenChain(values.chain),
      model: named.model,
      modelNote: named.note,
      prompt: ids ?? prompt,
      maxNewTokens: numberOption("max-new-tokens", values["max-new-tokens"], { low: 0 }),
      temperature: Number(temperature),
      seed: numberOption("seed", values.seed, { low: Number.MIN_SAFE_INTEGER }),
      stopAtEndOfText: values["stop-at-eot"],
      json: values.json,
      logitsOut: values["logits-out"],
      threads: values.threads === undefined ? undefined : numberOption("threads", values.threads),
      cache: !values["no-cache"],
      showTopK: values["show-top-k"] === undefined ? undefined : numberOption("show-top-k", values["show-top-k"]),
      attention: values.attention,
      score: values.score,
      tokens: values.tokens,
    };
  });
}
type Args = ReturnType<typeof readCommandLine>;

/** The steps this command runs on, and the model, loaded and checked. */
async function loadModel(args: Args) {
  if (args.threads !== undefined) {
    try {
      useKernels("wasm", args.threads); // before loading: weights go into the kernels' memory
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`);
    }
  }
  const [{ loadPretrained }, { generate }, { generateWithCache }] = await Promise.all([
    import("#chain/step_15"),
    import("#chain/step_14"),
    import("#chain/step_16"),
  ]);
  // Your steps first, on the small model the course ships: an unfinished step should be
  // named before anything is said about downloading 548 MB of weights.
  if (args.chain === "mine") generate(loadPretrained(SHIPPED_MODEL), [1], { maxNewTokens: 1, temperature: 0 });
  const dir = resolveModelDir(args.model);
  const steps = args.chain === "mine" ? "your steps" : "the reference steps";
  console.error(args.modelNote ?? `(running ${args.model} on ${steps})`);
  let model: ReturnType<typeof loadPretrained>;
  try {
    model = loadPretrained(dir);
  } catch (error) {
    // The files are not there: say which command fetches them.
    if (error instanceof CheckpointError && error.missing)
      throw new CheckpointError(`${error.message} Download it with:\n  ${downloadHint(dir)}`, true);
    throw error;
  }
  refuseNonFiniteWeights(model, dir);
  const { tokenizer, description } = await tokenizerFor(dir, args.chain);
  console.error(`(${description})`);
  return { model, tokenizer, generate, generateWithCache };
}
type Loaded = Awaited<ReturnType<typeof loadModel>>;

/** --attention and --logits-out: what the model does with the prompt, written to files. */
async function describePrompt(args: Args, { model, tokenizer }: Loaded, ids: number[]): Promise<void> {
  if (args.attention) {
    const { attentionMaps } = await import("../figures/inspect.ts");
    const { attentionSvg } = await import("../figures/attention.ts");
    const labels = ids.map((id) => tokenLabel(tokenizer.decode([id])));
    const caption = `${args.chain === "mine" ? "your model" : "the reference model"} (${args.model}): the prompt's attention, every head of every layer`;
    writeFileSync(args.attention, attentionSvg(attentionMaps(model, ids), labels, caption));
    console.error(`wrote the prompt's attention maps to ${args.attention}`);
  }
  if (args.logitsOut) {
    const logits = model.forward(intTensor([ids])); // [1, T, vocab]
    writeFileSync(args.logitsOut, toNpy(fromData(logits.data, logits.shape.slice(1))));
  }
}

/** Continues the prompt, streaming text as it comes unless --json; all the ids and the seconds it took. */
function continuePrompt(args: Args, { model, tokenizer, generate, generateWithCache }: Loaded, prompt: number[]) {
  const stream = args.json ? null : new StreamingDecoder(tokenizer);
  if (stream) process.stdout.write(typeof args.prompt === "string" ? args.prompt : tokenizer.decode(prompt));
  const options = {
    maxNewTokens: args.maxNewTokens,
    temperature: args.temperature,
    seed: args.seed,
    stopAtEndOfText: args.stopAtEndOfText,
    onToken: (id: number) => stream && process.stdout.write(stream.push(id)),
  };
  const start = performance.now();
  let ids: number[];
  try {
    ids = args.cache ? generateWithCache(model, prompt, options) : generate(model, prompt, options);
  } catch (error) {
    // Your step 16 not done yet: it throws before the first token, so step 14's loop can take over.
    if (!(args.cache && isNotImplemented(error) && error.step === "16")) throw error;
    console.error("(step 16, the KV cache, is not done yet: generating without it, which is slower)");
    ids = generate(model, prompt, options);
  }
  if (stream) process.stdout.write(stream.flush()); // a character the last token left unfinished
  return { ids, seconds: (performance.now() - start) / 1000 };
}

/**
 * --tokens: the prompt cut into its tokens (│ between them), then their ids and how many bytes each
 * carries. A character whose bytes span several tokens (🐳 is three) is shown once, with ⟨3⟩.
 */
function showTokens(text: string, tokenizer: TextTokenizer): void {
  const ids = tokenizer.encode(text, { allowSpecial: true });
  // The streaming decoder holds tokens back until their bytes are whole characters (never "" after).
  const stream = new StreamingDecoder(tokenizer);
  const pieces: string[] = [];
  let held = 0;
  const add = (piece: string) => {
    if (piece === "") return;
    pieces.push(held > 1 ? `${piece}⟨${held}⟩` : piece);
    held = 0;
  };
  for (const id of ids) {
    held++;
    add(stream.push(id));
  }
  add(stream.flush());
  console.log(pieces.join("│"));
  const bytes = Buffer.byteLength(text, "utf8");
  const perToken = ids.length ? `: ${(bytes / ids.length).toFixed(2)} bytes per token` : "";
  console.log(`[${ids.join(", ")}]  (${ids.length} tokens, ${bytes} bytes${perToken})`);
}

/** --score: the model's loss on a text, cut into windows of its whole context (step 22's evaluate). */
async function scoreText(file: string, { model, tokenizer }: Loaded): Promise<void> {
  const { evaluate } = await import("#chain/step_22");
  let text: string;
  try {
    text = file === MODERN_ENGLISH ? modernEnglish() : readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--score: cannot read ${file}: ${(error as Error).message}`);
  }
  const tokens = Int32Array.from(tokenizer.encode(text));
  const T = Math.min(model.config.n_positions, tokens.length - 1);
  if (T < 1) throw new UsageError(`--score: ${file} holds ${tokens.length} tokens; it takes at least 2`);
  const nats = evaluate(model, tokens, 1, T);
  const scored = tokens.subarray(1, 1 + Math.floor((tokens.length - 1) / T) * T);
  console.log(
    `${file}: ${scored.length.toLocaleString("en-US")} tokens scored, ${nats.toFixed(3)} nats per token, ${bitsPerByte(nats, scored.length, tokenizer.decode(Array.from(scored))).toFixed(3)} bits per byte`,
  );
}

async function main(argv: string[]): Promise<number> {
  const args = readCommandLine(argv);
  runOnChain(args.chain); // "#chain/..." resolves once per process: this one, or this command again on the other chain
  const loaded = await loadModel(args);
  const { model, tokenizer } = loaded;
  if (args.tokens) {
    showTokens(typeof args.prompt === "string" ? args.prompt : tokenizer.decode(args.prompt), tokenizer);
    return 0;
  }
  if (args.score !== undefined) {
    await scoreText(args.score, loaded);
    return 0;
  }
  let prompt: number[];
  try {
    prompt = promptIds(args.prompt, model.config, tokenizer);
  } catch (error) {
    throw error instanceof PromptError ? new UsageError(error.message) : error;
  }
  await describePrompt(args, loaded, prompt);
  const { ids, seconds } = continuePrompt(args, loaded, prompt);
  const generated = ids.slice(prompt.length);
  const top = args.showTopK
    ? (await import("../figures/inspect.ts")).candidatesForEachToken(
        model,
        ids,
        prompt.length,
        args.temperature,
        args.showTopK,
      )
    : undefined;
  if (args.json) {
    const topK = top && { top_k: top.map((c) => c.map(({ id, probability }) => ({ id, probability }))) };
    console.log(JSON.stringify({ prompt_ids: prompt, generated_ids: generated, ...topK }));
  } else {
    process.stdout.write("\n");
    if (top) process.stdout.write(topKTable(generated, top, args.temperature, tokenizer));
  }
  console.error(
    `${generated.length} tokens in ${seconds.toFixed(2)} s (${(generated.length / seconds).toFixed(1)} tokens/s)`,
  );
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = (error as Error).message;
  if (error instanceof UsageError || error instanceof CheckpointError) console.error(message);
  else if (isNotImplemented(error)) {
    console.error(
      `${message}\nYour chain needs every step: finish it and check it with npm run s${error.step}, or run the reference model with npm run main.`,
    );
  } else console.error(`error: ${message}`);
  process.exitCode = 1;
}

/** Each new token, then its candidates as bars: what the model weighed at that step. */
function topKTable(
  generated: readonly number[],
  top: Candidate[][],
  temperature: number,
  tokenizer: TextTokenizer,
): string {
  const quote = (id: number) => JSON.stringify(tokenizer.decode([id]));
  const how = temperature === 0 ? "greedy: the likeliest is chosen" : `drawn at temperature ${temperature}`;
  const lines = [`\nthe candidates for each new token (${how}):`];
  generated.forEach((id, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${quote(id)}`);
    for (const c of top[i]) {
      const mark = c.id === id ? " ◀" : "";
      lines.push(
        `      ${(100 * c.probability).toFixed(1).padStart(5)}% ${bar(c.probability, 24)} ${quote(c.id)}${mark}`,
      );
    }
  });
  return `${lines.join("\n")}\n`;
}
