// Step 24 · Training a tokenizer — checks.
// The merges are compared with a plain Python trainer in scripts/make_fixtures.py (it counts every
// pair again after each merge), on Moby-Dick's first two chapters.
import { END_OF_TEXT, gpt2Files, mobyDick, mobyDickChapter } from "../lib/bpe.ts";
import { Tokenizer } from "../solutions/solution_23.ts";
import { loadFixture, recognisedMistake } from "./fixtures.ts";
import {
  CheckFailure,
  Diagnosis,
  checksFor,
  expectEqual,
  expectError,
  expectTrue,
  loadStep,
  timeAllowance,
  values,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_24.ts");
const { trainBPE, wordCounts } = await loadStep<Step>("24");
const check = checksFor("24");
const fx = loadFixture("step_24");
const config = fx.config as { vocab_size: number; first_merges: [string, string][] };
const corpus = () => mobyDickChapter(1) + mobyDickChapter(2);

/** The trainer's result on the small corpus (about 0.2 s: each check trains afresh). */
const trained = () => trainBPE(corpus(), config.vocab_size);

/** merges.txt's lines without the header: "a b\n" per merge, as code points (what the fixture stores). */
const mergesText = (merges: readonly [string, string][]) => merges.map(([a, b]) => `${a} ${b}\n`).join("");

check(
  "wordCounts: each word of the pre-tokenizer, in printable form, with how often it occurs",
  {
    section: "Counting words",
    hint: "preTokenize(text) from step 23; each piece's UTF-8 bytes through bytesToUnicode() (a space becomes Ġ); count them in a Map.",
  },
  () => {
    const got = Object.fromEntries(wordCounts("the cat and the hat, the end. The café"));
    const want = { the: 1, Ġcat: 1, Ġand: 1, Ġthe: 2, Ġhat: 1, ",": 1, Ġend: 1, ".": 1, ĠThe: 1, "ĠcafÃ©": 1 };
    if (got.Ġthe === 1 && Object.values(got).every((n) => n === 1))
      throw new Diagnosis(
        'wordCounts("the cat and the hat, the end. The café") counts " the" once, though it occurs twice: not weighted by word frequency — a word that occurs 1,000 times must count 1,000 times',
        "Counting words",
      );
    expectEqual('wordCounts("the cat and the hat, the end. The café")', got, want);
  },
);

check(
  "trainBPE learns the reference's merges, in the same order, on Moby-Dick's first two chapters",
  {
    section: "The training loop",
    after: ["wordCounts"],
    hint: "Count pairs inside each word, weighted by the word's count; merge the most frequent (ties: the smaller first token, then the smaller second); update the counts of the words that changed; repeat.",
  },
  () => {
    const { merges } = trained();
    const expected = fx.i32("merges");
    const want = String.fromCodePoint(...values(expected))
      .split("\n")
      .slice(0, -1);
    const got = mergesText(merges).split("\n").slice(0, -1);
    if (got.join("\n") === want.join("\n")) return;
    const first = got.findIndex((line, i) => line !== want[i]);
    const at = first < 0 ? Math.min(got.length, want.length) : first;
    const known = recognisedMistake(
      expected,
      Array.from(mergesText(merges), (c) => c.codePointAt(0)!),
    );
    throw new CheckFailure(
      `trainBPE(chapters 1–2, ${config.vocab_size}): ${got.length} merges (expected ${want.length}); merge ${at} differs\n` +
        `  expected: ${JSON.stringify(want.slice(at, at + 4))}\n  got:      ${JSON.stringify(got.slice(at, at + 4))}` +
        (known ? `\n  it matches what the reference computes for a classic mistake — ${known}` : ""),
    );
  },
);

check(
  "the vocabulary is GPT-2's layout: 256 byte tokens with GPT-2's ids, one token per merge, then <|endoftext|>",
  {
    section: "The vocabulary",
    after: ["trainBPE learns"],
    hint: "Ids 0 … 255: the byte table's characters sorted (GPT-2's order, so ! is 0 and Ġ is 220); then a + b for each merge, in order; <|endoftext|> last.",
  },
  () => {
    const { vocab, merges } = trained();
    expectEqual(`the vocabulary's size for vocabSize ${config.vocab_size}`, vocab.size, config.vocab_size);
    const gpt2 = gpt2Files().vocab;
    for (const [token, id] of vocab) {
      if (id < 256) expectEqual(`the id of the byte token ${JSON.stringify(token)}`, id, gpt2.get(token));
      else if (id < 256 + merges.length)
        expectEqual(`the token with id ${id}`, token, merges[id - 256][0] + merges[id - 256][1]);
      else expectEqual(`the token with id ${id}`, token, END_OF_TEXT);
    }
    expectEqual("the id of <|endoftext|>", vocab.get(END_OF_TEXT), config.vocab_size - 1);
  },
);

check(
  "step 23's Tokenizer with the trained files gives back any text, in fewer tokens than bytes",
  {
    section: "Using what you trained",
    after: ["trainBPE learns", "the vocabulary"],
    hint: "trainBPE returns { vocab, merges } as GPT-2's files are read: new Tokenizer(trainBPE(…)) must encode and decode.",
  },
  () => {
    const tokenizer = new Tokenizer(trained());
    const text = corpus();
    const ids = tokenizer.encode(text);
    expectEqual("decode(encode(chapters 1–2)) with the trained tokenizer", tokenizer.decode(ids) === text, true);
    const bytes = Buffer.byteLength(text);
    expectTrue(
      `${ids.length} tokens for ${bytes} bytes`,
      ids.length < 0.5 * bytes,
      "300 merges learned from this very text should need fewer than half as many tokens as bytes",
    );
    for (const other of ["naïve café 東京 🐳", "   spaces\n\n and digits 1851", "<|endoftext|>"])
      expectEqual(`decode(encode(${JSON.stringify(other)}))`, tokenizer.decode(tokenizer.encode(other)), other);
  },
);

check(
  "onProgress(done, total) is called after every merge",
  {
    section: "The training loop",
    hint: "Call onProgress?.(merges.length, vocabSize − 257) after each merge.",
  },
  () => {
    const calls: [number, number][] = [];
    trainBPE("the cat sat on the mat with the hat", 257 + 5, (done, total) => calls.push([done, total]));
    expectEqual(
      "the calls of onProgress for 5 merges",
      calls,
      [1, 2, 3, 4, 5].map((k) => [k, 5]),
    );
  },
);

check(
  "trains a 4,096-token vocabulary on all of Moby-Dick in seconds, starting with English's pairs (Ġ t, h e, Ġ a)",
  {
    section: "Only what changed",
    after: ["trainBPE learns"],
    hint: "Counting every pair again after each merge takes minutes here: keep the counts, an index pair → words that contain it, and a PriorityQueue of (count, pair); after a merge, subtract and re-add only the changed words' pairs.",
  },
  () => {
    // Only a trainer that is right on the small corpus is timed on the whole book (a wrong one may never finish).
    if (mergesText(trained().merges) !== String.fromCodePoint(...values(fx.i32("merges"))))
      throw new CheckFailure("not timed: trainBPE does not learn the reference's merges on chapters 1–2 yet");
    const start = performance.now();
    const limit = 20 * timeAllowance();
    // A quadratic trainer would run for minutes: stop it from the progress callback.
    const { vocab, merges } = trainBPE(mobyDick(), 4096, (done, total) => {
      const seconds = (performance.now() - start) / 1000;
      if (seconds > limit)
        throw new CheckFailure(
          `training 4,096 tokens on Moby-Dick: only ${done} of ${total} merges after ${seconds.toFixed(1)} s (stopped)`,
        );
    });
    const seconds = (performance.now() - start) / 1000;
    expectEqual("the first merges on Moby-Dick", merges.slice(0, 5), config.first_merges.slice(0, 5));
    expectEqual("the vocabulary's size", vocab.size, 4096);
    expectTrue(
      `training 4,096 tokens on Moby-Dick took ${seconds.toFixed(1)} s`,
      seconds < limit,
      "the reference takes about 2 s: are all pairs counted again after every merge?",
    );
  },
);

check(
  "stops when no pair is left to merge, and refuses a vocabulary smaller than 257 with a RangeError",
  {
    section: "The vocabulary",
    hint: "vocabSize must be an integer ≥ 257 (257: no merges at all); a RangeError naming it otherwise. Stop early when the best pair's count is 0: no word has a pair left.",
  },
  async () => {
    // "abc": a b (tie with b c, a < b), then ab c; then nothing is left, however many merges were asked for.
    const { merges, vocab } = trainBPE("abc", 257 + 10);
    expectEqual('trainBPE("abc", 267): the merges', merges, [
      ["a", "b"],
      ["ab", "c"],
    ]);
    expectEqual('trainBPE("abc", 267): the vocabulary\'s size (256 bytes, 2 merges, <|endoftext|>)', vocab.size, 259);
    const none = trainBPE("some text", 257);
    expectEqual("trainBPE(text, 257): merges and vocabulary size", [none.merges.length, none.vocab.size], [0, 257]);
    await expectError("trainBPE(text, 100)", () => trainBPE("some text", 100), [/100/, /257/], "RangeError");
    await expectError("trainBPE(text, 300.5)", () => trainBPE("some text", 300.5), [/300\.5/], "RangeError");
  },
);
