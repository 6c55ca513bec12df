// Step 23 · GPT-2's tokenizer — checks.
// Expected ids come from an independent reference: OpenAI's encoder.py written out again in
// scripts/make_fixtures.py (hostile strings, stored as fixtures), and the gpt-tokenizer package
// (whole books, at check time).
import { encode as referenceEncode } from "gpt-tokenizer/encoding/r50k_base";
import { type BPEFiles, mobyDick, stateOfTheUnion } from "../lib/bpe.ts";
import { loadFixture, recognisedMistake } from "./fixtures.ts";
import {
  CheckFailure,
  Diagnosis,
  checksFor,
  expectEqual,
  expectError,
  expectIds,
  expectTrue,
  listDifference,
  loadStep,
  timeAllowance,
  values,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_23.ts");
const { Tokenizer, bytesToUnicode, gpt2Tokenizer, preTokenize } = await loadStep<Step>("23");
const check = checksFor("23");
const fx = loadFixture("step_23");
const config = fx.config as {
  cases: string[];
  texts: Record<string, string>;
  pieces: Record<string, string[]>;
  pieces_no_u_flag: Record<string, string[]>;
  pieces_ascii: Record<string, string[]>;
  decode_cases: Record<string, number[]>;
};

/** GPT-2's tokenizer, built afresh by each check (a tokenizer may cache what it encoded). */
const gpt2 = () => gpt2Tokenizer();

/** The fixture's 64 KB "words": 65,536 × "a", and 65,536 letters from the generator scripts/make_fixtures.py uses. */
function longText(name: string): string {
  if (name === "long_a") return "a".repeat(65536);
  let s = 23;
  let out = "";
  for (let i = 0; i < 65536; i++) {
    s = (s * 48271) % 2147483647; // MINSTD: exact in doubles, the same in Python
    out += String.fromCharCode(97 + Math.floor((s * 26) / 2147483648));
  }
  return out;
}
const text = (name: string) => config.texts[name] ?? longText(name);

/** Ids that are not ids (undefined from a vocabulary lookup) name the usual cause. */
function expectTokenIds(what: string, got: readonly number[]): void {
  const bad = got.findIndex((id) => !Number.isInteger(id));
  if (bad >= 0)
    throw new Diagnosis(
      `${what}: item ${bad} is ${String(got[bad])}, not a token id — a piece that is not in the vocabulary. ` +
        "raw bytes looked up: the vocabulary's tokens are written with the byte → character table (a space is Ġ); map each UTF-8 byte through bytesToUnicode() before merging",
      "Bytes as printable characters",
    );
}

function encodeCase(tokenizer: InstanceType<typeof Tokenizer>, name: string, allowSpecial: boolean): void {
  const options = allowSpecial ? { allowSpecial: true } : undefined;
  const got = tokenizer.encode(text(name), options);
  const call = `encode(${JSON.stringify(text(name).slice(0, 60))}${text(name).length > 60 ? "…" : ""}${allowSpecial ? ", { allowSpecial: true }" : ""})`;
  expectTokenIds(call, got);
  expectIds(call, got, fx.i32(`${allowSpecial ? "ids_special" : "ids"}.${name}`));
}

check(
  "bytesToUnicode: GPT-2's table of 256 printable characters, one for each byte",
  {
    section: "Bytes as printable characters",
    hint: "Bytes ! … ~, ¡ … ¬ and ® … ÿ stand for themselves; the 68 others get U+0100, U+0101, … in increasing byte order (so a space, byte 32, is Ġ = U+0120).",
  },
  () => {
    const table = bytesToUnicode();
    expectEqual("bytesToUnicode().length", table.length, 256);
    const want = values(fx.i32("byte_to_unicode")).map((c) => String.fromCharCode(c));
    const wrong = table.findIndex((c, b) => c !== want[b]);
    if (wrong >= 0)
      throw new CheckFailure(
        `bytesToUnicode()[${wrong}] (byte 0x${wrong.toString(16).padStart(2, "0")})\n  expected: ${JSON.stringify(want[wrong])} (U+${want[wrong].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")})\n  got:      ${JSON.stringify(table[wrong])}`,
      );
  },
);

check(
  "preTokenize cuts text into GPT-2's words: letters, digits, other symbols, contractions, whitespace",
  {
    section: "Cutting text into words",
    hint: "text.match(pattern) with GPT-2's pattern and the flags g and u; \\p{L} is any letter of any script, \\p{N} any digit or number.",
  },
  () => {
    for (const name of Object.keys(config.pieces)) {
      const got = preTokenize(config.texts[name]);
      const want = config.pieces[name];
      if (JSON.stringify(got) === JSON.stringify(want)) continue;
      const call = `preTokenize(${JSON.stringify(config.texts[name])})`;
      if (JSON.stringify(got) === JSON.stringify(config.pieces_no_u_flag[name]))
        throw new Diagnosis(
          `${call} gives the words of the pattern without the u flag: JavaScript then reads \\p{L} as the three characters p{L}, so no letter counts as a letter\n${listDifference(got, want)}`,
          "Cutting text into words",
        );
      if (JSON.stringify(got) === JSON.stringify(config.pieces_ascii[name]))
        throw new Diagnosis(
          `${call} gives the words of ASCII-only letters ([A-Za-z], [0-9]): é, 東 and ½ are letters and numbers too — use \\p{L} and \\p{N} with the u flag\n${listDifference(got, want)}`,
          "Cutting text into words",
        );
      throw new CheckFailure(`${call}\n${listDifference(got, want)}`);
    }
  },
);

check(
  "a Tokenizer merges by rank: the pair of lowest rank first, until no pair is a merge",
  {
    section: "Merging by rank",
    hint: "Among all neighbouring pairs, merge the one whose merge comes first in the list (lowest rank), then look again: merges can build on merges.",
  },
  () => {
    // Files of our own: the 256 byte tokens and two merges.
    const files = (merges: [string, string][]): BPEFiles => {
      const vocab = new Map(bytesToUnicode().map((c, b) => [c, b]));
      for (const [a, b] of merges) vocab.set(a + b, vocab.size);
      return { vocab, merges };
    };
    const byRank = new Tokenizer(
      files([
        ["b", "c"],
        ["a", "b"],
      ]),
    );
    const got = byRank.bpe("abc");
    if (JSON.stringify(got) === '["ab","c"]')
      throw new Diagnosis(
        'bpe("abc") with merges [b c, a b] gives ["ab", "c"]: merges in the order found (left to right) — b c has the lower rank (0), so it merges first: ["a", "bc"]',
        "Merging by rank",
      );
    expectEqual('bpe("abc") with the merges [b c, a b]', got, ["a", "bc"]);
    const chained = new Tokenizer(
      files([
        ["a", "b"],
        ["ab", "c"],
      ]),
    );
    const built = chained.bpe("abcab");
    if (JSON.stringify(built) === '["ab","c","ab"]')
      throw new Diagnosis(
        'bpe("abcab") with merges [a b, ab c] gives ["ab", "c", "ab"]: only one merge pass — a token made by a merge (ab) can merge again (ab + c)',
        "Merging by rank",
      );
    expectEqual('bpe("abcab") with the merges [a b, ab c]', built, ["abc", "ab"]);
    expectEqual('encode("abcab") with the merges [a b, ab c]', chained.encode("abcab"), [257, 256]);
  },
);

check(
  "encode gives GPT-2's ids on hostile strings: accents, ’s, whitespace runs, digits, emoji, combining marks, CJK",
  {
    section: "Merging by rank",
    after: ["bytesToUnicode", "preTokenize", "a Tokenizer merges"],
    hint: "Each word from preTokenize → its UTF-8 bytes (TextEncoder) → one printable character per byte → bpe → vocabulary ids.",
  },
  () => {
    const tokenizer = gpt2();
    for (const name of config.cases) if (name in config.texts && name !== "special") encodeCase(tokenizer, name, false);
  },
);

check(
  "<|endoftext|> is one token (50256) when the caller allows it, and plain text when not",
  {
    section: "The special token",
    after: ["encode gives"],
    hint: 'With { allowSpecial: true }, split the text at "<|endoftext|>" and put 50256 between the encoded parts; otherwise it is ordinary text (<, |, endo, …).',
  },
  () => {
    const tokenizer = gpt2();
    encodeCase(tokenizer, "special", true);
    encodeCase(tokenizer, "special", false);
    expectEqual(
      'encode("<|endoftext|>", { allowSpecial: false })',
      tokenizer.encode("<|endoftext|>", { allowSpecial: false }),
      referenceEncode("<|endoftext|>", { allowedSpecial: new Set(), disallowedSpecial: new Set() }),
    );
  },
);

check(
  "a 64 KB word (65,536 letters, no space) encodes in well under a second, to the reference's ids",
  {
    section: "A word of any length",
    after: ["encode gives"],
    hint: "Re-scanning every pair after each merge is quadratic: 65,536 letters need ~40,000 merges. Keep the pairs in a PriorityQueue (lowest rank, then leftmost) and the symbols in a linked list (next/prev indices); skip queue entries whose symbols have changed since.",
  },
  () => {
    const tokenizer = gpt2();
    for (const name of ["long_a", "long_letters"]) {
      const start = performance.now();
      const got = tokenizer.encode(text(name));
      const seconds = (performance.now() - start) / 1000;
      expectTokenIds(`encode(${name})`, got);
      expectIds(`encode(${name === "long_a" ? '"a" × 65,536' : "65,536 random letters"})`, got, fx.i32(`ids.${name}`));
      expectTrue(
        `encode of a 64 KB word took ${seconds.toFixed(2)} s`,
        seconds < 2 * timeAllowance(),
        "the chapter asks for well under a second (the reference takes about 0.2 s): is the merge loop quadratic?",
      );
    }
  },
);

check(
  "whole books, token for token: Moby-Dick and 233 State of the Union addresses equal gpt-tokenizer's ids",
  {
    section: "Merging by rank",
    after: ["encode gives", "a 64 KB word"],
    hint: "Every word of two books goes through the same steps as the hostile strings: a difference here is a rare case (a character class, a cache keyed by the wrong thing).",
  },
  () => {
    const books = [{ name: "Moby-Dick", text: mobyDick() }, ...stateOfTheUnion()];
    const tokenizer = gpt2();
    for (const book of books) {
      const got = tokenizer.encode(book.text);
      const want = referenceEncode(book.text, { allowedSpecial: new Set(), disallowedSpecial: new Set() });
      if (got.length === want.length && got.every((id, i) => id === want[i])) continue;
      expectTokenIds(`encode(${book.name})`, got);
      throw new CheckFailure(`encode(${book.name}) differs from gpt-tokenizer's\n${listDifference(got, want)}`);
    }
  },
);

/** A string's code points, as the fixture stores decoded text. */
const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

check(
  "decode joins the tokens' bytes, then decodes UTF-8 once: characters split across tokens survive",
  {
    section: "Decoding",
    hint: "Collect every token's bytes (each printable character back to its byte) into one Uint8Array, then new TextDecoder().decode it once: invalid bytes become U+FFFD.",
  },
  () => {
    const tokenizer = gpt2();
    for (const [name, ids] of Object.entries(config.decode_cases)) {
      const got = tokenizer.decode(ids);
      const expected = fx.i32(`decoded.${name}`);
      const want = String.fromCodePoint(...values(expected));
      if (got === want) continue;
      const known = recognisedMistake(expected, codePoints(got));
      throw new CheckFailure(
        `decode(${JSON.stringify(ids)})\n  expected: ${JSON.stringify(want)}\n  got:      ${JSON.stringify(got)}${known ? `\n  it matches what the reference computes for a classic mistake — ${known}` : ""}`,
      );
    }
  },
);

check(
  "decode(encode(text)) is the text, for strings of any characters",
  {
    section: "Decoding",
    after: ["encode gives", "decode joins"],
    hint: "encode keeps every byte (the pattern's pieces cover the whole text) and decode restores them all.",
  },
  () => {
    // Seeded: letters, digits, spaces, punctuation, accents, CJK, emoji and the special token's text.
    const alphabet = [
      "a",
      "Z",
      "7",
      " ",
      "  ",
      "\n",
      "'s",
      "’",
      ",",
      "é",
      "ß",
      "東",
      "\u0301",
      "🐳",
      "👩‍👧",
      "<|endoftext|>",
    ];
    let s = 2323;
    const rand = (n: number) => {
      s = (s * 48271) % 2147483647;
      return s % n;
    };
    const tokenizer = gpt2();
    for (let k = 0; k < 200; k++) {
      let text = "";
      for (let i = rand(30); i > 0; i--)
        text += rand(4) === 0 ? String.fromCodePoint(rand(0x2ffff) + 1) : alphabet[rand(alphabet.length)];
      text = text.replace(/[\ud800-\udfff]/g, "?"); // lone surrogates are not text UTF-8 can carry
      for (const allowSpecial of [false, true]) {
        const back = tokenizer.decode(tokenizer.encode(text, { allowSpecial }));
        expectEqual(
          `decode(encode(${JSON.stringify(text)}${allowSpecial ? ", { allowSpecial: true }" : ""}))`,
          back,
          text,
        );
      }
    }
  },
);

check(
  "decode refuses an id outside the vocabulary with a RangeError naming it",
  {
    section: "Decoding",
    hint: "GPT-2's ids are 0 … 50256: anything else (50257, −1, 1.5) is a RangeError naming it and the range.",
  },
  async () => {
    await expectError("decode([15496, 50257])", () => gpt2().decode([15496, 50257]), [/50257/, /50256/], "RangeError");
    await expectError("decode([-1])", () => gpt2().decode([-1]), [/-1/], "RangeError");
  },
);
