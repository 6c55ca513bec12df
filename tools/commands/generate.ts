// `npm run main -- "prompt"` (the reference solutions) and `npm run gpt2 -- "prompt"` (your own
// steps, --chain=mine): load a Hugging Face GPT-2 checkpoint and continue a prompt.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CheckpointError } from "../../lib/checkpoint.ts";
import { useKernels } from "../../lib/kernels/index.ts";
import { SHIPPED_MODEL, defaultModel, downloadHint, resolveModelDir } from "../hub/models.ts";
import { refuseNonFiniteWeights } from "../cli/finite.ts";
import { toNpy } from "../cli/npy.ts";
import { bar } from "../cli/progress.ts";
import { fromData, intTensor } from "../../lib/tensor.ts";
import { isNotImplemented } from "../../lib/todo.ts";
import { runOnChain, type Chain } from "../runner/chain.ts";
import { StreamingDecoder, decode, encode } from "../../lib/tokenizer.ts";
import { tokenLabel } from "../figures/svg.ts";
import type { Candidate } from "../figures/inspect.ts";

const USAGE = `usage: npm run main -- "prompt" [options]      (the reference model)
       npm run gpt2 -- "prompt" [options]      (your model, built from your steps)

  --model NAME|DIR       gpt2, gpt2-medium, gpt2-large, gpt2-xl, or a folder holding a Hugging Face
                         config.json and model.safetensors. Default: gpt2 once downloaded, else the
                         model npm run train made (models/moby-gpt2)
  --max-new-tokens N     tokens to generate (default 40)
  --temperature T        0 is greedy; default 0.8, a little sharper than the model's own
                         distribution (generate()'s default, 1), which reads better
  --greedy               same as --temperature 0
  --seed S               sampling seed (default 0): the same seed writes the same text
  --stop-at-eot          stop at <|endoftext|>
  --ids 464,3290,…       give token ids instead of a text prompt
  --json                 print {"prompt_ids": […], "generated_ids": […]} instead of text
  --logits-out F.npy     also write the prompt's logits, float32 [T, vocab], as NumPy .npy
  --threads N            threads for the matrix products (default: every core)
  --no-cache             generate without the KV cache (step 14's loop), for comparison
  --show-top-k N         after the text, each new token with the N likeliest candidates it was drawn from
  --attention FILE.svg   draw the prompt's attention maps (every head of every layer) into FILE.svg`;

class UsageError extends Error {}

