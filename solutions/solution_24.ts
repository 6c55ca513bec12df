// Step 24 · Training a tokenizer — reference solution.
// Byte-level BPE learns its merges from text: start from the 256 bytes, count every pair of
// neighbouring symbols inside words (each word weighted by how often it occurs), merge the most
// frequent pair everywhere, and repeat until the vocabulary is as large as asked. Only the words
// that contain the merged pair change, so only their pairs are counted again.
import type { BPEFiles } from "../lib/bpe.ts";
import { END_OF_TEXT } from "../lib/bpe.ts";
import { PriorityQueue } from "../lib/heap.ts";
import { bytesToUnicode, preTokenize } from "./solution_23.ts";

const utf8 = new TextEncoder();

/** Each word of preTokenize(text), in printable form (one character per UTF-8 byte), with how often it occurs. */
export function wordCounts(text: string): Map<string, number> {
  const table = bytesToUnicode();
  const counts = new Map<string, number>();
  for (const piece of preTokenize(text)) {
    let word = "";
    for (const b of utf8.encode(piece)) word += table[b];
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** The tie rule: the more frequent pair; among equals, the smaller first token, then the smaller second (as strings). */
function better(a: [number, string, string], b: [number, string, string]): boolean {
  if (a[0] !== b[0]) return a[0] > b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
}

/**
 * Learns vocabSize − 257 merges from `text`. The vocabulary is GPT-2's layout: the 256 byte tokens
 * in bytesToUnicode's order (ids 0 … 255 as in GPT-2), one token per merge (256, 257, …), then
 * <|endoftext|> last (vocabSize − 1). Stops early when no pair is left to merge.
 * onProgress(done, total) is called after every merge.
 */
export function trainBPE(
  text: string,
  vocabSize: number,
  onProgress?: (done: number, total: number) => void,
): BPEFiles {
  if (!Number.isInteger(vocabSize) || vocabSize < 257)
    throw new RangeError(`trainBPE: vocabSize must be an integer ≥ 257 (256 bytes + <|endoftext|>), got ${vocabSize}`);
  const total = vocabSize - 257;
  const words: string[][] = [];
  const freq: number[] = [];
  for (const [word, count] of wordCounts(text)) {
    words.push(Array.from(word));
    freq.push(count);
  }
  // "a b" → how often the pair occurs inside words, and which words (may) contain it.
  const counts = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const queue = new PriorityQueue<[number, string, string]>(better);
  /** Adds (sign 1) or removes (sign −1) word w's pairs, weighted by its count; `touched` collects their keys. */
  const add = (w: number, sign: number, touched?: Set<string>) => {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const key = `${word[i]} ${word[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + sign * freq[w]);
      touched?.add(key);
      where.set(key, (where.get(key) ?? new Set<number>()).add(w)); // on removal w is in the set already
    }
  };
  for (let w = 0; w < words.length; w++) add(w, 1);
  for (const [key, count] of counts) queue.push([count, ...(key.split(" ") as [string, string])]);

  const merges: [string, string][] = [];
  while (merges.length < total) {
    // The best pair whose count is still current (a changed count was queued again).
    const top = queue.pop();
    if (!top) break;
    const [count, a, b] = top;
    const key = `${a} ${b}`;
    if (count <= 0 || counts.get(key) !== count) continue;
    merges.push([a, b]);
    const merged = a + b;
    const changed = new Set<string>();
    for (const w of where.get(key) ?? []) {
      const word = words[w];
      if (!word.some((s, i) => s === a && word[i + 1] === b)) continue;
      add(w, -1, changed);
      for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) word.splice(i, 2, merged);
      add(w, 1, changed);
    }
    // Every count that moved goes back in the queue; the entries with its old count are now stale.
    for (const k of changed) queue.push([counts.get(k)!, ...(k.split(" ") as [string, string])]);
    onProgress?.(merges.length, total);
  }

  const vocab = new Map<string, number>();
  const table = bytesToUnicode();
  for (const c of [...table].sort()) vocab.set(c, vocab.size); // GPT-2's byte ids: its table's characters in order
  for (const [a, b] of merges) vocab.set(a + b, vocab.size);
  vocab.set(END_OF_TEXT, vocab.size);
  return { vocab, merges };
}
