import { describe, expect, it } from "vitest";
import * as F from "../../lib/functional.ts";
import { Random, randn } from "../../lib/random.ts";
import { ShapeError, arange, fromData, intTensor, tensor, toNested, zeros } from "../../lib/tensor.ts";

const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
const close = (got: unknown, expected: unknown) => {
  const g = flat(got);
  const e = flat(expected);
  expect(g.length).toBe(e.length);
  for (const [i, v] of g.entries()) expect(v).toBeCloseTo(e[i], 5);
};

describe("elementwise ops", () => {
  it("add, sub, mul, div with equal shapes", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [10, 20],
      [30, 40],
    ]);
    expect(toNested(F.add(a, b))).toEqual([
      [11, 22],
      [33, 44],
    ]);
    expect(toNested(F.sub(b, a))).toEqual([
      [9, 18],
      [27, 36],
    ]);
    expect(toNested(F.mul(a, b))).toEqual([
      [10, 40],
      [90, 160],
    ]);
    expect(toNested(F.div(b, a))).toEqual([
      [10, 10],
      [10, 10],
    ]);
  });

  it("broadcasts a row, a column and a scalar", () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toNested(F.add(a, tensor([10, 20, 30])))).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(toNested(F.mul(a, tensor([[1], [2]])))).toEqual([
      [1, 2, 3],
      [8, 10, 12],
    ]);
    expect(toNested(F.sub(a, 1))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(toNested(F.div(6, tensor([1, 2, 3])))).toEqual([6, 3, 2]);
    expect(F.add(zeros([2, 1, 3]), zeros([4, 1])).shape).toEqual([2, 4, 3]);
  });

  it("reads transposed views correctly", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(toNested(F.add(F.transpose(a, 0, 1), 0))).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it("rejects shapes that do not broadcast, naming both", () => {
    expect(() => F.add(zeros([2, 3]), zeros([4]))).toThrow(ShapeError);
    expect(() => F.add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\]/);
  });

  it("exp, tanh, sqrt, pow", () => {
    close(toNested(F.exp(tensor([0, 1]))), [1, Math.E]);
    close(toNested(F.tanh(tensor([0, 1]))), [0, Math.tanh(1)]);
    close(toNested(F.sqrt(tensor([4, 9]))), [2, 3]);
    close(toNested(F.pow(tensor([2, 3]), 3)), [8, 27]);
  });

  it("pow's squares and cubes (multiplied out, for speed) are exactly `**`'s numbers", () => {
    const rng = new Random(3);
    const edges = [0, -0, 1e-30, -1e-20, 3e12, -7e13, Infinity, -Infinity, Number.NaN];
    const x = fromData(
      Float32Array.from([...edges, ...randn([20000], rng).data.map((v, i) => v * 10 ** ((i % 9) - 4))]),
      [20000 + edges.length],
    );
    for (const p of [2, 3, 0.5, -1]) {
      const got = F.pow(x, p).data;
      const bad = Array.from(x.data).findIndex((v, i) => !Object.is(got[i], Math.fround(v ** p)));
      expect(bad, `pow(${x.data[bad]}, ${p}) = ${got[bad]}, ** gives ${Math.fround(x.data[bad] ** p)}`).toBe(-1);
    }
  });
});

