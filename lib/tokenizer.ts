// GPT-2's tokenizer: byte-level BPE with OpenAI's r50k vocabulary (50,257 tokens), from the
// gpt-tokenizer package, which ships the vocabulary and works offline.
import { decoder as sharedUtf8Decoder } from "gpt-tokenizer/BytePairEncodingCore";
import { decode as bpeDecode, encode as bpeEncode } from "gpt-tokenizer/encoding/r50k_base";

const VOCAB_SIZE = 50257;
/** <|endoftext|>, which GPT-2 saw between documents. */
export const END_OF_TEXT = 50256;

/** Text → token ids. The literal text "<|endoftext|>" becomes the special token 50256, as in Hugging Face. */
export function encode(text: string): number[] {
  return bpeEncode(text, { allowedSpecial: "all" });
}

/**
 * Token ids → text, the same text for the same ids whatever was decoded before. Throws a
 * RangeError naming the first id outside the vocabulary.
 */
export function decode(ids: readonly number[]): string {
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE);
  if (bad !== undefined)
    throw new RangeError(`decode: token id ${bad} is outside GPT-2's vocabulary (0…${VOCAB_SIZE - 1})`);
  // gpt-tokenizer 4.0 decodes with one module-wide streaming TextDecoder and never flushes it, so
  // the bytes of an unfinished character would leak into the next call. Flushing ends this call's
  // bytes here: an unfinished character becomes U+FFFD, as a whole-text decode would give.
  return bpeDecode(ids) + sharedUtf8Decoder.decode();
}

/**
 * Turns a stream of token ids into text as it becomes printable. One character can span
 * several tokens (an emoji is often 2–3 byte tokens), so tokens whose bytes do not yet form
 * whole characters (they decode to U+FFFD) are held back until a later token completes them.
 * GPT-2 decodes by concatenating bytes, so decoding the held tokens on their own is exact.
 */
export class StreamingDecoder {
  private pending: number[] = [];

  /** Adds one id and returns the newly completed text (possibly ""). */
  push(id: number): string {
    this.pending.push(id);
    const text = decode(this.pending);
    // No UTF-8 character is longer than 4 bytes: past that, the bytes are genuinely invalid.
    if (text.includes("\uFFFD") && this.pending.length < 4) return "";
    this.pending = [];
    return text;
  }

  /** At the end of the stream: what is still held back (an unfinished character shows as U+FFFD). */
  flush(): string {
    const text = decode(this.pending);
    this.pending = [];
    return text;
  }
}
