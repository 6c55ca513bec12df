// Step 23 · GPT-2's tokenizer — reference solution.
// Text → token ids in four moves: cut the text into words with GPT-2's pattern, turn each word's
// UTF-8 bytes into printable characters, merge neighbouring symbols by rank until no merge
// applies, and look the pieces up in the vocabulary. Decoding runs it backwards on bytes.
import { type BPEFiles, END_OF_TEXT, gpt2Files } from "../lib/bpe.ts";
import { PriorityQueue } from "../lib/heap.ts";

/**
 * GPT-2's byte → character table: entry b is the printable character that stands for byte b.
 * The printable bytes ! … ~, ¡ … ¬ and ® … ÿ stand for themselves; the other 68 bytes (controls,
 * space, DEL, no-break space, soft hyphen) get U+0100, U+0101, … in increasing byte order.
 */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, each with at most one space before it; whitespace runs. */
const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The text cut into GPT-2's words; joined back together they are the text. */
export function preTokenize(text: string): string[] {
  return text.match(PATTERN) ?? [];
}

export interface EncodeOptions {
  /** Encode the text "<|endoftext|>" as the special token (50256 in GPT-2). Default false: it is plain text. */
  allowSpecial?: boolean;
}

const utf8 = new TextEncoder();

export class Tokenizer {
  readonly vocab: Map<string, number>;
  /** "a b" → the rank of the merge a + b. */
  readonly ranks = new Map<string, number>();
  /** id → the bytes of its token. */
  private readonly tokenBytes: Uint8Array[] = [];
  readonly byteEncoder = bytesToUnicode();
  private readonly cache = new Map<string, number[]>();

  constructor(files: BPEFiles) {
    this.vocab = files.vocab;
    for (const [rank, [a, b]] of files.merges.entries()) this.ranks.set(`${a} ${b}`, rank);
    const byteOf = new Map(this.byteEncoder.map((c, b) => [c, b]));
    // <|endoftext|> is printable ASCII only, so the table gives back its own text too.
    for (const [token, id] of files.vocab) this.tokenBytes[id] = Uint8Array.from(token, (c) => byteOf.get(c)!);
  }

  /**
   * One word in printable form → its tokens: the pair of neighbours with the lowest rank merges
   * first (the leftmost of equal pairs), until no neighbouring pair is a merge. The pairs wait in a
   * priority queue and the symbols form a linked list, so a word of n bytes takes O(n log n).
   */
  bpe(word: string): string[] {
    const symbols = Array.from(word);
    const n = symbols.length;
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const rank = (i: number) => (next[i] < 0 ? undefined : this.ranks.get(`${symbols[i]} ${symbols[next[i]]}`));
    // [rank, position of the pair's left symbol]: lowest rank first, then leftmost.
    const queue = new PriorityQueue<[number, number]>((a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]));
    const offer = (i: number) => {
      const r = i < 0 ? undefined : rank(i);
      if (r !== undefined) queue.push([r, i]);
    };
    for (let i = 0; i < n - 1; i++) offer(i);
    while (queue.size > 0) {
      const [r, i] = queue.pop()!;
      // An entry is stale when either symbol has since been merged into something else.
      if (symbols[i] === "" || rank(i) !== r) continue;
      const j = next[i];
      symbols[i] += symbols[j];
      symbols[j] = "";
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      offer(prev[i]);
      offer(i);
    }
    return symbols.filter((s) => s !== "");
  }

  /** Text → ids. "<|endoftext|>" becomes the special token only when `allowSpecial` is set. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (options.allowSpecial) {
      const special = this.vocab.get(END_OF_TEXT)!;
      return text.split(END_OF_TEXT).flatMap((part, i) => (i > 0 ? [special] : []).concat(this.encodeOrdinary(part)));
    }
    return this.encodeOrdinary(text);
  }

  private encodeOrdinary(text: string): number[] {
    const ids: number[] = [];
    for (const piece of preTokenize(text)) {
      let cached = this.cache.get(piece);
      if (!cached) {
        let word = "";
        for (const b of utf8.encode(piece)) word += this.byteEncoder[b];
        cached = this.bpe(word).map((token) => this.vocab.get(token)!);
        this.cache.set(piece, cached);
      }
      for (const id of cached) ids.push(id);
    }
    return ids;
  }

  /** Ids → text: all the tokens' bytes, then one UTF-8 decode (invalid bytes become U+FFFD). Throws a RangeError naming an unknown id. */
  decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      const bytes = this.tokenBytes[id];
      if (!Number.isInteger(id) || bytes === undefined)
        throw new RangeError(`decode: ${id} is not a token id (0 … ${this.tokenBytes.length - 1})`);
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return new TextDecoder().decode(all);
  }
}

/** GPT-2's tokenizer: its own 50,257-token vocabulary and 50,000 merges. */
export function gpt2Tokenizer(): Tokenizer {
  return new Tokenizer(gpt2Files());
}
