// Step 16 · The KV cache — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import { generate } from "../solutions/solution_14.ts";
import * as F from "../lib/functional.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectEqual,
  expectError,
  expectShape,
  expectTrue,
  loadStep,
  values,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_16.ts");
const { forwardWithCache, generateWithCache } = await loadStep<Step>("16");
const check = checksFor("16");
const fx = loadFixture("step_16");
const tol = fx.tolerance;
const config = new GPT2Config(fx.config);
const chunks = fx.config.chunks as number[];
const ids = fx.i32("ids"); // [2, 7]
const logits = fx.f32("logits"); // [2, 7, vocab], one uncached PyTorch pass
const headDim = config.n_embd / config.n_head;

const model = new GPT2LMHeadModel(config);
model.loadStateDict(fx.lmHeadModel());

/** Positions start … start + n − 1 of a [B, T, …] tensor (a view). */
const positions = <T extends Tensor | IntTensor>(t: T, start: number, n: number): T =>
  t.lo(0, start).hi(t.shape[0], n) as T;

check(
  "prefill: the prompt's logits match PyTorch, and each layer caches keys and values [B, n_head, T, head_dim]",
  {
    section: "What to cache",
    hint: "Each block is step 11's, with the cache in the attention: ln_1 first, then q, k, v split into heads; keep k and v (before any scaling) as cache[i] = { key, value }, one entry per block.",
  },
  () => {
    const first = chunks[0];
    const { logits: got, cache } = forwardWithCache(model, positions(ids, 0, first), null);
    expectClose(`forwardWithCache(ids[:, 0:${first}], null).logits`, got, positions(logits, 0, first), tol);
    expectEqual("cache.length (one entry per block)", cache.length, config.n_layer);
    for (const layer of [0, config.n_layer - 1]) {
      expectShape(`cache[${layer}].key`, cache[layer].key, [2, config.n_head, first, headDim]);
      expectClose(`cache[${layer}].key`, cache[layer].key, fx.f32(`prefill_key_${layer}`), tol);
      expectClose(`cache[${layer}].value`, cache[layer].value, fx.f32(`prefill_value_${layer}`), tol);
    }
  },
);

check(
  `tokens fed in chunks of ${chunks.join(", ")} give the uncached logits at every position, and the cache grows by each chunk`,
  {
    section: "Growing the cache",
    hint: "Append new keys and values after the cached ones (F.concat on axis 2), and give new tokens positions past, past + 1, … (wpe.forward(T, past)).",
  },
  () => {
    let cache = null;
    let start = 0;
    for (const n of chunks) {
      const step = forwardWithCache(model, positions(ids, start, n), cache);
      expectClose(
        `logits for positions ${start}…${start + n - 1} (after ${start} cached)`,
        step.logits,
        positions(logits, start, n),
        tol,
      );
      cache = step.cache;
      start += n;
      expectEqual(`cached length after positions 0…${start - 1} (cache[0].key.shape[2])`, cache[0].key.shape[2], start);
    }
  },
);

check(
  "a cache can be used twice: forwardWithCache leaves the cache it is given as it was",
  {
    section: "Growing the cache",
    after: ["tokens fed in chunks"],
    hint: "Return a new array of new { key, value } entries (F.concat makes new tensors); never push into or assign to the cache you were given: a caller may branch two continuations from one prompt.",
  },
  () => {
    const { cache } = forwardWithCache(model, positions(ids, 0, 4), null);
    const first = forwardWithCache(model, positions(ids, 4, 1), cache);
    expectEqual(
      "the given cache's length after a call (cache.length, cache[0].key.shape[2])",
      [cache.length, cache[0].key.shape[2]],
      [config.n_layer, 4],
    );
    const again = forwardWithCache(model, positions(ids, 4, 1), cache);
    expectClose(
      "the same token on the same cache, a second time: logits",
      again.logits,
      first.logits,
      tol,
      "the first call's logits",
    );
  },
);

