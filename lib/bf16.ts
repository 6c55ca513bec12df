// Weights in bfloat16: the top 16 bits of each float32 (its sign, its exponent and 7 bits of its
// fraction), half the bytes. Decoding reads every weight once per token, so half the bytes is up
// to twice the tokens per second; the arithmetic stays float32 (the kernels widen each number in
// registers), and each weight moves by at most 2⁻⁸ of itself (rounding to the nearest).
//
// To everything else a bfloat16 weight is an ordinary Tensor: its shape, strides and offset are
// its own, `.get(…)` reads one number, and `.data` is float32. The numbers stay in a Uint16Array
// that the framework's products (F.linear), F.embedding and the views a loader makes (F.transpose,
// F.permute) read directly. Any other reader of `.data` — a learner's loop, an optimizer — gets a
// float32 copy made on that first read, and from then on every path uses that copy, so a write
// to it is never lost (the memory saving is then gone, the numbers are the same).
import ndarray from "ndarray";
import { kernels } from "./kernels/index.ts";
import type { Shape, Tensor } from "./tensor.ts";

interface Storage {
  /** The numbers, row-major, as bfloat16. */
  bits: Uint16Array;
  /** Their float32 copy, once something has read `.data`. */
  widened?: Float32Array;
}

const storageOf = new WeakMap<object, Storage>();

/** A tensor of `shape` whose numbers are the row-major bfloat16 `bits`. */
export function bf16Tensor(bits: Uint16Array, shape: Shape): Tensor {
  const probe = ndarray(new Float32Array(0), [...shape]);
  return view({ bits }, probe.shape, probe.stride, 0);
}

function view(storage: Storage, shape: number[], stride: number[], offset: number): Tensor {
  const t = ndarray(new Float32Array(0), shape, stride, offset);
  Object.defineProperty(t, "data", { get: () => widened(storage), enumerable: true });
  Object.defineProperty(t, "get", {
    value: (...index: number[]) => {
      const at = index.reduce((p, i, d) => p + i * stride[d], offset);
      return storage.widened ? storage.widened[at] : toFloat(storage.bits[at]);
    },
  });
  storageOf.set(t, storage);
  return t;
}

const word = new Uint32Array(1);
const float = new Float32Array(word.buffer);
function toFloat(bits: number): number {
  word[0] = bits << 16;
  return float[0];
}

function widened(storage: Storage): Float32Array {
  if (!storage.widened) {
    const bytes = kernels().allocate(storage.bits.length * 4); // where the products read it in place
    const out = new Uint32Array(bytes.buffer, bytes.byteOffset, storage.bits.length);
    const { bits } = storage;
    for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
    storage.widened = new Float32Array(bytes.buffer, bytes.byteOffset, bits.length);
  }
  return storage.widened;
}

/** True when `t` was made by bf16Tensor (or is a view of one), whether or not it has been widened. */
export function isBf16(t: unknown): boolean {
  return typeof t === "object" && t !== null && storageOf.has(t);
}

/** The bfloat16 numbers behind `t` while they are what `t` reads (before anything widened them), else undefined. */
export function bf16Bits(t: Tensor): Uint16Array | undefined {
  const storage = storageOf.get(t);
  return storage && !storage.widened ? storage.bits : undefined;
}

/** What holds `t`'s numbers: the same object for every view of one tensor (tied weights count once). */
export function storage(t: Tensor): object {
  return storageOf.get(t) ?? t.data;
}

/** `t` with its axes reordered, still reading the bfloat16 numbers; undefined when `t` is not a bfloat16 tensor. */
export function bf16Transposed(t: Tensor, axes: readonly number[]): Tensor | undefined {
  const source = storageOf.get(t);
  if (!source || source.widened) return undefined;
  const probe = ndarray(new Float32Array(0), t.shape, t.stride, t.offset).transpose(...axes);
  return view(source, probe.shape, probe.stride, probe.offset);
}

/** float32 → bfloat16, rounded to the nearest (ties to even); NaN stays NaN (made quiet, so rounding cannot make it ∞). */
export function toBf16(data: Float32Array, out: Uint16Array = new Uint16Array(data.length)): Uint16Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < data.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** Copies `count` bfloat16 numbers from `bits[from]` into `out[at]` as float32. */
export function widenInto(bits: Uint16Array, from: number, count: number, out: Float32Array, at: number): void {
  const words = new Uint32Array(out.buffer, out.byteOffset + at * 4, count);
  for (let i = 0; i < count; i++) words[i] = bits[from + i] << 16;
}
