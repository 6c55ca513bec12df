// The operations a transformer needs, on float32 tensors. Every op checks shapes first and
// throws a ShapeError that names the op and the shapes, so a mistake never becomes NaN.
import ndarray from "ndarray";
import {
  ShapeError,
  contiguousData,
  fmtShape,
  isContiguous,
  forEachIndex,
  rowStarts,
  fromData,
  numel,
  type IntTensor,
  type Shape,
  type Tensor,
} from "./tensor.ts";
import { bf16Bits, bf16Transposed, widenInto } from "./bf16.ts";
import { kernels, type BinaryOp } from "./kernels/index.ts";
import { combine } from "./kernels/js.ts";
import { uninitialized } from "./memory.ts";

function requireRank(x: Tensor, min: number, op: string, name = "input"): void {
  if (x.shape.length < min)
    throw new ShapeError(`${op}: ${name} must have at least ${min} dimension(s), got shape ${fmtShape(x.shape)}`);
}

function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

// ---------------------------------------------------------------- broadcasting

/** NumPy/PyTorch broadcasting: align shapes on the right; sizes must match or be 1. */
function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (size ${da} vs ${db} in dimension ${i} of the result)`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides that read `t` as if it had shape `shape` (0 along broadcast dimensions). */
function broadcastStrides(t: Tensor, shape: Shape): number[] {
  const pad = shape.length - t.shape.length;
  return shape.map((_, d) => (d < pad || t.shape[d - pad] === 1 ? 0 : t.stride[d - pad]));
}

type Operand = Tensor | number;

function elementwise(a: Operand, b: Operand, op: BinaryOp): Tensor {
  const ta = typeof a === "number" ? fromData(Float32Array.of(a), []) : a;
  const tb = typeof b === "number" ? fromData(Float32Array.of(b), []) : b;
  if (isContiguous(ta) && isContiguous(tb) && isTrailing(tb.shape, ta.shape)) return repeating(ta, tb.data, op);
  const shape = broadcastShapes(ta.shape, tb.shape, op);
  const out = uninitialized(numel(shape));
  const sa = broadcastStrides(ta, shape);
  const sb = broadcastStrides(tb, shape);
  const rank = shape.length;
  // Row by row, each row's last axis in one tight loop.
  const n = rank ? shape[rank - 1] : 1;
  const ia = rank ? sa[rank - 1] : 0;
  const ib = rank ? sb[rank - 1] : 0;
  const A = ta.data;
  const B = tb.data;
  const startsA = rowStarts(shape, sa, ta.offset);
  const startsB = rowStarts(shape, sb, tb.offset);
  for (let r = 0; r < startsA.length; r++) combine(op, out, r * n, A, startsA[r], ia, B, startsB[r], ib, n);
  return fromData(out, shape);
}

/** True when `small`, leading 1s aside, is the last axes of `shape`: a number, a row like a bias, or the same shape. */
function isTrailing(small: Shape, shape: Shape): boolean {
  if (small.length > shape.length) return false; // the result would gain axes
  const first = small.findIndex((d) => d !== 1);
  const own = first < 0 ? [] : small.slice(first);
  return own.every((d, i) => d === shape[shape.length - own.length + i]);
}

/** The common case without any index arithmetic: `a` row-major, `b` repeating along it (a row, or a single number), in the kernels. */
function repeating(a: Tensor, B: Float32Array, op: BinaryOp): Tensor {
  return fromData(kernels().binary(op, a.data, B), a.shape);
}

export const add = (a: Operand, b: Operand): Tensor => elementwise(a, b, "add");
export const sub = (a: Operand, b: Operand): Tensor => elementwise(a, b, "sub");
export const mul = (a: Operand, b: Operand): Tensor => elementwise(a, b, "mul");
export const div = (a: Operand, b: Operand): Tensor => elementwise(a, b, "div");

/** Applies `f` to every element (the result is a new contiguous tensor). */
export function map(x: Tensor, f: (v: number) => number): Tensor {
  const src = contiguousData(x);
  const out = uninitialized(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return fromData(out, x.shape);
}

export const exp = (x: Tensor): Tensor => map(x, Math.exp);
/** tanh of every element, in the kernels (GELU's, at every layer: Math.tanh is slow). */
export const tanh = (x: Tensor): Tensor => fromData(kernels().tanh(contiguousData(x)), x.shape);
export const sqrt = (x: Tensor): Tensor => map(x, Math.sqrt);

/**
 * x to the power p, elementwise. `**` costs ~45 ns a number here, so squares and cubes (layer
 * norm's variance, GELU's x³) are multiplied out instead, in float64 and rounded once to float32
 * as `**` is: the same numbers, ~100× sooner.
 */
export function pow(x: Tensor, p: number): Tensor {
  if (p !== 2 && p !== 3) return map(x, (v) => v ** p);
  const src = contiguousData(x);
  const out = uninitialized(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    out[i] = p === 2 ? v * v : v * v * v;
  }
  return fromData(out, x.shape);
}

// ---------------------------------------------------------------- reductions over the last axis

/** Reduces each row (last axis) with `f`, keeping a last dimension of size 1. */
function reduceLast(x: Tensor, op: string, f: (row: Float32Array) => number): Tensor {
  requireRank(x, 1, op);
  const n = x.shape[x.shape.length - 1];
  if (n === 0) throw new ShapeError(`${op}: cannot reduce over an empty last axis (shape ${fmtShape(x.shape)})`);
  const src = contiguousData(x);
  const rows = src.length / n;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = f(src.subarray(r * n, (r + 1) * n));
  return fromData(out, [...x.shape.slice(0, -1), 1]);
}

function rowSum(row: Float32Array): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += row[i];
  return s;
}

const rowMean = (row: Float32Array): number => rowSum(row) / row.length;

/** Mean over the last axis, keeping it as size 1: [..., n] → [..., 1]. */
export const mean = (x: Tensor): Tensor => reduceLast(x, "mean", rowMean);

/** Variance over the last axis, keeping it as size 1. Biased (divides by n) unless `unbiased`. */
export function variance(x: Tensor, { unbiased = false } = {}): Tensor {
  return reduceLast(x, "variance", (row) => {
    const m = rowMean(row);
    let s = 0;
    for (let i = 0; i < row.length; i++) s += (row[i] - m) ** 2;
    return s / (unbiased ? row.length - 1 : row.length);
  });
}

export const sum = (x: Tensor): Tensor => reduceLast(x, "sum", rowSum);
export const max = (x: Tensor): Tensor =>
  reduceLast(x, "max", (row) => row.reduce((a, b) => Math.max(a, b), -Infinity));

/** Softmax over the last axis; subtracts the row max first so exp never overflows. Rows of −∞ give zeros. */
export function softmax(x: Tensor): Tensor {
  requireRank(x, 1, "softmax");
  const n = x.shape[x.shape.length - 1];
  if (x.size === 0) return fromData(new Float32Array(0), x.shape);
  return fromData(kernels().softmax(contiguousData(x), n), x.shape);
}

/**
 * Log-softmax over the last axis: log softmax(x) = (x − m) − log Σ exp(x − m), m the row's maximum,
 * so exp never overflows and no probability underflows to log 0 (a loss's −log p(target)). Rows of
 * −∞ stay −∞; a +∞ or a NaN makes its row NaN.
 */
export function logSoftmax(x: Tensor): Tensor {
  requireRank(x, 1, "logSoftmax");
  const n = x.shape[x.shape.length - 1];
  if (x.size === 0) return fromData(new Float32Array(0), x.shape);
  return fromData(kernels().logSoftmax(contiguousData(x), n), x.shape);
}

/** Index of the largest value along the last axis: [..., n] → [...] (first index on ties). */
export function argmax(x: Tensor): IntTensor {
  const reduced = reduceLast(x, "argmax", (row) => {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
    return best;
  });
  return ndarray(Int32Array.from(reduced.data), x.shape.slice(0, -1));
}

// ---------------------------------------------------------------- matrix products

/** Batched matrix product over the last two axes; batch axes broadcast. [..., n, k] @ [..., k, m] → [..., n, m]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireRank(a, 2, "matmul", "left operand");
  requireRank(b, 2, "matmul", "right operand");
  const [n, k] = a.shape.slice(-2);
  const [k2, m] = b.shape.slice(-2);
  if (k !== k2) {
    throw new ShapeError(
      `matmul: cannot multiply ${fmtShape(a.shape)} by ${fmtShape(b.shape)}: inner sizes ${k} and ${k2} differ`,
    );
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "matmul (batch dimensions)");
  // Transposed views are read as the rows they came from, never copied into new rows first: a
  // left operand like a weight gradient's doutᵀ as Xᵀ ("tn"), a right operand like attention's
  // kᵀ with dot products ("nt"). Any other operand is made row-major and read row by row ("nn").
  const leftTransposed = isTransposedView(a, n);
  const rightTransposed = !leftTransposed && isTransposedView(b, m);
  const kind = leftTransposed ? "tn" : rightTransposed ? "nt" : "nn";
  const A = contiguousData(expandBatch(leftTransposed ? transpose(a, -2, -1) : a, batch));
  const B = contiguousData(expandBatch(rightTransposed ? transpose(b, -2, -1) : b, batch));
  const out = kernels().gemm({
    kind,
    x: A,
    w: B,
    wOffset: 0,
    ldw: m,
    wBatchStride: k * m,
    M: n,
    K: k,
    N: m,
    batch: numel(batch),
  });
  return fromData(out, [...batch, n, m]);
}

/** True when `t` [..., rows, cols] is a transposed view: its rows are the columns of the array it reads. */
function isTransposedView(t: Tensor, rows: number): boolean {
  return t.stride[t.shape.length - 2] === 1 && rows > 1;
}

/** `t` with its batch axes (all but the last two) broadcast to `batch`: a view, copied only where sizes differ. */
function expandBatch(t: Tensor, batch: Shape): Tensor {
  const own = t.shape.slice(0, -2);
  if (fmtShape(own) === fmtShape(batch)) return t;
  const shape = [...batch, ...t.shape.slice(-2)];
  const strides = broadcastStrides(t, shape);
  return ndarray(t.data, shape, strides, t.offset);
}

/**
 * y = x·Wᵀ + b, with W stored [out, in] as in PyTorch's nn.Linear.
 * x: [..., in] → [..., out]. W may also be a transposed view of an [in, out] array (Hugging
 * Face's Conv1D layout); both layouts are read in place, without copying the weight.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  requireRank(x, 1, "linear");
  if (weight.shape.length !== 2)
    throw new ShapeError(`linear: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  const xin = x.shape[x.shape.length - 1];
  if (xin !== inF) {
    throw new ShapeError(
      `linear: input's last dimension is ${xin} (shape ${fmtShape(x.shape)}) but the weight ${fmtShape(weight.shape)} expects ${inF}`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: bias must be [${outF}], got ${fmtShape(bias.shape)}`);
  }
  const X = contiguousData(x);
  const rows = X.length / inF;
  // A Conv1D weight is a transposed view of an [in, out] array: read its rows as they are. A
  // bfloat16 weight (lib/bf16.ts) is read as bfloat16 in either layout.
  const bits = bf16Bits(weight);
  const conv1d = weight.stride[0] === 1 && outF > 1;
  const job = conv1d
    ? { kind: "nn" as const, w: bits ?? weight.data, wOffset: weight.offset, ldw: weight.stride[1] }
    : bits && weight.stride[0] === inF && weight.stride[1] === 1
      ? { kind: "nt" as const, w: bits, wOffset: weight.offset, ldw: inF }
      : { kind: "nt" as const, w: contiguousData(weight), wOffset: 0, ldw: inF };
  const out = kernels().gemm({
    ...job,
    x: X,
    wBatchStride: 0,
    M: rows,
    K: inF,
    N: outF,
    batch: 1,
    bias: bias ? contiguousData(bias) : undefined,
  });
  return fromData(out, [...x.shape.slice(0, -1), outF]);
}

// ---------------------------------------------------------------- shape manipulation

/** Same elements, new shape (a view when `x` is contiguous). One size may be −1 to be inferred. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError(`reshape: only one size may be -1, got ${fmtShape(shape)}`);
  const resolved = shape.map((d) => (d === -1 ? x.size / numel(known) : d));
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || numel(resolved) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  }
  return fromData(contiguousData(x), resolved);
}

/** Reorders axes (a zero-copy view): permute(x, [0, 2, 1, 3]). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.shape.length;
  const sorted = [...axes].map((a) => normAxis(a, rank, "permute")).sort((p, q) => p - q);
  if (axes.length !== rank || sorted.some((a, i) => a !== i)) {
    throw new ShapeError(
      `permute: axes ${fmtShape(axes)} are not a permutation of the ${rank} axes of ${fmtShape(x.shape)}`,
    );
  }
  return reordered(
    x,
    axes.map((a) => normAxis(a, rank, "permute")),
  );
}

/** A view of `x` with its axes in the order `axes` (a bfloat16 weight's stays bfloat16). */
function reordered(x: Tensor, axes: readonly number[]): Tensor {
  return bf16Transposed(x, axes) ?? x.transpose(...axes);
}

/** Swaps two axes (a zero-copy view): transpose(x, -2, -1) turns [..., n, m] into [..., m, n]. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.shape.length;
  const axes = Array.from({ length: rank }, (_, i) => i);
  const a = normAxis(dim0, rank, "transpose");
  const b = normAxis(dim1, rank, "transpose");
  [axes[a], axes[b]] = [axes[b], axes[a]];
  return reordered(x, axes);
}

/** Cuts `x` along `axis` into pieces of the given sizes (or `sizes` equal pieces if a number). Views, no copies. */
export function split(x: Tensor, sizes: number | readonly number[], axis = -1): Tensor[] {
  const a = normAxis(axis, x.shape.length, "split");
  const total = x.shape[a];
  let parts: number[];
  if (typeof sizes === "number") {
    if (!Number.isInteger(sizes) || sizes <= 0 || total % sizes !== 0) {
      throw new ShapeError(
        `split: cannot split size ${total} (axis ${axis} of ${fmtShape(x.shape)}) into ${sizes} equal parts`,
      );
    }
    parts = new Array<number>(sizes).fill(total / sizes);
  } else {
    parts = [...sizes];
    if (parts.reduce((s, p) => s + p, 0) !== total) {
      throw new ShapeError(
        `split: sizes ${fmtShape(parts)} do not add up to ${total} (axis ${axis} of ${fmtShape(x.shape)})`,
      );
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const p of parts) {
    const lo = x.shape.map((_, d) => (d === a ? start : 0));
    const hi = x.shape.map((s, d) => (d === a ? p : s));
    out.push(x.lo(...lo).hi(...hi));
    start += p;
  }
  return out;
}

/** Joins tensors along `axis`; all other sizes must agree. */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  const rank = xs[0].shape.length;
  const a = normAxis(axis, rank, "concat");
  for (const t of xs) {
    if (t.shape.length !== rank || t.shape.some((s, d) => d !== a && s !== xs[0].shape[d])) {
      throw new ShapeError(`concat: shapes ${xs.map((u) => fmtShape(u.shape)).join(", ")} differ outside axis ${axis}`);
    }
  }
  const shape = xs[0].shape.map((s, d) => (d === a ? xs.reduce((acc, t) => acc + t.shape[a], 0) : s));
  const outer = numel(shape.slice(0, a));
  const out = uninitialized(numel(shape));
  let o = 0;
  const chunks = xs.map((t) => ({ data: contiguousData(t), block: numel(t.shape.slice(a)) }));
  for (let r = 0; r < outer; r++) {
    for (const { data, block } of chunks) {
      out.set(data.subarray(r * block, (r + 1) * block), o);
      o += block;
    }
  }
  return fromData(out, shape);
}

/** Embedding lookup: rows of `table` [n, d] picked by integer `ids` of any shape → [...ids.shape, d]. */
export function embedding(table: Tensor, ids: IntTensor): Tensor {
  if (table.shape.length !== 2)
    throw new ShapeError(`embedding: table must be [rows, dim], got ${fmtShape(table.shape)}`);
  const [n, d] = table.shape;
  // A row-major bfloat16 table is read in place, a row at a time; any other is made float32 first.
  const bits = table.stride[0] === d && table.stride[1] === 1 ? bf16Bits(table) : undefined;
  const T = bits ? undefined : contiguousData(table);
  const out = uninitialized(ids.size * d);
  let i = 0;
  forEachIndex(ids.shape, [ids.stride], [ids.offset], ([p]) => {
    const id = ids.data[p];
    if (!Number.isInteger(id) || id < 0 || id >= n) {
      throw new RangeError(`embedding: id ${id} is out of range for a table of ${n} rows (valid ids: 0…${n - 1})`);
    }
    if (T) out.set(T.subarray(id * d, (id + 1) * d), i * d);
    else widenInto(bits!, table.offset + id * d, d, out, i * d);
    i++;
  });
  return fromData(out, [...ids.shape, d]);
}