describe("reductions over the last axis", () => {
  it("mean, biased and unbiased variance, sum, max keep a size-1 last axis", () => {
    const x = tensor([
      [1, 2, 3, 4],
      [2, 2, 2, 2],
    ]);
    expect(toNested(F.mean(x))).toEqual([[2.5], [2]]);
    expect(toNested(F.variance(x))).toEqual([[1.25], [0]]);
    close(toNested(F.variance(x, { unbiased: true })), [[5 / 3], [0]]);
    expect(toNested(F.sum(x))).toEqual([[10], [8]]);
    expect(toNested(F.max(x))).toEqual([[4], [2]]);
  });

  it("works on a strided view", () => {
    const x = F.transpose(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      0,
      1,
    ); // [[1, 3], [2, 4]]
    expect(toNested(F.mean(x))).toEqual([[2], [3]]);
  });

  it("softmax rows sum to 1, survive large inputs, and give 0 where the input is -Infinity", () => {
    const s = F.softmax(
      tensor([
        [1, 2, 3],
        [1000, 1000, -Infinity],
      ]),
    );
    const rows = toNested(s) as number[][];
    close(rows[0], [0.09003057, 0.24472847, 0.66524096]);
    close(rows[1], [0.5, 0.5, 0]);
  });

  it("logSoftmax is log of softmax, survives large inputs, and keeps a row of −Infinity at −Infinity", () => {
    const x = tensor([
      [1, 2, 3],
      [1000, 1000, -Infinity],
      [-Infinity, -Infinity, -Infinity],
    ]);
    const logp = F.logSoftmax(x);
    expect(logp.shape).toEqual([3, 3]);
    const rows = toNested(logp) as number[][];
    close(rows[0], [0.09003057, 0.24472847, 0.66524096].map(Math.log));
    close(rows[1].slice(0, 2), [-Math.LN2, -Math.LN2]);
    expect(rows[1][2]).toBe(-Infinity);
    expect(rows[2]).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(F.logSoftmax(zeros([2, 0])).shape).toEqual([2, 0]);
  });

  it("argmax returns int ids and picks the first on ties", () => {
    const ids = F.argmax(
      tensor([
        [1, 5, 5],
        [9, 0, 1],
      ]),
    );
    expect(ids.data).toBeInstanceOf(Int32Array);
    expect(toNested(ids)).toEqual([1, 0]);
  });
});

