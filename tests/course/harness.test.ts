// The step checks' own comparisons must be able to fail: infinities and NaN on either side.
import { describe, expect, it } from "vitest";
import { tensor } from "../../lib/tensor.ts";
import { expectCausal, expectClose, expectEqual } from "../harness.ts";

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

describe("expectEqual on records", () => {
  it("shows only the keys that differ, and how many match", () => {
    const expected = { a: "16×48", b: "16×16", c: "48", d: "1" };
    const got = { a: "48×16", b: "16×16", c: "48", e: "2" };
    let message = "";
    try {
      expectEqual("layout", got, expected);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'layout\n  a: expected "16×48", got "48×16"\n  missing: d (expected "1")\n  extra:   e = "2"\n  (the other 2 match)',
    );
  });
});

describe("a value the reference's times a whole number", () => {
  it("says k× (a sum for a mean, or gradients accumulated), 1/k, or the opposite sign; and nothing otherwise", () => {
    expect(compare([2, 4, 0], [1, 2, 0])).toThrow(/every value is exactly 2× the reference's/);
    expect(compare([0.5, 1], [1, 2])).toThrow(/every value is exactly 1\/2 of the reference's/);
    expect(compare([-1, -2], [1, 2])).toThrow(/opposite sign/);
    expect(compare([2, 3], [1, 2])).not.toThrow(/every value|opposite/);
    expect(compare([1.5, 3], [1, 2])).not.toThrow(/every value|opposite/);
  });
});

describe("failure wording", () => {
  const fail = (what: string) => {
    try {
      expectClose(what, tensor([1]), tensor([2]), tol);
    } catch (error) {
      return (error as Error).message.split("\n")[0];
    }
    return "";
  };

  it("agrees with plural subjects", () => {
    expect(fail("row variances of the output")).toMatch(
      /^row variances of the output do not match the PyTorch reference/,
    );
    expect(fail("logits for positions 4…4")).toMatch(/do not match/);
    expect(fail("GPT2Attention.forward(x)")).toMatch(/does not match/);
    expect(fail("c_attn.bias")).toMatch(/does not match/);
    expect(fail("nextTokenLogits(model, [1,2,3])")).toMatch(/does not match/);
  });

  it("a causality check compares with the learner's own unchanged run, and says so", () => {
    const run = (changeAt: number | null) => tensor([[[1], [changeAt === null ? 2 : 3]]]);
    expect(() => expectCausal("M", run, 1)).not.toThrow();
    const leaky = (changeAt: number | null) => tensor([[[changeAt === null ? 1 : 5], [2]]]);
    expect(() => expectCausal("M", leaky, 1)).toThrow(
      /^M: outputs at positions 0…0 after changing token 1 do not match the same outputs before the change/,
    );
  });
});
