// What the tools need of a tokenizer (step 23's Tokenizer is one), and how they print tokens as
// they come: text ↔ ids, with decoding a pure function of the ids.

export interface TextTokenizer {
  /** Text → ids; "<|endoftext|>" becomes the special token only when `allowSpecial` is set. */
  encode(text: string, options?: { allowSpecial?: boolean }): number[];
  /** Ids → text: the tokens' bytes, decoded as UTF-8 once. Throws a RangeError naming an unknown id. */
  decode(ids: readonly number[]): string;
}

/**
 * Turns a stream of token ids into text as it becomes printable. One character can span
 * several tokens (an emoji is often 2–3 byte tokens), so tokens whose bytes do not yet form
 * whole characters (they decode to U+FFFD) are held back until a later token completes them.
 * Byte-level BPE decodes by concatenating bytes, so decoding the held tokens on their own is exact.
 */
export class StreamingDecoder {
  private pending: number[] = [];

  constructor(private readonly tokenizer: TextTokenizer) {}

  /** Adds one id and returns the newly completed text (possibly ""). */
  push(id: number): string {
    this.pending.push(id);
    const text = this.tokenizer.decode(this.pending);
    // No UTF-8 character is longer than 4 bytes: past that, the bytes are genuinely invalid.
    if (text.includes("\uFFFD") && this.pending.length < 4) return "";
    this.pending = [];
    return text;
  }

  /** At the end of the stream: what is still held back (an unfinished character shows as U+FFFD). */
  flush(): string {
    const text = this.tokenizer.decode(this.pending);
    this.pending = [];
    return text;
  }
}
