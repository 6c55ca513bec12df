import { describe, expect, it } from "vitest";
import { Random, rand, randn } from "../../lib/random.ts";
import { parseSafetensors, SafetensorsError } from "../../lib/safetensors.ts";
import { ShapeError, arange, arangeInt, clone, fromData, full, intTensor, isContiguous, ones, tensor, toNested, zeros } from "../../lib/tensor.ts";
import { transpose } from "../../lib/functional.ts";

describe("tensor creation", () => {
  it("zeros, ones, full, arange", () => {
    expect(toNested(zeros([2, 2]))).toEqual([[0, 0], [0, 0]]);
    expect(toNested(ones([3]))).toEqual([1, 1, 1]);
    expect(toNested(full([1, 2], 7))).toEqual([[7, 7]]);
    expect(toNested(arange(4))).toEqual([0, 1, 2, 3]);
    expect(toNested(arangeInt(3, 6))).toEqual([3, 4, 5]);
    expect(zeros([2]).data).toBeInstanceOf(Float32Array);
  });

  it("tensor and intTensor from nested arrays, rejecting ragged input and fractional ids", () => {
    expect(tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(intTensor([[464, 3290]]).data).toBeInstanceOf(Int32Array);
    expect(() => intTensor([1.5])).toThrow(/must be integers, got 1.5/);
  });

  it("fromData checks the element count", () => {
    expect(() => fromData(new Float32Array(5), [2, 3])).toThrow(/5 values cannot fill shape \[2, 3\]/);
    expect(() => zeros([2, -1])).toThrow(ShapeError);
  });

  it("knows views from contiguous tensors, and clone copies", () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(isContiguous(x)).toBe(true);
    const t = transpose(x, 0, 1);
    expect(isContiguous(t)).toBe(false);
    const c = clone(t);
    expect(isContiguous(c)).toBe(true);
    expect(toNested(c)).toEqual([[1, 3], [2, 4]]);
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
    const u = rand([10000], rng).data;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const n = randn([20000], rng, 2).data;
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 2)).toBeLessThan(0.05);
  });
});

/** Builds a safetensors file in memory: header object + raw data. */
function build(header: object, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors", () => {
  const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);

  it("reads F32, F16, BF16, I32 and I64 tensors and metadata", () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // 1, -2
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4040]).buffer); // 1, 3
    const i64 = new Uint8Array(new BigInt64Array([7n, -8n]).buffer);
    const data = new Uint8Array([...f32, ...f16, ...bf16, ...i64]);
    const file = parseSafetensors(
      build(
        {
          __metadata__: { format: "pt" },
          a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
          h: { dtype: "F16", shape: [2], data_offsets: [24, 28] },
          b: { dtype: "BF16", shape: [2], data_offsets: [28, 32] },
          i: { dtype: "I64", shape: [2], data_offsets: [32, 48] },
        },
        data,
      ),
    );
    expect(toNested(file.tensors.a)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toNested(file.tensors.h)).toEqual([1, -2]);
    expect(toNested(file.tensors.b)).toEqual([1, 3]);
    expect(toNested(file.tensors.i)).toEqual([7, -8]);
    expect(file.metadata).toEqual({ format: "pt" });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(4), /too short/],
    ["header longer than the file", build({}, new Uint8Array(), 1000n), /larger than the .* bytes after it/],
    ["absurd header length", build({}, new Uint8Array(), 1n << 60n), /exceeds the limit/],
    ["invalid JSON", (() => { const b = build({}, new Uint8Array()); b[8] = 0x5b; return b; })(), /not valid UTF-8 JSON/],
    ["unknown dtype", build({ a: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }, f32), /unsupported dtype "Q4"/],
    ["shape and bytes disagree", build({ a: { dtype: "F32", shape: [5], data_offsets: [0, 24] } }, f32), /needs 20 bytes/],
    ["offsets beyond the data", build({ a: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, f32), /outside the 24 data bytes/],
    ["negative shape", build({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32), /invalid shape/],
    ["overlapping tensors", build({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] }, b: { dtype: "F32", shape: [4], data_offsets: [8, 24] } }, f32), /overlap/],
  ];
  for (const [name, bytes, pattern] of bad) {
    it(`rejects a file with ${name}`, () => {
      expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
      expect(() => parseSafetensors(bytes)).toThrow(pattern);
    });
  }
});
