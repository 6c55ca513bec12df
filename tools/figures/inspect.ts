// What the model computes inside, for pictures: each head's attention weights, the residual
// stream's size at every depth, and the most likely next tokens. Everything runs through
// "#chain/…", so with --chain=mine these are your own model's numbers.
import { splitQKV } from "#chain/step_07";
import { attention } from "#chain/step_08";
import { splitHeads } from "#chain/step_09";
import { nextTokenLogits } from "#chain/step_14";
import type { GPT2LMHeadModel } from "#chain/step_13";
import * as F from "../../lib/functional.ts";
import { contiguousData, fromData, intTensor, type Tensor } from "../../lib/tensor.ts";

/** weights[layer][head][query][key]: how much each position of the prompt reads from each earlier one. */
export type AttentionMaps = number[][][][];

/** Runs the prompt through the model block by block, keeping every head's attention weights. */
export function attentionMaps(model: GPT2LMHeadModel, ids: readonly number[]): AttentionMaps {
  const { transformer, config } = model;
  const T = ids.length;
  let x = F.add(transformer.wte.forward(intTensor([[...ids]])), transformer.wpe.forward(T));
  const maps: AttentionMaps = [];
  for (const block of transformer.h) {
    // The block's own attention, up to the weights: ln_1, c_attn, split into q, k, v and heads.
    const { q, k, v } = splitQKV(block.attn.c_attn.forward(block.ln_1.forward(x)), config.n_embd);
    const heads = (t: Tensor) => splitHeads(t, config.n_head);
    const { weights } = attention(heads(q), heads(k), heads(v)); // [1, n_head, T, T]
    maps.push(
      Array.from({ length: config.n_head }, (_, h) =>
        Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => weights.get(0, h, i, j))),
      ),
    );
    x = block.forward(x);
  }
  return maps;
}

/** The root-mean-square size of the residual stream at each position, after the embeddings and after every block. */
export function residualSizes(model: GPT2LMHeadModel, ids: readonly number[]): number[][] {
  return model.transformer.hiddenStates(intTensor([[...ids]])).map((state) => {
    const [, T, C] = state.shape;
    return Array.from({ length: T }, (_, t) => {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += state.get(0, t, c) ** 2;
      return Math.sqrt(sum / C);
    });
  });
}

export interface Candidate {
  id: number;
  probability: number;
}

/**
 * softmax(logits / temperature), what sampling draws from (temperature 0 counts as 1 here: greedy
 * takes its first), asked only for what is shown: the likeliest few and the chosen one. Writing
 * out and sorting all 50,257 probabilities took longer than a token of the default model, which
 * slowed the playground's stream to a quarter when it showed candidates.
 */
export class NextTokenDistribution {
  private readonly logits: Float32Array;
  private readonly temperature: number;
  private readonly max: number;
  /** Σ exp((logit − max) / temperature) over the vocabulary: the softmax's denominator. */
  private readonly total: number;

  constructor(logits: Tensor, temperature: number) {
    const x = contiguousData(logits);
    const t = temperature > 0 ? temperature : 1;
    // Indexed loops: for…of over a typed array took twice as long.
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
    let total = 0;
    for (let i = 0; i < x.length; i++) total += Math.exp((x[i] - max) / t);
    this.logits = x;
    this.temperature = t;
    this.max = max;
    this.total = total;
  }

  probability(id: number): number {
    return Math.exp((this.logits[id] - this.max) / this.temperature) / this.total;
  }

  /** The k likeliest tokens, most likely first (the lower id first on a tie): one pass keeping the best k. */
  likeliest(k: number): Candidate[] {
    const best: number[] = [];
    const { logits } = this;
    for (let id = 0; id < logits.length && k > 0; id++) {
      if (best.length === k) {
        if (!(logits[id] > logits[best[k - 1]])) continue;
        best.pop();
      }
      let at = best.length;
      while (at > 0 && logits[best[at - 1]] < logits[id]) at--;
      best.splice(at, 0, id);
    }
    return best.map((id) => ({ id, probability: this.probability(id) }));
  }
}

/** The k most likely next tokens under softmax(logits / temperature). */
export const topCandidates = (logits: Tensor, temperature: number, k: number): Candidate[] =>
  new NextTokenDistribution(logits, temperature).likeliest(k);

/**
 * For each token after the prompt, the k likeliest candidates of the distribution it was drawn
 * from. One forward pass over the whole text when it fits in the context, else one per token.
 */
export function candidatesForEachToken(
  model: GPT2LMHeadModel,
  ids: readonly number[],
  promptLength: number,
  temperature: number,
  k: number,
): Candidate[][] {
  const { n_positions } = model.config;
  if (ids.length - 1 <= n_positions) {
    const logits = model.forward(intTensor([ids.slice(0, -1)])); // [1, L, vocab]: row p − 1 predicts token p
    const vocab = logits.shape[2];
    return ids.slice(promptLength).map((_, i) => {
      const row = promptLength + i - 1;
      const data = Float32Array.from({ length: vocab }, (_, v) => logits.get(0, row, v));
      return topCandidates(fromData(data, [vocab]), temperature, k);
    });
  }
  return ids
    .slice(promptLength)
    .map((_, i) =>
      topCandidates(
        nextTokenLogits(model, ids.slice(Math.max(0, promptLength + i - n_positions), promptLength + i)),
        temperature,
        k,
      ),
    );
}
