// Step 23 · GPT-2's tokenizer
// Read book/src/step_23.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s23
// Stuck? npm run hint -- 23 gives three hints, each giving more away.
import { type BPEFiles, END_OF_TEXT, gpt2Files } from "../lib/bpe.ts";
import { PriorityQueue } from "../lib/heap.ts";
import { notImplemented } from "../lib/todo.ts";

/**
 * GPT-2's byte → character table: entry b is the printable character that stands for byte b.
 * The printable bytes ! … ~, ¡ … ¬ and ® … ÿ stand for themselves; the other 68 bytes (controls,
 * space, DEL, no-break space, soft hyphen) get U+0100, U+0101, … in increasing byte order.
 */
export function bytesToUnicode(): string[] {
  // TODO: an array of 256 one-character strings; table[32] (a space) is "Ġ", table[65] is "A".
  throw notImplemented("23", "bytesToUnicode: GPT-2's table of 256 printable characters");
}

/** The text cut into GPT-2's words; joined back together they are the text. */
export function preTokenize(text: string): string[] {
  // TODO: GPT-2's pattern (see the chapter) as a JavaScript regular expression; every match, in order.
  throw notImplemented("23", `preTokenize: cut ${JSON.stringify(text.slice(0, 20))}… into GPT-2's words`);
}

export interface EncodeOptions {
  /** Encode the text "<|endoftext|>" as the special token (50256 in GPT-2). Default false: it is plain text. */
  allowSpecial?: boolean;
}

export class Tokenizer {
  readonly vocab: Map<string, number>;
  /** "a b" → the rank of the merge a + b (its line in merges.txt, from 0). */
  readonly ranks = new Map<string, number>();
  /** The printable character of each byte (bytesToUnicode). */
  readonly byteEncoder = bytesToUnicode();

  constructor(files: BPEFiles) {
    this.vocab = files.vocab;
    for (const [rank, [a, b]] of files.merges.entries()) this.ranks.set(`${a} ${b}`, rank);
    // TODO (optional): anything else you want ready before encoding (a table back from characters to bytes, a cache).
  }

  /**
   * One word in printable form → its tokens: the neighbouring pair with the lowest rank merges
   * first (the leftmost of equal pairs), until no neighbouring pair is a merge.
   */
  bpe(word: string): string[] {
    // TODO: start from one symbol per character; merge by rank as above. A word of 65,536
    //       characters must take well under a second: keep the candidate pairs in a
    //       PriorityQueue (lib/heap.ts) rather than scanning every pair after each merge.
    throw notImplemented("23", `bpe: merge the ${word.length} characters of a word by rank (this.ranks)`);
  }

  /** Text → ids. "<|endoftext|>" becomes the special token only when `allowSpecial` is set. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    // TODO: 1. with options.allowSpecial: the parts around each END_OF_TEXT encoded on their own, with
    //          this.vocab.get(END_OF_TEXT) between them
    //       2. each word of preTokenize(text) → its UTF-8 bytes → one character per byte
    //          (this.byteEncoder) → this.bpe → an id per token from this.vocab
    throw notImplemented(
      "23",
      `encode: ${text.length} characters → ids (allowSpecial ${options.allowSpecial ?? false}, special token ${JSON.stringify(END_OF_TEXT)})`,
    );
  }

  /** Ids → text: all the tokens' bytes, then one UTF-8 decode (invalid bytes become U+FFFD). Throws a RangeError naming an unknown id. */
  decode(ids: readonly number[]): string {
    // TODO: every id's token back to its bytes (each character through bytesToUnicode backwards), all the bytes
    //       together, then one TextDecoder().decode; an id that is not in the vocabulary is a RangeError.
    throw notImplemented("23", `decode: ${ids.length} ids → text`);
  }
}

/** GPT-2's tokenizer: its own 50,257-token vocabulary and 50,000 merges. */
export function gpt2Tokenizer(): Tokenizer {
  return new Tokenizer(gpt2Files());
}
