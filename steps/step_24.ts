// Step 24 · Training a tokenizer
// Read book/src/step_24.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s24
// Stuck? npm run hint -- 24 gives three hints, each giving more away.
import { type BPEFiles, END_OF_TEXT } from "../lib/bpe.ts";
import { PriorityQueue } from "../lib/heap.ts";
import { notImplemented } from "../lib/todo.ts";
import { bytesToUnicode, preTokenize } from "#chain/step_23";

/** Each word of preTokenize(text), in printable form (one character per UTF-8 byte), with how often it occurs. */
export function wordCounts(text: string): Map<string, number> {
  // TODO: for each piece of preTokenize(text): its UTF-8 bytes, each as bytesToUnicode()'s character,
  //       joined → the word; count each word (Map word → count, in the order first seen).
  throw notImplemented("24", `wordCounts: count the words of ${text.length} characters`);
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
  // TODO: 1. vocabSize must be an integer ≥ 257 (a RangeError naming it)
  //       2. the words of wordCounts(text) as arrays of symbols; the count of every neighbouring pair
  //          inside a word, weighted by the word's count, and which words contain each pair
  //       3. repeat vocabSize − 257 times: the most frequent pair (ties: the smaller first token,
  //          then the smaller second, as strings) becomes a merge; merge it in every word that has it,
  //          and update the counts of those words' pairs only; onProgress?.(done, total)
  //       4. { vocab: Map token → id (bytes, then merges, then END_OF_TEXT), merges }
  throw notImplemented("24", `trainBPE: learn ${vocabSize - 257} merges${onProgress ? " (with progress)" : ""}`);
}
