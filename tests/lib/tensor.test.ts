import { describe, expect, it } from "vitest";
import { Random, randn } from "../../lib/random.ts";
import {
  ShapeError,
  arange,
  arangeInt,
  clone,
  contiguousData,
  fromData,
  full,
  intTensor,
  isContiguous,
  ones,
  tensor,
  toNested,
  writeContiguousData,
  zeros,
} from "../../lib/tensor.ts";
import { transpose } from "../../lib/functional.ts";

describe("tensor creation", () => {
  it("zeros, ones, full, arange", () => {
    expect(toNested(zeros([2, 2]))).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(toNested(ones([3]))).toEqual([1, 1, 1]);
    expect(toNested(full([1, 2], 7))).toEqual([[7, 7]]);
    expect(toNested(arange(4))).toEqual([0, 1, 2, 3]);
    expect(toNested(arangeInt(3, 6))).toEqual([3, 4, 5]);
    expect(zeros([2]).data).toBeInstanceOf(Float32Array);
  });

  it("tensor and intTensor from nested arrays, rejecting ragged input and fractional ids", () => {
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
    ).toEqual([2, 3]);
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(intTensor([[464, 3290]]).data).toBeInstanceOf(Int32Array);
    expect(() => intTensor([1.5])).toThrow(/must be integers, got 1.5/);
  });

  it("fromData checks the element count", () => {
    expect(() => fromData(new Float32Array(5), [2, 3])).toThrow(/5 values cannot fill shape \[2, 3\]/);
    expect(() => zeros([2, -1])).toThrow(ShapeError);
  });

  it("knows views from contiguous tensors, and clone copies", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(isContiguous(x)).toBe(true);
    const t = transpose(x, 0, 1);
    expect(isContiguous(t)).toBe(false);
    const c = clone(t);
    expect(isContiguous(c)).toBe(true);
    expect(toNested(c)).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it("writeContiguousData puts row-major numbers back where a view's elements live", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const t = transpose(x, 0, 1); // [[1, 4], [2, 5], [3, 6]]
    const flat = contiguousData(t);
    expect([...flat]).toEqual([1, 4, 2, 5, 3, 6]);
    writeContiguousData(
      t,
      flat.map((v) => 10 * v),
    );
    expect(toNested(x)).toEqual([
      [10, 20, 30],
      [40, 50, 60],
    ]);
    expect(() => writeContiguousData(t, new Float32Array(5))).toThrow(ShapeError);
  });
});

describe("Random", () => {
  it("reproduces the same sequence for the same seed", () => {
    const a = new Random(42);
    const b = new Random(42);
    expect([a.uniform(), a.uniform(), a.normal()]).toEqual([b.uniform(), b.uniform(), b.normal()]);
    expect(new Random(1).uniform()).not.toBe(new Random(2).uniform());
  });

  it("uniform stays in [0, 1) and normal has about the right mean and spread", () => {
    const rng = new Random(0);
    const u = Float32Array.from({ length: 10000 }, () => rng.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const n = randn([20000], rng, 2).data;
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 2)).toBeLessThan(0.05);
  });
});