check(
  "with 2 heads of 8 (head_dim ≠ n_head), chunked logits still match PyTorch's",
  {
    section: "What to cache",
    after: ["tokens fed in chunks"],
    hint: "The tiny model's 4 heads are 4 wide, which hides a mix-up: splitHeads takes n_head (config.n_head), and the cache is [B, n_head, T, n_embd / n_head].",
  },
  () => {
    const two = new GPT2LMHeadModel(new GPT2Config({ ...fx.config, n_head: 2 }));
    two.loadStateDict(fx.lmHeadModel());
    const expected = fx.f32("heads2.logits");
    let cache = null;
    let start = 0;
    for (const n of chunks) {
      const step = forwardWithCache(two, positions(ids, start, n), cache);
      expectClose(
        `logits for positions ${start}…${start + n - 1} with 2 heads`,
        step.logits,
        positions(expected, start, n),
        tol,
      );
      cache = step.cache;
      start += n;
    }
    expectShape("cache[0].key with 2 heads", cache![0].key, [2, 2, start, 8]);
  },
);

check(
  "lastOnly computes the head at the last position only: logits [B, 1, vocab]",
  {
    section: "Only the logits you use",
    hint: "Slice the last position of ln_f's output ([B, 1, C], e.g. F.split(h, [T − 1, 1], 1)[1]) before lm_head.",
  },
  () => {
    const T = ids.shape[1];
    const { logits: got } = forwardWithCache(model, ids, null, { lastOnly: true });
    expectClose("forwardWithCache(ids, null, { lastOnly: true }).logits", got, positions(logits, T - 1, 1), tol);
  },
);

check(
  "a cache from another model is refused with an error that says so",
  {
    section: "Growing the cache",
    hint: "Compare the cache's length with n_layer and each key's shape with [B, n_head, T_past, head_dim]; throw a RangeError naming what differs.",
  },
  async () => {
    const wide = new GPT2LMHeadModel(new GPT2Config({ ...fx.config, n_layer: config.n_layer + 1 }));
    const { cache: deeper } = forwardWithCache(wide, positions(ids, 0, 2), null);
    await expectError(
      "forwardWithCache with a cache of another model's layer count",
      () => forwardWithCache(model, positions(ids, 2, 1), deeper),
      [/layer/i, /model/i],
    );
    const headsModel = new GPT2LMHeadModel(new GPT2Config({ ...fx.config, n_head: config.n_head / 2 }));
    const { cache: otherHeads } = forwardWithCache(headsModel, positions(ids, 0, 2), null);
    await expectError(
      "forwardWithCache with a cache whose keys have another head layout",
      () => forwardWithCache(model, positions(ids, 2, 1), otherHeads),
      [/model/i, /\[2, 4, 2, 4\]/],
    );
  },
);

check(
  "a cache plus new tokens beyond n_positions is refused (no position left for them)",
  {
    section: "The context limit",
    hint: "wpe.forward(T, past) already refuses past + T > n_positions: pass the cache's length as past.",
  },
  async () => {
    // Fill the cache to exactly n_positions tokens in chunks (a bounded loop, whatever the cache does), then ask for one more.
    let cache = forwardWithCache(model, positions(ids, 0, 4), null).cache;
    for (let filled = 4; filled < config.n_positions; filled += 4)
      cache = forwardWithCache(model, positions(ids, 0, 4), cache).cache;
    expectEqual(
      `cached length after feeding ${config.n_positions} tokens in chunks of 4`,
      cache[0].key.shape[2],
      config.n_positions,
    );
    await expectError(
      `forwardWithCache with ${config.n_positions} cached tokens and 1 new`,
      () => forwardWithCache(model, positions(ids, 0, 1), cache),
      [new RegExp(String(config.n_positions))],
    );
  },
);

check(
  "generateWithCache: greedy decoding past the context limit reproduces PyTorch's tokens",
  {
    section: "The context limit",
    after: ["prefill", "tokens fed in chunks", "lastOnly", "a cache plus new tokens"],
    hint: "Sample from the last position's logits ({ lastOnly: true }: [B, 1, vocab]); when the cache holds n_positions tokens, drop it: the next step runs the last n_positions ids again, as step 14 does.",
  },
  () => {
    const prompt = fx.config.long_prompt as number[];
    const maxNewTokens = fx.config.long_new_tokens as number;
    expectEqual(
      `generateWithCache(model, [${prompt}], { maxNewTokens: ${maxNewTokens}, temperature: 0 })`,
      generateWithCache(model, prompt, { maxNewTokens, temperature: 0 }),
      values(fx.i32("greedy_long")),
    );
  },
);

