// Step 16 · The KV cache — reference solution.
// Generating token by token with step 14 runs the whole sequence through the model for every
// new token, although the keys and values of the earlier tokens never change (the causal mask
// means no token looks ahead). So each attention layer keeps them: a new token computes its
// own q, k and v, appends k and v to the cache, and attends over everything cached.
import { splitQKV } from "./solution_07.ts";
import { attention } from "./solution_08.ts";
import { mergeHeads, splitHeads, type GPT2Attention } from "./solution_09.ts";
import { preNormResidual } from "./solution_10.ts";
import type { GPT2Block } from "./solution_11.ts";
import type { GPT2LMHeadModel } from "./solution_13.ts";
import { sampleNextToken, END_OF_TEXT, type GenerateOptions } from "./solution_14.ts";
import * as F from "../lib/functional.ts";
import { Random } from "../lib/random.ts";
import { fmtShape, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";

/** One layer's keys and values for every token so far: each [B, n_head, T_past, head_dim], as Hugging Face's past_key_values. */
export interface LayerCache {
  key: Tensor;
  value: Tensor;
}

/** The whole model's cache: one LayerCache per block. */
export type KVCache = LayerCache[];

/** Attention over the cached tokens and the new ones; returns the output and the grown cache. */
export function attendWithCache(
  attn: GPT2Attention,
  x: Tensor,
  past?: LayerCache,
): { output: Tensor; present: LayerCache } {
  const { q, k, v } = splitQKV(attn.c_attn.forward(x), attn.config.n_embd);
  const heads = (t: Tensor) => splitHeads(t, attn.config.n_head);
  // Append along the time axis: [B, H, T_past, D] + [B, H, T, D] → [B, H, T_past + T, D].
  const key = past ? F.concat([past.key, heads(k)], 2) : heads(k);
  const value = past ? F.concat([past.value, heads(v)], 2) : heads(v);
  // Tk > Tq: step 08's attention lets every new query see all cached keys.
  const { output } = attention(heads(q), key, value);
  return { output: attn.c_proj.forward(mergeHeads(output)), present: { key, value } };
}

/** A GPT-2 block that reads and grows one layer's cache. */
export function blockWithCache(
  block: GPT2Block,
  x: Tensor,
  past?: LayerCache,
): { output: Tensor; present: LayerCache } {
  let present: LayerCache | undefined;
  const afterAttention = preNormResidual(x, block.ln_1, (h) => {
    const result = attendWithCache(block.attn, h, past);
    present = result.present;
    return result.output;
  });
  return { output: preNormResidual(afterAttention, block.ln_2, (h) => block.mlp.forward(h)), present: present! };
}

export interface CachedForwardOptions {
  /** Compute the head only at the last position: logits [B, 1, vocab] (what generation uses). */
  lastOnly?: boolean;
}

/**
 * Logits for the new `ids` [B, T] given the cache of the tokens before them (null for none),
 * and the cache grown by these T tokens. Positions continue from the cache's length.
 */
export function forwardWithCache(
  model: GPT2LMHeadModel,
  ids: IntTensor,
  cache: KVCache | null,
  { lastOnly = false }: CachedForwardOptions = {},
): { logits: Tensor; cache: KVCache } {
  const { transformer, config } = model;
  if (cache) checkCache(model, cache, ids.shape[0]);
  const past = cache ? cache[0].key.shape[2] : 0;
  const T = ids.shape[ids.shape.length - 1];
  let x = F.add(transformer.wte.forward(ids), transformer.wpe.forward(T, past)); // positions past … past + T − 1
  const grown: KVCache = [];
  for (let i = 0; i < config.n_layer; i++) {
    const { output, present } = blockWithCache(transformer.h[i], x, cache?.[i]);
    x = output;
    grown.push(present);
  }
  let hidden = transformer.ln_f.forward(x);
  if (lastOnly) hidden = F.split(hidden, [T - 1, 1], 1)[1]; // [B, 1, C]: 50,257 logits once, not T times
  return { logits: model.lm_head.forward(hidden), cache: grown };
}

/** A cache must come from this model: one entry per layer, each [B, n_head, T_past, head_dim]. */
function checkCache(model: GPT2LMHeadModel, cache: KVCache, batch: number): void {
  const { n_layer, n_head, n_embd } = model.config;
  if (cache.length !== n_layer)
    throw new RangeError(
      `forwardWithCache: the cache has ${cache.length} layers but this model has n_layer = ${n_layer}: was it made by another model?`,
    );
  const T = cache[0].key.shape[2];
  const want = fmtShape([batch, n_head, T, n_embd / n_head]);
  cache.forEach(({ key, value }, i) => {
    if (fmtShape(key.shape) !== want || fmtShape(value.shape) !== want) {
      throw new RangeError(
        `forwardWithCache: layer ${i}'s cached key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} should both be ${want} ([B, n_head, T_past, head_dim]): was the cache made by another model?`,
      );
    }
  });
}

/** Step 14's generate, with the cache: the prompt runs once, then one token per step. Same arguments, same tokens. */
export function generateWithCache(
  model: GPT2LMHeadModel,
  prompt: readonly number[],
  options: GenerateOptions,
): number[] {
  const { maxNewTokens, temperature = 1, seed = 0, stopAtEndOfText = false, onToken } = options;
  const context = model.config.n_positions;
  checkArguments(prompt, context, maxNewTokens, temperature);

  const rng = new Random(seed);
  const ids = [...prompt];
  let cache: KVCache | null = null;
  for (let i = 0; i < maxNewTokens; i++) {
    // Without a cache, run the last n_positions tokens; with one, only the newest token.
    const input = cache ? ids.slice(-1) : ids.slice(-context);
    const step = forwardWithCache(model, intTensor([input]), cache, { lastOnly: true });
    // The context limit: a cache of n_positions tokens leaves no position for the next one.
    // Start again from the last n_positions tokens, as step 14 does at every step.
    cache = step.cache[0].key.shape[2] < context ? step.cache : null;
    const vocab = step.logits.shape[2];
    const next = sampleNextToken(F.reshape(step.logits, [vocab]), temperature, rng);
    ids.push(next);
    onToken?.(next);
    if (stopAtEndOfText && next === END_OF_TEXT) break;
  }
  return ids;
}

/** A prompt the model can read, a whole number of new tokens, and a temperature of at least 0. */
function checkArguments(prompt: readonly number[], context: number, maxNewTokens: number, temperature: number): void {
  if (prompt.length === 0) throw new RangeError("generateWithCache: the prompt is empty; give at least one token id");
  if (prompt.length > context)
    throw new RangeError(
      `generateWithCache: the prompt has ${prompt.length} tokens but the model reads at most n_positions = ${context}`,
    );
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0)
    throw new RangeError(`generateWithCache: maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`);
  if (!(temperature >= 0)) throw new RangeError(`generateWithCache: temperature must be ≥ 0, got ${temperature}`);
}
