// Tensors are plain `ndarray`s: a flat typed array plus shape, strides and offset.
// Float tensors hold float32 (as PyTorch and GPT-2 do); token ids live in Int32Array.
import ndarray, { type NdArray } from "ndarray";
import { isBf16 } from "./bf16.ts";
import { uninitialized, zeroed } from "./memory.ts";

export type Tensor = NdArray<Float32Array>;
export type IntTensor = NdArray<Int32Array>;
export type Shape = readonly number[];
/** Either kind of tensor, for helpers that only read shapes and elements. */
export type AnyTensor = Tensor | IntTensor;

/** A nested JavaScript array of numbers, e.g. [[1, 2], [3, 4]]. */
export type Nested = number | Nested[];

/** Thrown for a wrong shape; the message names the operation and the shapes involved. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(shape: Shape, op: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`${op}: invalid shape ${fmtShape(shape)}: sizes must be whole numbers ≥ 0`);
  }
}

export function isTensor(value: unknown): value is Tensor {
  return (
    isBf16(value) || // asked first: its .data would make a float32 copy
    (typeof value === "object" &&
      value !== null &&
      (value as Tensor).data instanceof Float32Array &&
      Array.isArray((value as Tensor).shape))
  );
}

/** Wraps existing float32 data (no copy) as a row-major tensor of `shape`. */
export function fromData(data: Float32Array, shape: Shape): Tensor {
  checkShape(shape, "fromData");
  if (data.length !== numel(shape)) {
    throw new ShapeError(
      `fromData: ${data.length} values cannot fill shape ${fmtShape(shape)} (${numel(shape)} values)`,
    );
  }
  return ndarray(data, [...shape]);
}

export function zeros(shape: Shape): Tensor {
  checkShape(shape, "zeros");
  return ndarray(zeroed(numel(shape)), [...shape]);
}

export function full(shape: Shape, value: number): Tensor {
  const t = zeros(shape);
  t.data.fill(value);
  return t;
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

/** 0, 1, …, n−1 as float32 (use `arangeInt` for token positions). */
export function arange(n: number): Tensor {
  return fromData(
    Float32Array.from({ length: n }, (_, i) => i),
    [n],
  );
}

export function arangeInt(start: number, end: number): IntTensor {
  return ndarray(
    Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i),
    [Math.max(0, end - start)],
  );
}

function nestedShape(value: Nested, op: string): number[] {
  if (typeof value === "number") return [];
  if (value.length === 0) return [0];
  const inner = nestedShape(value[0], op);
  for (const item of value) {
    const s = nestedShape(item, op);
    if (fmtShape(s) !== fmtShape(inner))
      throw new ShapeError(`${op}: ragged nested array: rows of shape ${fmtShape(inner)} and ${fmtShape(s)}`);
  }
  return [value.length, ...inner];
}

function flatten(value: Nested): number[] {
  return typeof value === "number" ? [value] : value.flatMap(flatten);
}

/** tensor([[1, 2], [3, 4]]) → a [2, 2] float32 tensor. */
export function tensor(values: Nested): Tensor {
  return fromData(Float32Array.from(flatten(values)), nestedShape(values, "tensor"));
}

/** Token ids: intTensor([[464, 3290]]) → a [1, 2] int32 tensor. Rejects non-integers. */
export function intTensor(values: Nested): IntTensor {
  const flat = flatten(values);
  const bad = flat.find((v) => !Number.isInteger(v));
  if (bad !== undefined) throw new TypeError(`intTensor: token ids must be integers, got ${bad}`);
  return ndarray(Int32Array.from(flat), nestedShape(values, "intTensor"));
}

/** True when the tensor's elements sit in row-major order starting at offset 0. */
export function isContiguous(t: AnyTensor): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expected) return false;
    expected *= t.shape[d];
  }
  return t.offset === 0 && t.data.length === expected;
}

/** Visits every multi-index of `shape` in row-major order, passing the flat positions for each stride set. */
export function forEachIndex(
  shape: Shape,
  strides: number[][],
  offsets: number[],
  visit: (positions: number[]) => void,
): void {
  const n = numel(shape);
  if (n === 0) return;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const pos = [...offsets];
  for (let count = 0; count < n; count++) {
    visit(pos);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let s = 0; s < strides.length; s++) pos[s] += strides[s][d];
      if (idx[d] < shape[d]) break;
      for (let s = 0; s < strides.length; s++) pos[s] -= strides[s][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Where each row of `shape` (each index of all but the last axis) starts, in row-major order,
 * for a tensor with these strides and offset. Callers walk the last axis themselves in a tight
 * loop, which is what makes copies and elementwise ops fast.
 */
export function rowStarts(shape: Shape, strides: readonly number[], offset: number): Int32Array {
  // Int32 positions keep the loops on integer arithmetic (a typed array never holds 2³¹ floats here).
  const starts = new Int32Array(numel(shape.slice(0, -1)));
  let i = 0;
  forEachIndex(shape.slice(0, -1), [strides.slice(0, -1)], [offset], ([p]) => {
    starts[i++] = p;
  });
  return starts;
}

/** The elements in row-major order as a fresh (or, if already contiguous, the same) Float32Array. */
export function contiguousData(t: Tensor): Float32Array {
  if (isContiguous(t)) return t.data;
  return gatherInto(t, uninitialized(t.size));
}

/** t's elements in row-major order, copied into the start of `out` (t.size numbers): a view's copy in memory the caller reuses. */
export function gatherInto(t: Tensor, out: Float32Array): Float32Array {
  if (out.length < t.size) throw new ShapeError(`gatherInto: ${out.length} numbers cannot hold ${fmtShape(t.shape)}`);
  moveRows(t, out, "gather");
  return out.subarray(0, t.size);
}

/** contiguousData's inverse: writes `data`, the elements in row-major order, to t's elements (in place, also in a view). */
export function writeContiguousData(t: Tensor, data: Float32Array): void {
  if (data.length !== t.size)
    throw new ShapeError(`writeContiguousData: ${data.length} numbers for a tensor of ${fmtShape(t.shape)}`);
  if (data !== t.data) moveRows(t, data, "scatter");
}

/** Copies between t's elements and `flat`, their row-major order, a row at a time: out of t (gather) or into it (scatter). */
function moveRows(t: Tensor, flat: Float32Array, direction: "gather" | "scatter"): void {
  const rank = t.shape.length;
  const n = rank ? t.shape[rank - 1] : 1;
  const step = rank ? t.stride[rank - 1] : 0;
  const starts = rowStarts(t.shape, t.stride, t.offset);
  const data = t.data;
  for (let r = 0, o = 0; r < starts.length; r++, o += n) {
    const p = starts[r];
    if (direction === "gather") for (let j = 0; j < n; j++) flat[o + j] = data[p + j * step];
    else for (let j = 0; j < n; j++) data[p + j * step] = flat[o + j];
  }
}

/** A deep copy with its own memory. */
export function clone(t: Tensor): Tensor {
  return fromData(Float32Array.from(contiguousData(t)), t.shape);
}

/** Nested JavaScript arrays, handy for printing and small comparisons. */
export function toNested(t: AnyTensor): Nested {
  const walk = (dim: number, offset: number): Nested =>
    dim === t.shape.length
      ? t.data[offset]
      : Array.from({ length: t.shape[dim] }, (_, i) => walk(dim + 1, offset + i * t.stride[dim]));
  return walk(0, t.offset);
}