check(
  "generateWithCache samples exactly the tokens step 14's generate samples with the same seed",
  {
    section: "Generating with the cache",
    after: ["prefill", "tokens fed in chunks", "lastOnly"],
    hint: "Use one Random(seed), and sample from the last position's logits with sampleNextToken, as step 14 does.",
  },
  () => {
    const prompt = [3, 17, 42];
    for (const seed of [1, 2]) {
      const options = { maxNewTokens: 20, temperature: 1.3, seed };
      expectEqual(
        `generateWithCache(model, [${prompt}], { maxNewTokens: 20, temperature: 1.3, seed: ${seed} })`,
        generateWithCache(model, prompt, options),
        generate(model, prompt, options),
      );
    }
    expectEqual(
      `generateWithCache(model, [${prompt}], { maxNewTokens: 6 }): step 14's defaults (temperature 1, seed 0)`,
      generateWithCache(model, prompt, { maxNewTokens: 6 }),
      generate(model, prompt, { maxNewTokens: 6 }),
    );
  },
);

check(
  "generateWithCache checks its arguments as step 14 does, and stops at <|endoftext|> only when asked",
  {
    section: "Generating with the cache",
    hint: "Validate the prompt (non-empty, at most n_positions), maxNewTokens (an integer ≥ 0) and temperature (≥ 0) first; after pushing a token, stop if stopAtEndOfText and it is END_OF_TEXT.",
  },
  async () => {
    const tooLong = Array.from({ length: config.n_positions + 1 }, () => 1);
    await expectError("generateWithCache(model, [], …)", () => generateWithCache(model, [], { maxNewTokens: 1 }), [
      /empty/i,
    ]);
    await expectError(
      `generateWithCache with a ${tooLong.length}-token prompt`,
      () => generateWithCache(model, tooLong, { maxNewTokens: 1 }),
      [new RegExp(String(tooLong.length)), new RegExp(String(config.n_positions))],
    );
    await expectError("maxNewTokens: -1", () => generateWithCache(model, [1], { maxNewTokens: -1 }), [/maxNewTokens/]);
    await expectError("maxNewTokens: 1.5", () => generateWithCache(model, [1], { maxNewTokens: 1.5 }), [
      /maxNewTokens/,
    ]);
    await expectError("temperature: -1", () => generateWithCache(model, [1], { maxNewTokens: 1, temperature: -1 }), [
      /temperature/,
    ]);
    await expectError("temperature: NaN", () => generateWithCache(model, [1], { maxNewTokens: 1, temperature: NaN }), [
      /temperature/,
    ]);
    expectEqual("maxNewTokens: 0 returns the prompt", generateWithCache(model, [3, 17], { maxNewTokens: 0 }), [3, 17]);
    const full = Array.from({ length: config.n_positions }, (_, i) => i % config.vocab_size);
    expectEqual(
      `a prompt of exactly n_positions = ${config.n_positions} tokens is fine: new tokens`,
      generateWithCache(model, full, { maxNewTokens: 2, temperature: 0 }).length - full.length,
      2,
    );
    expectEqual(
      "stopAtEndOfText with a model that never writes it: all 3 tokens",
      generateWithCache(model, [3], { maxNewTokens: 3, temperature: 0, stopAtEndOfText: true }).length,
      4,
    );
    // A model with GPT-2's vocabulary whose every prediction is <|endoftext|> (50256).
    const eot = new GPT2LMHeadModel(new GPT2Config({ ...fx.config, vocab_size: 50257 }));
    eot.transformer.ln_f.weight.data.fill(0);
    eot.transformer.ln_f.bias.data.fill(1); // every final hidden state is all ones …
    for (let c = 0; c < config.n_embd; c++) eot.transformer.wte.weight.set(50256, c, 10); // … so the tied head scores 50256 highest
    expectEqual(
      "stopAtEndOfText: true",
      generateWithCache(eot, [464], { maxNewTokens: 5, temperature: 0, stopAtEndOfText: true }),
      [464, 50256],
    );
    expectEqual(
      "stopAtEndOfText left out (false)",
      generateWithCache(eot, [464], { maxNewTokens: 3, temperature: 0 }),
      [464, 50256, 50256, 50256],
    );
  },
);

