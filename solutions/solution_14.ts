// Step 14 · Text generation — reference solution.
// The model scores every possible next token; generation picks one, appends it, and asks
// again. Greedy decoding picks the highest score; sampling draws from softmax(logits / T).
import * as F from "../lib/functional.ts";
import { Random } from "../lib/random.ts";
import { fromData, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

/** GPT-2's <|endoftext|> token. */
export const END_OF_TEXT = 50256;

/** What generation needs from a model: its config and logits for a batch of ids. */
export interface LanguageModel {
  config: GPT2Config;
  forward(ids: IntTensor): Tensor;
}

/** Logits [vocab_size] for the token after `ids`: the model's output at the last position. */
export function nextTokenLogits(model: LanguageModel, ids: readonly number[]): Tensor {
  const logits = model.forward(intTensor([[...ids]])); // [1, T, vocab]
  const [, T, vocab] = logits.shape;
  return fromData(
    Float32Array.from({ length: vocab }, (_, i) => logits.get(0, T - 1, i)),
    [vocab],
  );
}

/** Picks a token id from logits [vocab]: argmax when temperature is 0, else a draw from softmax(logits / temperature). */
export function sampleNextToken(logits: Tensor, temperature: number, rng: Random): number {
  if (!(temperature >= 0)) throw new RangeError(`sampleNextToken: temperature must be ≥ 0, got ${temperature}`);
  if (temperature === 0) return F.argmax(logits).data[0];
  const probs = F.softmax(F.div(logits, temperature)).data;
  // Walk the cumulative distribution until it passes a uniform draw.
  const r = rng.uniform();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (r < cumulative) return i;
  }
  return last; // r landed in the rounding gap at the very end
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
  const { maxNewTokens, temperature = 1, seed = 0, stopAtEndOfText = false, onToken } = options;
  const context = model.config.n_positions;
  checkArguments(prompt, context, maxNewTokens, temperature);

  const rng = new Random(seed);
  const ids = [...prompt];
  for (let i = 0; i < maxNewTokens; i++) {
    // Past the context window, the model sees only the most recent n_positions tokens.
    const next = sampleNextToken(nextTokenLogits(model, ids.slice(-context)), temperature, rng);
    ids.push(next);
    onToken?.(next);
    if (stopAtEndOfText && next === END_OF_TEXT) break;
  }
  return ids;
}

/** A prompt the model can read, a whole number of new tokens, and a temperature of at least 0. */
function checkArguments(prompt: readonly number[], context: number, maxNewTokens: number, temperature: number): void {
  if (prompt.length === 0) throw new RangeError("generate: the prompt is empty; give at least one token id");
  if (prompt.length > context)
    throw new RangeError(
      `generate: the prompt has ${prompt.length} tokens but the model reads at most n_positions = ${context}`,
    );
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0)
    throw new RangeError(`generate: maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`);
  if (!(temperature >= 0)) throw new RangeError(`generate: temperature must be ≥ 0, got ${temperature}`);
}