describe("matmul and linear", () => {
  it("multiplies matrices", () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(toNested(F.matmul(a, b))).toEqual([
      [4, 5],
      [10, 11],
    ]);
  });

  it("broadcasts batch dimensions", () => {
    const a = F.reshape(arange(12), [2, 2, 3]);
    const b = tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(toNested(F.matmul(a, b))).toEqual([
      [
        [2, 3],
        [8, 9],
      ],
      [
        [14, 15],
        [20, 21],
      ],
    ]);
    expect(F.matmul(zeros([3, 1, 2, 4]), zeros([5, 4, 6])).shape).toEqual([3, 5, 2, 6]);
  });

  it("handles a transposed (strided) operand", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(toNested(F.matmul(a, F.transpose(a, 0, 1)))).toEqual([
      [5, 11],
      [11, 25],
    ]);
  });

  it("rejects mismatched inner sizes, naming both shapes", () => {
    expect(() => F.matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: cannot multiply \[2, 3\] by \[4, 5\]/);
    expect(() => F.matmul(zeros([3]), zeros([3, 1]))).toThrow(ShapeError);
  });

  it("linear computes x·Wᵀ + b with W stored [out, in]", () => {
    const x = tensor([[1, 2, 3]]);
    const w = tensor([
      [1, 0, 0],
      [0, 1, 1],
    ]);
    expect(toNested(F.linear(x, w, tensor([10, 20])))).toEqual([[11, 25]]);
    expect(toNested(F.linear(x, w))).toEqual([[1, 5]]);
    expect(() => F.linear(zeros([2, 4]), w)).toThrow(/linear: input's last dimension is 4/);
  });

  it("linear agrees with matmul for row counts that are and are not multiples of 4, in both layouts", () => {
    const rng = new Random(5);
    for (const rows of [1, 4, 6, 9]) {
      const x = randn([rows, 5], rng);
      const w = randn([7, 5], rng);
      const expected = F.matmul(x, F.transpose(w, 0, 1));
      close(toNested(F.linear(x, w)), toNested(expected));
      close(toNested(F.linear(x, F.transpose(F.reshape(F.transpose(w, 0, 1), [5, 7]), 0, 1))), toNested(expected));
    }
  });

  it("linear reads a transposed [in, out] weight (Conv1D layout) in place", () => {
    const x = tensor([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    const stored = tensor([
      [1, 0],
      [0, 0],
      [0, 2],
    ]); // [in 3, out 2]
    const w = F.transpose(stored, 0, 1); // a view with shape [out 2, in 3]
    expect(toNested(F.linear(x, w, tensor([10, 20])))).toEqual([
      [11, 26],
      [10, 20],
    ]);
    expect(toNested(F.linear(x, w))).toEqual(toNested(F.linear(x, F.reshape(w, [2, 3]))));
  });
});

describe("shape manipulation", () => {
  it("reshape with an inferred size, and rejects impossible shapes", () => {
    expect(F.reshape(arange(12), [3, -1]).shape).toEqual([3, 4]);
    expect(() => F.reshape(arange(12), [5, -1])).toThrow(/reshape: cannot reshape \[12\]/);
  });

  it("reshape of a transposed view copies in logical order", () => {
    const t = F.transpose(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      0,
      1,
    );
    expect(toNested(F.reshape(t, [4]))).toEqual([1, 3, 2, 4]);
  });

  it("permute is a zero-copy view", () => {
    const x = F.reshape(arange(24), [2, 3, 4]);
    const p = F.permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.data).toBe(x.data);
    expect(p.get(3, 1, 2)).toBe(x.get(1, 2, 3));
    expect(() => F.permute(x, [0, 0, 1])).toThrow(ShapeError);
  });

  it("split into equal parts and by sizes, as views", () => {
    const x = F.reshape(arange(12), [2, 6]);
    const [a, b, c] = F.split(x, 3, -1);
    expect(toNested(b)).toEqual([
      [2, 3],
      [8, 9],
    ]);
    expect(a.data).toBe(x.data);
    expect(c.shape).toEqual([2, 2]);
    const [p, q] = F.split(x, [1, 5]);
    expect(toNested(p)).toEqual([[0], [6]]);
    expect(q.shape).toEqual([2, 5]);
    expect(() => F.split(x, 4)).toThrow(/split: cannot split size 6/);
    expect(() => F.split(x, [2, 2])).toThrow(/do not add up to 6/);
  });

  it("concat along any axis, including views", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5], [6]]);
    expect(toNested(F.concat([a, b], -1))).toEqual([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    expect(toNested(F.concat([a, F.transpose(a, 0, 1)], 0))).toEqual([
      [1, 2],
      [3, 4],
      [1, 3],
      [2, 4],
    ]);
    expect(() => F.concat([a, b], 0)).toThrow(/concat: shapes \[2, 2\], \[2, 1\] differ/);
  });

  it("split then concat gives back the input", () => {
    const x = F.reshape(arange(24), [2, 3, 4]);
    expect(toNested(F.concat(F.split(x, 2, 2), 2))).toEqual(toNested(x));
  });
});

describe("embedding lookup", () => {
  it("picks rows for ids of any shape", () => {
    const table = tensor([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const out = F.embedding(
      table,
      intTensor([
        [2, 0],
        [1, 1],
      ]),
    );
    expect(out.shape).toEqual([2, 2, 2]);
    expect(toNested(out)).toEqual([
      [
        [2, 2],
        [0, 0],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ]);
  });

  it("rejects an id outside the table, naming it", () => {
    expect(() => F.embedding(zeros([3, 2]), intTensor([3]))).toThrow(/id 3 is out of range for a table of 3 rows/);
    expect(() => F.embedding(zeros([3, 2]), intTensor([-1]))).toThrow(RangeError);
  });
});

describe("elementwise fast path", () => {
  it("gives broadcasting's shape and values when one operand repeats along the other", () => {
    expect(F.add(tensor([1, 2]), tensor([[[10, 20]]])).shape).toEqual([1, 1, 2]);
    expect(
      toNested(
        F.add(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          tensor([[10, 20]]),
        ),
      ),
    ).toEqual([
      [11, 22],
      [13, 24],
    ]);
    expect(
      toNested(
        F.sub(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          1,
        ),
      ),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(toNested(F.div(tensor([[2, 4]]), tensor([[2, 4]])))).toEqual([[1, 1]]);
    expect(F.mul(zeros([0, 3]), tensor([1, 2, 3])).shape).toEqual([0, 3]);
  });
});