check(
  "a cache whose keys or values alone have another shape is refused too",
  {
    section: "Growing the cache",
    hint: "Check both key and value of every layer against [B, n_head, T_past, head_dim].",
  },
  async () => {
    const { cache } = forwardWithCache(model, positions(ids, 0, 2), null);
    const broken = cache.map((layer, i) =>
      i === 0 ? { key: layer.key, value: F.reshape(layer.value, [2, config.n_head * 2, 1, headDim]) } : layer,
    );
    await expectError(
      "forwardWithCache with cache[0].value of shape [2, 8, 1, 4]",
      () => forwardWithCache(model, positions(ids, 2, 1), broken),
      [/model/i],
    );
    // Same length (2 cached tokens), other head layout: only the key's shape is wrong.
    const badKey = cache.map((layer, i) =>
      i === 0 ? { key: F.reshape(layer.key, [2, config.n_head / 2, 2, headDim * 2]), value: layer.value } : layer,
    );
    await expectError(
      "forwardWithCache with cache[0].key of shape [2, 2, 2, 8]",
      () => forwardWithCache(model, positions(ids, 2, 1), badKey),
      [/model/i],
    );
  },
);

/** A 4-token prompt and 6 new tokens, for counting what runs through the model. */
const counted = { prompt: [5, 9, 14, 20], maxNewTokens: 6 };

/** Runs generateWithCache on `counted` and counts the positions through the embeddings and through lm_head. */
function countPositions(): { embedded: number; headRows: number } {
  const { wte } = model.transformer;
  const head = model.lm_head;
  const [embed, project] = [wte.forward, head.forward];
  const counts = { embedded: 0, headRows: 0 };
  wte.forward = (tokens: IntTensor) => {
    counts.embedded += tokens.size;
    return embed.call(wte, tokens);
  };
  head.forward = (x: Tensor) => {
    counts.headRows += x.size / x.shape[x.shape.length - 1];
    return project.call(head, x);
  };
  try {
    generateWithCache(model, counted.prompt, { maxNewTokens: counted.maxNewTokens, temperature: 0 });
  } finally {
    wte.forward = embed;
    head.forward = project;
  }
  return counts;
}

check(
  "after the prompt, each new token runs one position through the model, not the whole sequence",
  {
    section: "Generating with the cache",
    hint: "Pass only ids.slice(-1) with the cache; the whole window only when there is no cache.",
  },
  () => {
    const { prompt, maxNewTokens } = counted;
    const { embedded } = countPositions();
    // The prompt once, then one token for each new token but the last (whose successor is never asked for).
    expectTrue(
      `tokens embedded while generating ${maxNewTokens} tokens after a ${prompt.length}-token prompt: expected ${prompt.length + maxNewTokens - 1}, got ${embedded}`,
      embedded === prompt.length + maxNewTokens - 1,
    );
  },
);

check(
  "generateWithCache computes the 50,257-way head at the last position only, also for the prompt",
  {
    section: "Only the logits you use",
    hint: "Call forwardWithCache with { lastOnly: true } in generateWithCache: the prompt's other positions need keys and values, not logits.",
  },
  () => {
    const { prompt, maxNewTokens } = counted;
    const { headRows } = countPositions();
    expectTrue(
      `positions through lm_head while generating ${maxNewTokens} tokens after a ${prompt.length}-token prompt: expected ${maxNewTokens} (one per new token), got ${headRows}`,
      headRows === maxNewTokens,
      headRows === prompt.length + maxNewTokens - 1
        ? "that is the head at every prompt position: the prompt's logits were computed in full and all but the last row thrown away"
        : "",
    );
  },
);