/** The model when none is named, and the line that says which it is. */
function defaultModelArgs(): { model: string; modelNote: string | undefined } {
  const { model, note } = defaultModel();
  return { model, modelNote: note };
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      chain: { type: "string", default: "reference" },
      model: { type: "string" },
      "max-new-tokens": { type: "string", default: "40" },
      temperature: { type: "string", default: "0.8" },
      greedy: { type: "boolean", default: false },
      seed: { type: "string", default: "0" },
      "stop-at-eot": { type: "boolean", default: false },
      ids: { type: "string" },
      json: { type: "boolean", default: false },
      "logits-out": { type: "string" },
      threads: { type: "string" },
      "no-cache": { type: "boolean", default: false },
      "show-top-k": { type: "string" },
      attention: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const number = (name: string, raw: string, check: (n: number) => boolean, what: string) => {
    const n = Number(raw);
    if (raw.trim() === "" || !check(n)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const chain = values.chain;
  if (chain !== "reference" && chain !== "mine")
    throw new UsageError(`--chain must be "reference" or "mine", got ${JSON.stringify(chain)}`);
  const prompt = positionals.join(" ");
  if (!values.help && values.ids === undefined && prompt === "") throw new UsageError("give a prompt (or --ids)");
  return {
    help: values.help,
    chain: chain as Chain, // checked above
    ...(values.model === undefined ? defaultModelArgs() : { model: values.model, modelNote: undefined }),
    prompt,
    ids:
      values.ids === undefined
        ? undefined
        : values.ids
            .split(",")
            .map((s) =>
              number("ids", s, (n) => Number.isInteger(n) && n >= 0, "comma-separated token ids (integers ≥ 0)"),
            ),
    maxNewTokens: number(
      "max-new-tokens",
      values["max-new-tokens"],
      (n) => Number.isInteger(n) && n >= 0,
      "an integer ≥ 0",
    ),
    temperature: values.greedy
      ? 0
      : number(
          "temperature",
          values.temperature,
          (n) => n === 0 || n >= 1e-6,
          "0 (greedy) or a number ≥ 1e-6 (smaller ones overflow float32)",
        ),
    seed: number("seed", values.seed, Number.isInteger, "an integer"),
    stopAtEndOfText: values["stop-at-eot"],
    json: values.json,
    logitsOut: values["logits-out"],
    threads:
      values.threads === undefined
        ? undefined
        : number("threads", values.threads, (n) => Number.isInteger(n) && n >= 1, "an integer ≥ 1"),
    cache: !values["no-cache"],
    showTopK:
      values["show-top-k"] === undefined
        ? undefined
        : number("show-top-k", values["show-top-k"], (n) => Number.isInteger(n) && n >= 1, "an integer ≥ 1"),
    attention: values.attention,
  };
}

/** Loads a checkpoint; when its files are not there, says which command fetches them. */
function loadModel<M>(loadPretrained: (dir: string) => M, dir: string): M {
  try {
    return loadPretrained(dir);
  } catch (error) {
    if (error instanceof CheckpointError && error.missing)
      throw new CheckpointError(`${error.message} Download it with:\n  ${downloadHint(dir)}`, true);
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  runOnChain(args.chain); // "#chain/..." resolves once per process: this one, or this command again on the other chain
  if (args.threads !== undefined) useKernels("wasm", args.threads); // before loading: weights go into the kernels' memory
  const { loadPretrained } = await import("#chain/step_15");
  const { generate } = await import("#chain/step_14");
  const { generateWithCache } = await import("#chain/step_16");
  if (args.chain === "mine") {
    // Your steps first, on the small model the course ships: an unfinished step should be
    // named before anything is said about downloading 548 MB of weights.
    generate(loadPretrained(SHIPPED_MODEL), [1], {
      maxNewTokens: 1,
      temperature: 0,
    });
  }

  if (args.modelNote) console.error(args.modelNote);
  const model = loadModel(loadPretrained, resolveModelDir(args.model));
  refuseNonFiniteWeights(model, resolveModelDir(args.model));
  const { vocab_size, n_positions } = model.config;
  const promptIds = args.ids ?? encode(args.prompt);
  const bad = promptIds.find((id) => id >= vocab_size);
  if (bad !== undefined)
    throw new UsageError(
      `token id ${bad} is out of range: this model's vocabulary has ${vocab_size} tokens (ids 0…${vocab_size - 1})`,
    );
  if (promptIds.length > n_positions)
    throw new UsageError(`the prompt is ${promptIds.length} tokens long; this model reads at most ${n_positions}`);

  if (args.attention) {
    const { attentionMaps } = await import("../figures/inspect.ts");
    const { attentionSvg } = await import("../figures/attention.ts");
    const labels = promptIds.map((id) => tokenLabel(decode([id]), id));
    const caption = `${args.chain === "mine" ? "your model" : "the reference model"} (${args.model}): the prompt's attention, every head of every layer`;
    writeFileSync(args.attention, attentionSvg(attentionMaps(model, promptIds), labels, caption));
    console.error(`wrote the prompt's attention maps to ${args.attention}`);
  }

  if (args.logitsOut) {
    const logits = model.forward(intTensor([promptIds])); // [1, T, vocab]
    writeFileSync(args.logitsOut, toNpy(fromData(logits.data, logits.shape.slice(1))));
  }

  const stream = args.json ? null : new StreamingDecoder();
  if (stream) process.stdout.write(args.ids ? decode(promptIds) : args.prompt);
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
    ids = args.cache ? generateWithCache(model, promptIds, options) : generate(model, promptIds, options);
  } catch (error) {
    // Your step 16 not done yet: it throws before the first token, so step 14's loop can take over.
    if (!(args.cache && isNotImplemented(error) && error.step === "16")) throw error;
    console.error("(step 16, the KV cache, is not done yet: generating without it, which is slower)");
    ids = generate(model, promptIds, options);
  }
  const seconds = (performance.now() - start) / 1000;
  if (stream) process.stdout.write(stream.flush()); // a character the last token left unfinished
  const top = args.showTopK
    ? (await import("../figures/inspect.ts")).candidatesForEachToken(
        model,
        ids,
        promptIds.length,
        args.temperature,
        args.showTopK,
      )
    : undefined;
  if (args.json)
    console.log(
      JSON.stringify({
        prompt_ids: promptIds,
        generated_ids: ids.slice(promptIds.length),
        ...(top && { top_k: top.map((c) => c.map(({ id, probability }) => ({ id, probability }))) }),
      }),
    );
  else {
    process.stdout.write("\n");
    if (top) process.stdout.write(topKTable(ids.slice(promptIds.length), top, args.temperature));
  }
  const made = ids.length - promptIds.length;
  console.error(`${made} tokens in ${seconds.toFixed(2)} s (${(made / seconds).toFixed(1)} tokens/s)`);
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
function topKTable(generated: readonly number[], top: Candidate[][], temperature: number): string {
  const quote = (id: number) => JSON.stringify(decode([id]));
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
