import { describe, expect, it } from "vitest";
import { END_OF_TEXT, StreamingDecoder, decode, encode } from "../../lib/tokenizer.ts";
import { fromNpy, toNpy } from "../../tools/cli/npy.ts";
import { tensor, toNested } from "../../lib/tensor.ts";

describe("GPT-2 tokenizer", () => {
  it("encodes known strings to GPT-2's ids", () => {
    expect(encode("Hello world")).toEqual([15496, 995]);
    expect(encode("Hello, I'm a language model,")).toEqual([15496, 11, 314, 1101, 257, 3303, 2746, 11]);
    expect(encode("<|endoftext|>")).toEqual([END_OF_TEXT]);
  });

  it.each([
    "",
    "plain ascii",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\n",
    "Ünïcödé – ñ 中文 日本語",
    "emoji 🌍🚀👩‍👩‍👧",
    "mixed <|endoftext|> special",
  ])("decode(encode(s)) === s for %j", (s) => {
    expect(decode(encode(s))).toBe(s);
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => decode([15496, 50257])).toThrow(/token id 50257 is outside GPT-2's vocabulary \(0…50256\)/);
  });

  it("decodes the same ids to the same text whatever was decoded before (the library's decoder is shared)", () => {
    // 447 and 247 are the two byte tokens of "’" (U+2019): 447 alone is an unfinished character.
    expect([decode([447]), decode([447]), decode([247]), decode([447, 247])]).toEqual([
      "\uFFFD",
      "\uFFFD",
      "\uFFFD",
      "’",
    ]);
    expect(decode([464, 447])).toBe("The\uFFFD");
    expect(decode([464])).toBe("The");
  });

  it("holds back a character split across tokens, and flushes what is left at the end", () => {
    const stream = new StreamingDecoder();
    expect([stream.push(447), stream.push(247), stream.push(464)]).toEqual(["", "’", "The"]);
    expect([stream.push(447), stream.flush(), stream.flush()]).toEqual(["", "\uFFFD", ""]);
  });

  it("streams multi-token characters only once they are complete", () => {
    const ids = encode("a🌍b");
    const stream = new StreamingDecoder();
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces.join("")).toBe("a🌍b");
    expect(pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
  });
});

describe(".npy", () => {
  it("round-trips float32 arrays with a 64-byte-aligned header", () => {
    const bytes = toNpy(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength))).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/,
    );
    const back = fromNpy(bytes);
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fromNpy(toNpy(tensor([7]))).shape).toEqual([1]);
    expect(toNested(tensor([7]))).toEqual([7]);
  });
});
