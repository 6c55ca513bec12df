// The safetensors reader: every dtype, every kind of broken file, and fuzzing — whatever the
// bytes, the reader either parses them or throws a SafetensorsError; it never crashes or hangs.
// And the writer: F32 and BF16, atomic.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as F from "../../lib/functional.ts";
import { parseSafetensors, SafetensorsError, writeSafetensors } from "../../lib/safetensors.ts";
import { contiguousData, fromData, toNested } from "../../lib/tensor.ts";
import { tempDir } from "../temp-dir.ts";

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
    expect(toNested(file.tensors.a)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toNested(file.tensors.h)).toEqual([1, -2]);
    expect(toNested(file.tensors.b)).toEqual([1, 3]);
    expect(toNested(file.tensors.i)).toEqual([7, -8]);
    expect(file.metadata).toEqual({ format: "pt" });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(4), /too short/],
    ["header longer than the file", build({}, new Uint8Array(), 1000n), /larger than the .* bytes after it/],
    ["absurd header length", build({}, new Uint8Array(), 1n << 60n), /exceeds the limit/],
    [
      "invalid JSON",
      (() => {
        const b = build({}, new Uint8Array());
        b[8] = 0x5b;
        return b;
      })(),
      /not valid UTF-8 JSON/,
    ],
    ["unknown dtype", build({ a: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }, f32), /unsupported dtype "Q4"/],
    [
      "shape and bytes disagree",
      build({ a: { dtype: "F32", shape: [5], data_offsets: [0, 24] } }, f32),
      /needs 20 bytes/,
    ],
    [
      "offsets beyond the data",
      build({ a: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, f32),
      /outside the 24 data bytes/,
    ],
    ["negative shape", build({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32), /invalid shape/],
    [
      "overlapping tensors",
      build(
        {
          a: { dtype: "F32", shape: [4], data_offsets: [0, 16] },
          b: { dtype: "F32", shape: [4], data_offsets: [8, 24] },
        },
        f32,
      ),
      /overlap/,
    ],
  ];
  for (const [name, bytes, pattern] of bad) {
    it(`rejects a file with ${name}`, () => {
      expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
      expect(() => parseSafetensors(bytes)).toThrow(pattern);
    });
  }
});

describe("safetensors fuzzing", () => {
  const valid = build(
    {
      __metadata__: { format: "pt" },
      a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
      b: { dtype: "BF16", shape: [2], data_offsets: [16, 20] },
      c: { dtype: "I64", shape: [1], data_offsets: [20, 28] },
    },
    new Uint8Array(28).fill(1),
  );

  const onlySafetensorsErrors = (bytes: Uint8Array) => {
    try {
      parseSafetensors(bytes);
    } catch (error) {
      if (!(error instanceof SafetensorsError)) throw error;
    }
  };

  it("random bytes never cause anything but a SafetensorsError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => onlySafetensorsErrors(bytes)),
      { numRuns: 2000 },
    );
  });

  it("a valid file with bytes flipped or truncated never crashes the reader", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(valid.length),
        (flips, keep) => {
          const bytes = valid.slice(0, keep);
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          onlySafetensorsErrors(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("hostile headers (any JSON, any shapes and offsets) never crash or over-allocate", () => {
    const entry = fc.record({
      dtype: fc.constantFrom("F32", "F16", "BF16", "I32", "I64", "U8", "F64", 7),
      shape: fc.array(fc.oneof(fc.nat(5), fc.integer({ min: -3, max: 2 ** 53 }), fc.constant(1e300)), { maxLength: 4 }),
      data_offsets: fc.array(fc.oneof(fc.nat(64), fc.integer({ min: -5, max: 2 ** 40 })), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.jsonValue())),
        fc.uint8Array({ maxLength: 64 }),
        (header, data) => onlySafetensorsErrors(build(header, data)),
      ),
      { numRuns: 3000 },
    );
  });
});

