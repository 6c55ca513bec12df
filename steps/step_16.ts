// Step 16 · The KV cache
// Read book/src/step_16.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s16
// Stuck? npm run hint -- 16 gives three hints, each giving more away.
import { splitQKV } from "#chain/step_07";
import { attention } from "#chain/step_08";
import { mergeHeads, splitHeads, type GPT2Attention } from "#chain/step_09";
import { preNormResidual } from "#chain/step_10";
import type { GPT2Block } from "#chain/step_11";
import type { GPT2LMHeadModel } from "#chain/step_13";
import { sampleNextToken, END_OF_TEXT, type GenerateOptions } from "#chain/step_14";
import * as F from "../lib/functional.ts";
import { Random } from "../lib/random.ts";
import { fmtShape, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

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
  // TODO: as GPT2Attention.forward (step 09), but keep k and v after splitting heads: when there
  //       is a `past`, append the new ones to it along the time axis (axis 2). Attend the new
  //       queries over all keys and values; return the projected output and { key, value }.
  throw notImplemented(
    "16",
    `attendWithCache: attention for ${x.shape[1]} new tokens over ${past ? past.key.shape[2] : 0} cached ones`,
  );
}

/** A GPT-2 block that reads and grows one layer's cache. */
export function blockWithCache(
  block: GPT2Block,
  x: Tensor,
  past?: LayerCache,
): { output: Tensor; present: LayerCache } {
  // TODO: GPT2Block.forward (step 11) with attendWithCache in place of block.attn.forward;
  //       return the block's output and the present cache its attention produced.
  throw notImplemented("16", `blockWithCache: one block over ${x.shape[1]} new tokens`);
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
  options: CachedForwardOptions = {},
): { logits: Tensor; cache: KVCache } {
  // TODO: 1. a cache must have n_layer entries, each key and value [B, n_head, T_past, head_dim]:
  //          otherwise throw a RangeError saying it was made by another model
  //       2. past = the cache's T_past (0 without one); embed tokens + positions past … past + T − 1
  //       3. each block through blockWithCache with its layer's cache; collect the new cache
  //       4. ln_f, then the head: on every position, or with options.lastOnly on the last one only
  throw notImplemented(
    "16",
    `forwardWithCache: ${ids.shape[ids.shape.length - 1]} new tokens after ${cache ? cache[0]?.key.shape[2] : 0} cached ones`,
  );
}

/** Step 14's generate, with the cache: the prompt runs once, then one token per step. Same arguments, same tokens. */
export function generateWithCache(
  model: GPT2LMHeadModel,
  prompt: readonly number[],
  options: GenerateOptions,
): number[] {
  // TODO: 1. validate as step 14's generate does
  //       2. loop: run the last n_positions ids when there is no cache, else only the newest id,
  //          with { lastOnly: true }; sample from the logits; push, call onToken, stop on END_OF_TEXT
  //       3. the context limit: once the cache holds n_positions tokens there is no position left
  //          for the next one, so drop it (the next step re-runs the last n_positions ids)
  throw notImplemented(
    "16",
    `generateWithCache: continue a ${prompt.length}-token prompt by ${options.maxNewTokens} tokens`,
  );
}
