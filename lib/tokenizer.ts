// GPT-2's tokenizer: byte-level BPE with OpenAI's r50k vocabulary (50,257 tokens), from the
// gpt-tokenizer package, which ships the vocabulary and works offline.
import { decode as bpeDecode, encode as bpeEncode } from "gpt-tokenizer/encoding/r50k_base";

export const VOCAB_SIZE = 50257;
/** <|endoftext|>, which GPT-2 saw between documents. */
export const END_OF_TEXT = 50256;

/** Text → token ids. The literal text "<|endoftext|>" becomes the special token 50256, as in Hugging Face. */
export function encode(text: string): number[] {
  return bpeEncode(text, { allowedSpecial: "all" });
}

/** Token ids → text. Throws a RangeError naming the first id outside the vocabulary. */
export function decode(ids: readonly number[]): string {
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE);
  if (bad !== undefined) throw new RangeError(`decode: token id ${bad} is outside GPT-2's vocabulary (0…${VOCAB_SIZE - 1})`);
  return bpeDecode(ids);
}

/**
 * Turns a stream of token ids into text as it becomes printable. One character can span
 * several tokens (an emoji is often 2–3 byte tokens), so text ending in an incomplete
 * character (decoded as U+FFFD) is held back until the next token completes it.
 */
export class StreamingDecoder {
  private ids: number[] = [];
  private printed = "";

  /** Adds one id and returns the newly completed text (possibly ""). */
  push(id: number): string {
    this.ids.push(id);
    const text = decode(this.ids);
    if (text.endsWith("\uFFFD")) return "";
    const fresh = text.slice(this.printed.length);
    this.printed = text;
    return fresh;
  }
}
