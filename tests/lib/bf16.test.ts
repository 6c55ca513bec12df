// bfloat16 weights: read as bfloat16 by the products and embeddings without a float32 copy, the
// same numbers to every other reader, and a checkpoint loaded in bfloat16 gives the float32
// model's logits within bfloat16's precision.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bf16Bits, bf16Tensor, isBf16, toBf16 } from "../../lib/bf16.ts";
import { readCheckpoint, useWeightDtype } from "../../lib/checkpoint.ts";
import * as F from "../../lib/functional.ts";
import { useKernels } from "../../lib/kernels/index.ts";
import { Linear } from "../../lib/nn.ts";
import { Random, randn } from "../../lib/random.ts";
import { parseSafetensors, readSafetensors, writeSafetensors } from "../../lib/safetensors.ts";
import { fromData, intTensor, isTensor, toNested, type Tensor } from "../../lib/tensor.ts";
import { loadPretrained } from "../../solutions/solution_15.ts";
import { tempDir } from "../temp-dir.ts";
import { root } from "../tools/run-tool.ts";
import { relativeError } from "./relative-error.ts";

const rng = new Random(11);

/** The same numbers as float32 (what a bfloat16 tensor reads as). */
const widened = (bits: Uint16Array, shape: number[]) =>
  fromData(new Float32Array(Uint32Array.from(bits, (b) => b << 16).buffer), shape);

afterAll(() => {
  useWeightDtype("auto");
  useKernels("wasm");
});

describe("bfloat16 tensors", () => {
  it("round float32 to the nearest bfloat16, ties to even, NaN kept", () => {
    // bfloat16 numbers near 1 are 2⁻⁷ apart: halfway rounds to the even one, past halfway up
    const x = Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -10, -2.5, Number.NaN, Infinity);
    const back = widened(toBf16(x), [x.length]).data;
    expect(Array.from(back.subarray(0, 5))).toEqual([1, 1, 1 + 2 ** -6, 1 + 2 ** -7, -2.5]);
    expect(Number.isNaN(back[5])).toBe(true);
    expect(back[6]).toBe(Infinity);
  });

  for (const backend of ["wasm", "js"] as const) {
    it(`multiply and look up rows in bfloat16, in both weight layouts, without a float32 copy (${backend})`, () => {
      useKernels(backend);
      const inOut = toBf16(randn([24, 40], rng).data); // a Conv1D weight, [in, out]
      const outIn = toBf16(randn([40, 24], rng).data); // a Linear weight or an embedding table, [out, in]
      const conv = F.transpose(bf16Tensor(inOut, [24, 40]), 0, 1);
      const linear = bf16Tensor(outIn, [40, 24]);
      const bias = randn([40], rng);
      for (const rows of [1, 3, 9]) {
        const x = randn([rows, 24], rng);
        const viaConv = F.linear(x, conv, bias).data;
        expect(
          relativeError(viaConv, F.linear(x, F.transpose(widened(inOut, [24, 40]), 0, 1), bias).data),
        ).toBeLessThan(1e-5);
        expect(relativeError(F.linear(x, linear).data, F.linear(x, widened(outIn, [40, 24])).data)).toBeLessThan(1e-5);
      }
      const ids = intTensor([[3, 0, 39]]);
      expect(toNested(F.embedding(linear, ids))).toEqual(toNested(F.embedding(widened(outIn, [40, 24]), ids)));
      expect(bf16Bits(conv) && bf16Bits(linear), "still read as bfloat16").toBeDefined();
    });
  }

  it("give every other reader the same numbers as float32, and products use what an optimizer writes", () => {
    useKernels("wasm");
    const bits = toBf16(randn([6, 4], rng).data);
    const t = bf16Tensor(bits, [6, 4]);
    const reference = widened(bits, [6, 4]);
    expect(isTensor(t) && isBf16(t)).toBe(true);
    expect(t.get(5, 3)).toBe(reference.get(5, 3)); // one number, no copy
    expect(bf16Bits(t)).toBeDefined();
    const layer = new Linear(4, 6, { bias: false });
    layer.weight = t;
    expect(layer.numParameters()).toBe(24);
    expect(Array.from(t.data)).toEqual(Array.from(reference.data)); // .data: a float32 copy, from now on the numbers
    expect(bf16Bits(t)).toBeUndefined();
    t.data[0] += 1; // an optimizer's step
    const x = randn([2, 4], rng);
    reference.data[0] += 1;
    expect(relativeError(layer.forward(x).data, F.linear(x, reference).data)).toBeLessThan(1e-6);
  });

  it("are read from a checkpoint: BF16 tensors kept, F32 ones rounded as read, vectors float32", () => {
    const dir = tempDir("bf16");
    const w = randn([5, 7], rng);
    const b = randn([7], rng);
    const file = path.join(dir, "f32.safetensors");
    writeSafetensors(file, { w, b });
    const kept = readSafetensors(file, (n) => new Uint8Array(n), undefined, { bf16: (e) => e.shape.length === 2 });
    expect(Array.from(bf16Bits(kept.tensors.w as Tensor) ?? [])).toEqual(Array.from(toBf16(w.data)));
    expect(isBf16(kept.tensors.b)).toBe(false);
    const bf16File = path.join(dir, "bf16.safetensors");
    writeSafetensors(bf16File, { w, b }, {}, "BF16");
    const whole = parseSafetensors(readFileSync(bf16File)).tensors.w as Tensor;
    const held = readSafetensors(bf16File, (n) => new Uint8Array(n), undefined, { bf16: () => true }).tensors.w;
    expect(toNested(held as Tensor)).toEqual(toNested(whole));
  });
});

describe("a GPT-2 checkpoint in bfloat16", () => {
  const tiny = path.join(root, "tests", "fixtures", "tiny-gpt2");

  it("holds its matrices in bfloat16 with --dtype bf16 and gives logits within 1% of float32's", () => {
    useKernels("wasm");
    useWeightDtype("f32");
    const f32 = loadPretrained(tiny);
    useWeightDtype("bf16");
    const bf16 = loadPretrained(tiny);
    expect(bf16Bits(bf16.transformer.h[0].attn.c_attn.weight)).toBeDefined();
    expect(bf16Bits(bf16.lm_head.weight)).toBeDefined();
    expect(isBf16(bf16.transformer.h[0].ln_1.weight)).toBe(false);
    expect(bf16.numParameters()).toBe(f32.numParameters());
    const ids = intTensor([[1, 5, 9, 2, 7, 3]]);
    expect(relativeError(bf16.forward(ids).data, f32.forward(ids).data)).toBeLessThan(1e-2);
    expect(bf16Bits(bf16.lm_head.weight), "the forward pass made no float32 copy").toBeDefined();
  });

  it("keeps the shipped model's bfloat16 weights as they are by default", () => {
    useWeightDtype("auto");
    const { weights } = readCheckpoint(path.join(root, "default-model"));
    expect(bf16Bits(weights.tensors["transformer.wte.weight"] as Tensor)).toBeDefined();
  });
});
