// The step checks' own comparisons must be able to fail: infinities and NaN on either side.
import { describe, expect, it } from "vitest";
import { tensor } from "../../lib/tensor.ts";
import { expectClose, expectEqual } from "../harness.ts";

const tol = { atol: 1e-5, rtol: 1e-5 };
const compare = (got: number[], expected: number[]) => () => expectClose("x", tensor(got), tensor(expected), tol);

describe("expectClose", () => {
  it("fails where the reference is −∞ and the value is finite (a mask that lets a query see the future)", () => {
    expect(compare([0, 0], [0, -Infinity])).toThrow(/at index \[1\]: expected -Infinity, got 0/);
  });

  it("fails where the value is ±∞ and the reference is finite", () => {
    expect(compare([1, Infinity], [1, 2])).toThrow(/at index \[1\]: expected 2, got Infinity/);
    expect(compare([-Infinity], [0])).toThrow(/expected 0, got -Infinity/);
  });

  it("fails on NaN on either side", () => {
    expect(compare([NaN], [1])).toThrow(/expected 1, got NaN/);
    expect(compare([1], [NaN])).toThrow(/expected NaN, got 1/);
  });

  it("fails on infinities of opposite signs, and passes matching ones and values within tolerance", () => {
    expect(compare([Infinity], [-Infinity])).toThrow(/1 of 1 values off/);
    expect(compare([-Infinity, Infinity, 1 + 1e-6], [-Infinity, Infinity, 1])).not.toThrow();
  });
});

describe("expectEqual", () => {
  it("compares tensors by their values, not only their shapes", () => {
    expect(() => expectEqual("x", tensor([1, 2]), tensor([1, 3]))).toThrow(/expected: tensor of shape \[2\]/);
    expect(() => expectEqual("x", tensor([[1, 2]]), tensor([1, 2]))).toThrow();
    expect(() => expectEqual("x", tensor([1, 2]), tensor([1, 2]))).not.toThrow();
  });
});
