// Step 14 · Text generation
// Read book/src/step_14.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s14
// Stuck? npm run hint -- 14 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { Random } from "../lib/random.ts";
import { fromData, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

/** GPT-2's <|endoftext|> token. */
export const END_OF_TEXT = 50256;

/** What generation needs from a model: its config and logits for a batch of ids. */
export interface LanguageModel {
  config: GPT2Config;
  forward(ids: IntTensor): Tensor;
}

/** Logits [vocab_size] for the token after `ids`: the model's output at the last position. */
export function nextTokenLogits(model: LanguageModel, ids: readonly number[]): Tensor {
  // TODO: the model's logits for ids as one sequence ([1, T, vocab]); return position T − 1's as a [vocab] tensor.
  throw notImplemented("14", `nextTokenLogits: the logits after ${ids.length} tokens`);
}

/** Picks a token id from logits [vocab]: argmax when temperature is 0, else a draw from softmax(logits / temperature). */
export function sampleNextToken(logits: Tensor, temperature: number, rng: Random): number {
  // TODO: 1. reject temperature < 0 (or NaN) with a RangeError naming it
  //       2. temperature 0: return the index of the largest logit
  //       3. otherwise: probs = F.softmax(F.div(logits, temperature)); draw r = rng.uniform() and
  //          return the first index where the running sum of probs exceeds r
  throw notImplemented("14", `sampleNextToken: pick a token at temperature ${temperature}`);
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 is greedy; 1 samples from the model's distribution; higher is more random. Default 1. */
  temperature?: number;
  /** Seed of the sampling generator: the same seed gives the same tokens. Default 0. */
  seed?: number;
  /** Stop after producing END_OF_TEXT (50256). Default false. */
  stopAtEndOfText?: boolean;
  /** Called with each new id as soon as it is chosen (for streaming). */
  onToken?: (id: number) => void;
}

/** Returns prompt + up to maxNewTokens generated ids. */
export function generate(model: LanguageModel, prompt: readonly number[], options: GenerateOptions): number[] {
  // TODO: 1. validate: a non-empty prompt of at most n_positions tokens, maxNewTokens an integer ≥ 0,
  //          temperature ≥ 0 (default 1); throw RangeErrors that name the bad value
  //       2. rng = new Random(seed ?? 0)
  //       3. repeat maxNewTokens times: logits for the last n_positions ids → sampleNextToken →
  //          push, call onToken, and stop early on END_OF_TEXT if stopAtEndOfText
  throw notImplemented("14", `generate: continue a ${prompt.length}-token prompt by ${options.maxNewTokens} tokens`);
}
