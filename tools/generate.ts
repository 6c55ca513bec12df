// `npm run main -- "prompt"` (the reference solutions) and `npm run gpt2 -- "prompt"` (your own
// steps, --chain=mine): load a Hugging Face GPT-2 checkpoint and continue a prompt.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CheckpointError, resolveModelDir } from "../lib/checkpoint.ts";
import { toNpy } from "../lib/npy.ts";
import { fromData, intTensor } from "../lib/tensor.ts";
import { isNotImplemented } from "../lib/todo.ts";
import { StreamingDecoder, decode, encode } from "../lib/tokenizer.ts";

const USAGE = `usage: npm run main -- "prompt" [options]      (the reference model)
       npm run gpt2 -- "prompt" [options]      (your model, built from your steps)

  --model NAME|DIR       gpt2 (default), gpt2-medium, gpt2-large, gpt2-xl, or a folder holding
                         a Hugging Face config.json and model.safetensors
  --max-new-tokens N     tokens to generate (default 40)
  --temperature T        0 is greedy; default 0.8
  --greedy               same as --temperature 0
  --seed S               sampling seed (default 0): the same seed writes the same text
  --stop-at-eot          stop at <|endoftext|>
  --ids 464,3290,…       give token ids instead of a text prompt
  --json                 print {"prompt_ids": […], "generated_ids": […]} instead of text
  --logits-out F.npy     also write the prompt's logits, float32 [T, vocab], as NumPy .npy`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      chain: { type: "string", default: "reference" },
      model: { type: "string", default: "gpt2" },
      "max-new-tokens": { type: "string", default: "40" },
      temperature: { type: "string", default: "0.8" },
      greedy: { type: "boolean", default: false },
      seed: { type: "string", default: "0" },
      "stop-at-eot": { type: "boolean", default: false },
      ids: { type: "string" },
      json: { type: "boolean", default: false },
      "logits-out": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const number = (name: string, raw: string, check: (n: number) => boolean, what: string) => {
    const n = Number(raw);
    if (raw.trim() === "" || !check(n)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
    return n;
  };
  if (values.chain !== "reference" && values.chain !== "mine") throw new UsageError(`--chain must be "reference" or "mine", got ${JSON.stringify(values.chain)}`);
  const prompt = positionals.join(" ");
  if (!values.help && values.ids === undefined && prompt === "") throw new UsageError("give a prompt (or --ids)");
  return {
    help: values.help,
    chain: values.chain,
    model: values.model,
    prompt,
    ids: values.ids === undefined ? undefined : values.ids.split(",").map((s) => number("ids", s, (n) => Number.isInteger(n) && n >= 0, "comma-separated token ids (integers ≥ 0)")),
    maxNewTokens: number("max-new-tokens", values["max-new-tokens"], (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0"),
    temperature: values.greedy ? 0 : number("temperature", values.temperature, (n) => n >= 0, "a number ≥ 0"),
    seed: number("seed", values.seed, Number.isInteger, "an integer"),
    stopAtEndOfText: values["stop-at-eot"],
    json: values.json,
    logitsOut: values["logits-out"],
  };
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
  // Chosen before the model code is imported: lib/chain/ reads it at import time.
  if (args.chain === "mine") process.env.GPT2_CHAIN = "mine";
  const { loadPretrained } = await import("../lib/chain/step_15.ts");
  const { generate } = await import("../lib/chain/step_14.ts");

  const model = loadPretrained(resolveModelDir(args.model));
  const { vocab_size, n_positions } = model.config;
  const promptIds = args.ids ?? encode(args.prompt);
  const bad = promptIds.find((id) => id >= vocab_size);
  if (bad !== undefined) throw new UsageError(`token id ${bad} is out of range: this model's vocabulary has ${vocab_size} tokens (ids 0…${vocab_size - 1})`);
  if (promptIds.length > n_positions) throw new UsageError(`the prompt is ${promptIds.length} tokens long; this model reads at most ${n_positions}`);

  if (args.logitsOut) {
    const logits = model.forward(intTensor([promptIds])); // [1, T, vocab]
    writeFileSync(args.logitsOut, toNpy(fromData(logits.data, logits.shape.slice(1))));
  }

  const stream = args.json ? null : new StreamingDecoder();
  if (stream) process.stdout.write(args.ids ? decode(promptIds) : args.prompt);
  const ids = generate(model, promptIds, {
    maxNewTokens: args.maxNewTokens,
    temperature: args.temperature,
    seed: args.seed,
    stopAtEndOfText: args.stopAtEndOfText,
    onToken: (id) => stream && process.stdout.write(stream.push(id)),
  });
  if (args.json) console.log(JSON.stringify({ prompt_ids: promptIds, generated_ids: ids.slice(promptIds.length) }));
  else process.stdout.write("\n");
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = (error as Error).message;
  if (error instanceof UsageError || error instanceof CheckpointError) console.error(message);
  else if (isNotImplemented(error)) {
    const step = /step (\d+)/.exec(message)?.[1];
    console.error(`${message}\nYour chain needs every step: finish it and check it with npm run s${step}, or run the reference model with npm run main.`);
  } else console.error(`error: ${message}`);
  process.exitCode = 1;
}
