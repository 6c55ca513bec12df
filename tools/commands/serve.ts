// `npm run serve [-- --model gpt2|DIR] [--port 8000] [--host 127.0.0.1] [--chain=mine]`: the model
// behind OpenAI's completions endpoint (POST /v1/completions) and a playground page at /, on
// this computer only unless --host says otherwise. The model runs on a thread of its own
// (tools/serve/model-thread.ts); this one serves HTTP.
import path from "node:path";
import { defaultModel, resolveModelDir } from "../hub/models.ts";
import { listen } from "../cli/listen.ts";
import { tokenizerFor } from "../cli/tokenizer.ts";
import { exitOnUnfinishedStep, runOnChain } from "../runner/chain.ts";
import { UsageError, chosenChain, parseCommand } from "../cli/options.ts";

const { values, port, chain } = parseCommand(
  {
    usage: "npm run serve -- [options]",
    options: {
      model: {
        type: "string",
        value: "gpt2|DIR",
        help: "gpt2 (once downloaded), another size, or a folder with config.json and model.safetensors",
      },
      port: { type: "string", default: "8000", value: "N", help: "0 picks a free one" },
      host: { type: "string", default: "127.0.0.1", value: "ADDRESS", help: "127.0.0.1 is this computer only" },
      chain: {
        type: "string",
        default: "reference",
        value: "mine",
        help: "mine: serve the model your own steps build",
      },
    },
  },
  process.argv.slice(2),
  ({ values }) => {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a whole number 0…65535, got ${JSON.stringify(values.port)}`);
    return { values, port, chain: chosenChain(values.chain) };
  },
);
runOnChain(chain);
exitOnUnfinishedStep("npm run serve");

const { ModelThread } = await import("../serve/model-thread.ts");
const { completionServer } = await import("../serve/server.ts");

const chosen = values.model === undefined ? defaultModel() : { model: values.model, note: undefined };
const dir = resolveModelDir(chosen.model);
const name = path.isAbsolute(chosen.model) ? path.basename(chosen.model) : chosen.model;
if (chosen.note) console.warn(chosen.note);
// The model loads on its thread while this one reads the tokenizer. The thread inherits this
// process's Node options, so on --chain=mine it too runs your steps.
const [model, tokens] = await Promise.all([ModelThread.start(dir), tokenizerFor(dir, chain)]);
console.log(`(${tokens.description})`);
const server = completionServer({ model, tokens, name, log: (line) => console.log(line) });
await listen(
  server,
  values.host,
  port,
  `${name}${chain === "mine" ? " (your steps)" : ""}: POST /v1/completions and the playground`,
);

// `npm run serve` runs this under a shell, and npm passes a SIGTERM to that shell, not to this
// process: when the shell goes, this process is re-parented. Stop then, instead of serving on
// as an orphan that holds the port.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    console.log("npm run serve was stopped: the server stops too");
    process.exit(0);
  }
}, 250).unref();
