// The model's thread of `npm run serve` (model-thread.ts starts it): it loads the model through
// "#chain/…", so --chain=mine runs your steps here too, then runs the jobs the HTTP thread sends,
// one at a time: a generation, whose tokens it posts one by one as they are drawn, or an attention
// picture. The HTTP thread keeps the tokenizer, the queue and the sockets, so it answers while the
// model computes.
import { setImmediate as nextTurn } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import type { GPT2LMHeadModel } from "#chain/step_13";
import { nextTokenLogits, sampleNextToken } from "#chain/step_14";
import { loadPretrained } from "#chain/step_15";
import { forwardWithCache, type KVCache } from "#chain/step_16";
import * as F from "../../lib/functional.ts";
import { Random } from "../../lib/random.ts";
import { intTensor, type Tensor } from "../../lib/tensor.ts";
import { isNotImplemented } from "../../lib/todo.ts";
import { refuseNonFiniteWeights } from "../cli/finite.ts";
import { queryAttentionSvg } from "../figures/attention.ts";
import { attentionMaps, NextTokenDistribution } from "../figures/inspect.ts";
import { failureReport } from "../runner/chain.ts";
import type { CompletionRequest, GeneratedToken } from "./completions.ts";
import type { FromModel, Job, ToModel } from "./model-thread.ts";

const port = parentPort!;
const post = (message: FromModel) => port.postMessage(message);

/** The job being run, and whether its client has gone (a cancel message for it arrived). */
let current: { job: number; cancelled: boolean } | null = null;

const model = loaded((workerData as { dir: string }).dir);
if (model) {
  const { vocab_size, n_positions } = model.config;
  post({ type: "ready", limits: { vocab_size, n_positions } });
  // Jobs come one at a time: the HTTP thread's queue sends the next once this one is done.
  port.on("message", (message: ToModel) => {
    if (message.type !== "cancel") void run(model, message);
    else if (current?.job === message.job) current.cancelled = true;
  });
}

/** The model in `dir`, or null when it cannot be loaded (the HTTP thread is told why, and exits). */
function loaded(dir: string): GPT2LMHeadModel | null {
  try {
    const model = loadPretrained(dir);
    refuseNonFiniteWeights(model, dir);
    return model;
  } catch (error) {
    post({ type: "failed", report: failureReport(error, "npm run serve") });
    return null;
  }
}

/** Runs one job; its error, if any, goes back as a message for the HTTP thread to answer. */
async function run(model: GPT2LMHeadModel, message: Job): Promise<void> {
  const running = { job: message.job, cancelled: false };
  current = running;
  try {
    if (message.type === "attention") {
      const { context, labels, caption } = message;
      const svg = queryAttentionSvg(attentionMaps(model, context), context.length - 1, labels, caption);
      post({ type: "done", job: message.job, svg });
    } else {
      const { request, endOfText } = message;
      for await (const token of generateTokens(model, request, endOfText, () => running.cancelled))
        post({ type: "token", job: message.job, token });
      post({ type: "done", job: message.job });
    }
  } catch (error) {
    post({ type: "error", job: message.job, message: (error as Error).message });
  } finally {
    current = null;
  }
}

/**
 * Draws tokens one by one, yielding each: generateWithCache's algorithm (step 16, or step 14's loop
 * while step 16 is unfinished: the same tokens for the same seed), pausing between tokens. Stops
 * when `stopped()` turns true.
 */
async function* generateTokens(
  model: GPT2LMHeadModel,
  request: CompletionRequest,
  endOfText: number,
  stopped: () => boolean,
): AsyncGenerator<GeneratedToken> {
  const { n_positions } = model.config;
  const rng = new Random(request.seed);
  const ids = [...request.ids];
  let cache: KVCache | null = null;
  let cached = true; // false once step 16 turns out to be unfinished (your own chain)
  for (let i = 0; i < request.maxTokens && !stopped(); i++) {
    let logits: Tensor;
    if (cached) {
      try {
        const step = forwardWithCache(model, intTensor([cache ? ids.slice(-1) : ids.slice(-n_positions)]), cache, {
          lastOnly: true,
        });
        cache = step.cache[0].key.shape[2] < n_positions ? step.cache : null; // the context limit, as step 16
        logits = F.reshape(step.logits, [step.logits.shape[2]]);
      } catch (error) {
        if (!isNotImplemented(error)) throw error;
        cached = false;
        logits = nextTokenLogits(model, ids.slice(-n_positions));
      }
    } else logits = nextTokenLogits(model, ids.slice(-n_positions));
    const id = sampleNextToken(logits, request.temperature, rng);
    ids.push(id);
    const distribution = request.logprobs ? new NextTokenDistribution(logits, request.temperature) : null;
    yield {
      id,
      probability: distribution ? distribution.probability(id) : Number.NaN,
      top: distribution ? distribution.likeliest(request.logprobs) : [],
    };
    if (request.stop && id === endOfText) return;
    await nextTurn(); // let a cancel message in: the client may have gone
  }
}
