// `npm run serve [-- --model gpt2|DIR] [--port 8000] [--host 127.0.0.1] [--chain=mine]`: the model
// behind OpenAI's completions endpoint (POST /v1/completions) and a playground page at /, on
// this computer only unless --host says otherwise.
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultModel, resolveModelDir } from "./hub/models.ts";
import { listen } from "./listen.ts";
import { exitOnUnfinishedStep, runOnChain, type Chain } from "./runner/chain.ts";

const USAGE = `usage: npm run serve -- [--model gpt2|DIR] [--port N] [--host ADDRESS] [--chain=mine]
  --model    gpt2 (default, once downloaded), another size, or a folder with config.json and model.safetensors
  --port     default 8000 (0 picks a free one)
  --host     default 127.0.0.1 (this computer only)
  --chain    reference (default) or mine: serve the model your own steps build`;

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    port: { type: "string", default: "8000" },
    host: { type: "string", default: "127.0.0.1" },
    chain: { type: "string", default: "reference" },
    help: { type: "boolean", default: false },
  },
});
const port = Number(values.port);
if (
  values.help ||
  !Number.isInteger(port) ||
  port < 0 ||
  port > 65535 ||
  !["reference", "mine"].includes(values.chain)
) {
  console.error(values.help ? USAGE : `bad option\n${USAGE}`);
  process.exit(values.help ? 0 : 2);
}
runOnChain(values.chain as Chain);
exitOnUnfinishedStep("npm run serve");

const { loadPretrained } = await import("#chain/step_15");
const { completionServer } = await import("./serve/server.ts");
const chosen = values.model === undefined ? defaultModel() : { model: values.model, note: undefined };
const dir = resolveModelDir(chosen.model);
const name = path.isAbsolute(chosen.model) ? path.basename(chosen.model) : chosen.model;
if (chosen.note) console.warn(chosen.note);
const model = loadPretrained(dir);
const server = completionServer({ model, name, log: (line) => console.log(line) });
await listen(
  server,
  values.host,
  port,
  `${name}${values.chain === "mine" ? " (your steps)" : ""}: POST /v1/completions and the playground`,
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
