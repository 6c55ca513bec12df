// `npm run bench [-- --model DIR] [--tokens N]`: prints speed and memory figures.
//   - the core kernel: a [16, 768] × [768 → 3072] linear layer, in both weight layouts;
//   - with a checkpoint (models/gpt2 by default, or any Hugging Face GPT-2 folder): load time,
//     resident memory, and greedy generation speed.
// Benchmarks print numbers; no test asserts a time. A full-size random checkpoint for this:
//   /usr/bin/python3 scripts/make_fixtures.py --random-checkpoint /tmp/gpt2-random
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { resolveModelDir } from "../lib/checkpoint.ts";
import * as F from "../lib/functional.ts";
import { Random, randn } from "../lib/random.ts";
import { generate } from "../solutions/solution_14.ts";
import { loadPretrained } from "../solutions/solution_15.ts";

const { values } = parseArgs({ options: { model: { type: "string", default: "gpt2" }, tokens: { type: "string", default: "8" } } });
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function time<T>(f: () => T): [T, number] {
  const start = performance.now();
  const result = f();
  return [result, performance.now() - start];
}

const rng = new Random(0);
const x = randn([16, 768], rng);
for (const [layout, weight] of [["[out, in]", randn([3072, 768], rng)], ["Conv1D view of [in, out]", F.transpose(randn([768, 3072], rng), 0, 1)]] as const) {
  F.linear(x, weight); // warm up
  const [, ms] = time(() => F.linear(x, weight));
  console.log(`linear 16×768 → 3072, weight ${layout}: ${ms.toFixed(1)} ms, ${((2 * 16 * 768 * 3072) / ms / 1e6).toFixed(2)} GFLOP/s`);
}

const dir = resolveModelDir(values.model);
if (!existsSync(dir)) {
  console.log(`\nno checkpoint at ${dir}: run npm run download -- gpt2, or pass --model DIR`);
} else {
  const before = process.memoryUsage().rss;
  const [model, loadMs] = time(() => loadPretrained(dir));
  const rss = process.memoryUsage().rss;
  console.log(`\nload ${dir}: ${(loadMs / 1000).toFixed(2)} s, ${model.numParameters().toLocaleString("en-US")} parameters, RSS ${mib(before)} → ${mib(rss)}`);
  const prompt = [464, 3290, 318, 257]; // "The dog is a"
  const newTokens = Number(values.tokens);
  const [, genMs] = time(() => generate(model, prompt, { maxNewTokens: newTokens, temperature: 0 }));
  console.log(`greedy, ${prompt.length}-token prompt + ${newTokens} new tokens (no KV cache): ${(genMs / 1000).toFixed(2)} s, ${((1000 * newTokens) / genMs).toFixed(3)} tokens/s`);
  console.log(`peak RSS: ${mib(process.resourceUsage().maxRSS * 1024)}`);
}
