// The tools' tokenizer: GPT-2's or a model folder's own files, read by step 23's Tokenizer, and
// the streaming decoder that prints whole characters only.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatBPEFiles, mobyDickChapter } from "../../lib/bpe.ts";
import { CheckpointError } from "../../lib/checkpoint.ts";
import { StreamingDecoder } from "../../lib/tokenizer.ts";
import { promptIds } from "../../tools/cli/prompt.ts";
import { readTokenizerFiles, tokenizerFor, writeTokenizerFiles } from "../../tools/cli/tokenizer.ts";
import { trainBPE } from "../../solutions/solution_24.ts";
import { tempDir } from "../temp-dir.ts";

const gpt2 = await tokenizerFor(null, "reference");
const { tokenizer } = gpt2;

describe("GPT-2's tokenizer, by the reference step 23", () => {
  it("encodes known strings to GPT-2's ids; a prompt's <|endoftext|> is the special token", () => {
    expect(gpt2.description).toBe("GPT-2's tokenizer, by the reference step 23");
    expect([gpt2.vocabSize, gpt2.endOfText]).toEqual([50257, 50256]);
    expect(tokenizer.encode("Hello, I'm a language model,")).toEqual([15496, 11, 314, 1101, 257, 3303, 2746, 11]);
    const config = { vocab_size: 50257, n_positions: 1024 };
    expect(promptIds("Hello world<|endoftext|>", config, tokenizer)).toEqual([15496, 995, 50256]);
  });

  it.each([
    "",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\n",
    "Ünïcödé – ñ 中文 日本語",
    "emoji 🌍🚀👩‍👩‍👧",
  ])("decode(encode(s)) === s for %j", (s) => {
    expect(tokenizer.decode(tokenizer.encode(s))).toBe(s);
  });

  it("decodes the same ids to the same text whatever was decoded before, and refuses unknown ids", () => {
    // 447 and 247 are the two byte tokens of "’" (U+2019): 447 alone is an unfinished character.
    const decoded = [[447], [447], [247], [447, 247], [464, 447], [464]].map((ids) => tokenizer.decode(ids));
    expect(decoded).toEqual(["\uFFFD", "\uFFFD", "\uFFFD", "’", "The\uFFFD", "The"]);
    expect(() => tokenizer.decode([15496, 50257])).toThrow(RangeError);
  });

  it("streams a character split across tokens once it is complete, and flushes what is left", () => {
    const stream = new StreamingDecoder(tokenizer);
    expect([stream.push(447), stream.push(247), stream.push(464)]).toEqual(["", "’", "The"]);
    expect([stream.push(447), stream.flush(), stream.flush()]).toEqual(["", "\uFFFD", ""]);
    const pieces = tokenizer.encode("a🌍b").map((id) => stream.push(id));
    expect(pieces.join("")).toBe("a🌍b");
    expect(pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
  });
});

describe("a model folder's own tokenizer", () => {
  const folder = () => tempDir("tokenizer");

  it("is read from vocab.json and merges.txt, as npm run train -- --vocab writes them", async () => {
    const dir = folder();
    writeTokenizerFiles(dir, formatBPEFiles(trainBPE(mobyDickChapter(1), 300)));
    const own = await tokenizerFor(dir, "reference");
    expect(own.description).toBe(`${path.basename(dir)}'s own tokenizer (300 tokens), by the reference step 23`);
    expect([own.vocabSize, own.endOfText]).toEqual([300, 299]);
    const text = "Call me Ishmael. Some years ago — never mind how long";
    const ids = own.tokenizer.encode(text);
    expect(Math.max(...ids)).toBeLessThan(300);
    expect(ids.length).toBeLessThan(Buffer.byteLength(text));
    expect(own.tokenizer.decode(ids)).toBe(text);
  });

  it("without either file is GPT-2's; one file alone, or a damaged one, is a one-line CheckpointError", () => {
    expect(readTokenizerFiles(folder())).toBeNull();
    const half = folder();
    writeFileSync(path.join(half, "vocab.json"), "{}");
    expect(() => readTokenizerFiles(half)).toThrow(/has vocab\.json but not merges\.txt: a tokenizer needs both/);
    const bad = folder();
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, "vocab.json"), '{"a": 0, "<|endoftext|>": 1}');
    writeFileSync(path.join(bad, "merges.txt"), "#version: 0.2\na b c\n");
    expect(() => readTokenizerFiles(bad)).toThrow(CheckpointError);
    expect(() => readTokenizerFiles(bad)).toThrow(/tokenizer files are damaged: merges\.txt line 2/);
  });
});