describe("writeSafetensors", () => {
  it("writes F32 exactly and BF16 to within bfloat16's precision, and leaves no partial file", () => {
    const dir = tempDir("write");
    const values = Float32Array.of(1, -2.5, Math.PI, 1e-3, 65504, -0, 3e38);
    const t = {
      "a.weight": fromData(values, [7]),
      "b.view": F.transpose(fromData(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]), 0, 1),
    };
    for (const dtype of ["F32", "BF16"] as const) {
      const file = path.join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, t, { format: "pt" }, dtype);
      expect(existsSync(`${file}.partial`)).toBe(false);
      const back = parseSafetensors(readFileSync(file));
      expect(back.metadata).toEqual({ format: "pt" });
      expect(back.tensors["b.view"].shape).toEqual([3, 2]);
      expect(Array.from(back.tensors["b.view"].data)).toEqual([1, 4, 2, 5, 3, 6]); // the view's own order
      const a = Array.from(back.tensors["a.weight"].data);
      if (dtype === "F32") expect(a).toEqual(Array.from(values));
      else
        for (const [i, v] of a.entries())
          expect(Math.abs(v - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) / 256);
    }
    expect(statSync(path.join(dir, "BF16.safetensors")).size).toBeLessThan(
      statSync(path.join(dir, "F32.safetensors")).size,
    );
  });

  it("writes views and bfloat16 larger than its scratch bands (2²⁰ numbers) in the same order as whole", () => {
    const dir = tempDir("write-bands");
    const numbers = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 9973) - 4000.5);
    const t = {
      // bands of 1,497 rows, the last one short
      "transposed.weight": F.transpose(fromData(numbers(700 * 3000), [700, 3000]), 0, 1),
      // rows longer than a band: written row by row
      "long.rows": F.transpose(fromData(numbers(2 * (2 ** 20 + 3)), [2 ** 20 + 3, 2]), 0, 1),
      "permuted.3d": F.transpose(fromData(numbers(40 * 300 * 200), [40, 300, 200]), 0, 2),
      "contiguous.weight": fromData(numbers(2 ** 20 * 2 + 11), [2 ** 20 * 2 + 11]),
    };
    for (const dtype of ["F32", "BF16"] as const) {
      const file = path.join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, t, {}, dtype);
      const back = parseSafetensors(readFileSync(file)).tensors;
      for (const [name, view] of Object.entries(t)) {
        const want = contiguousData(view);
        const got = back[name].data;
        expect(back[name].shape, name).toEqual(view.shape);
        expect(got.length, name).toBe(want.length);
        // BF16 rounds: every number here (at most 5,972.5 in size) is within 1/256 of itself.
        const worst = want.reduce((w, v, i) => Math.max(w, Math.abs(got[i] - v)), 0);
        expect(worst, `${name} as ${dtype}`).toBeLessThanOrEqual(dtype === "F32" ? 0 : 5972.5 / 256);
      }
    }
  });

  it("leaves an earlier file whole and no partial file when a write fails half-way", () => {
    const file = path.join(tempDir("write-fails"), "model.safetensors");
    const good = fromData(Float32Array.of(1, 2, 3), [3]);
    writeSafetensors(file, { a: good });
    const before = readFileSync(file);
    // The second tensor fails while the first is already in the file (as a full disk would).
    const failing = Object.create(good, {
      data: {
        get: () => {
          throw new Error("no space left on device");
        },
      },
    });
    expect(() => writeSafetensors(file, { a: good, b: failing })).toThrow("no space left on device");
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(readFileSync(file).equals(before)).toBe(true);
    // The rename fails too (the name is taken by a folder): no partial file either.
    const taken = path.join(tempDir("write-taken"), "model.safetensors");
    mkdirSync(path.join(taken, "inside"), { recursive: true });
    expect(() => writeSafetensors(taken, { a: good })).toThrow();
    expect(existsSync(`${taken}.partial`)).toBe(false);
  });
});
