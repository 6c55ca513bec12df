// The next-token distribution the playground's candidates and the book's figures read: the same
// numbers as softmax(logits / temperature) and a full sort, without writing either out.
import { describe, expect, it } from "vitest";
import * as F from "../../lib/functional.ts";
import { fromData, tensor } from "../../lib/tensor.ts";
import { NextTokenDistribution } from "../../tools/figures/inspect.ts";

/** Within float32's rounding of the reference (F.softmax computes in float32). */
const closeTo = (got: number, expected: number) => expect(Math.abs(got - expected) / expected).toBeLessThan(1e-5);

describe("NextTokenDistribution", () => {
  const vocab = 50_257;
  // Every logit different, 0.001 apart, in a shuffled order.
  const logits = fromData(
    Float32Array.from({ length: vocab }, (_, i) => ((i * 7919) % vocab) / 1000 - 25),
    [vocab],
  );

  it("gives softmax(logits / temperature)'s probabilities, temperature 0 counting as 1", () => {
    for (const temperature of [0, 0.5, 1, 1.7]) {
      const expected = F.softmax(F.div(logits, temperature || 1)).data;
      const distribution = new NextTokenDistribution(logits, temperature);
      // float32 rounds the least likely to 0 or to a few bits: those are left out.
      for (let id = 0; id < vocab; id += 97)
        if (expected[id] > 1e-30) closeTo(distribution.probability(id), expected[id]);
    }
  });

  it("lists the k likeliest as a full sort does, most likely first", () => {
    const expected = F.softmax(F.div(logits, 0.8)).data;
    const sorted = Array.from(expected.keys()).sort((a, b) => expected[b] - expected[a]);
    const top = new NextTokenDistribution(logits, 0.8).likeliest(20);
    expect(top.map((c) => c.id)).toEqual(sorted.slice(0, 20));
    for (const c of top) closeTo(c.probability, expected[c.id]);
  });

  it("puts the lower id first on a tie, and gives at most the vocabulary", () => {
    const tied = new NextTokenDistribution(tensor([1, 3, 2, 3, 1]), 1);
    expect(tied.likeliest(3).map((c) => c.id)).toEqual([1, 3, 2]);
    expect(tied.likeliest(9).map((c) => c.id)).toEqual([1, 3, 2, 0, 4]);
    expect(tied.likeliest(0)).toEqual([]);
  });
});
