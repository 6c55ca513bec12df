// The WebAssembly kernels against the plain JavaScript ones, the committed .wasm against its
// source, and weight placement across memories (with a small simulated memory limit).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as F from "../../lib/functional.ts";
import { useKernels, type GemmJob, type Kernels } from "../../lib/kernels/index.ts";
import { jsKernels } from "../../lib/kernels/js.ts";
import { createWasmKernels, hasRelaxedSimd } from "../../lib/kernels/wasm.ts";
import { Random, randn } from "../../lib/random.ts";
import { parseSafetensors, planSegments, readSafetensors, SafetensorsError } from "../../lib/safetensors.ts";
import { toNested, type Tensor } from "../../lib/tensor.ts";
import { tempDir } from "../temp-dir.ts";
import { root } from "../tools/run-tool.ts";
import { relativeError } from "./relative-error.ts";

const rng = new Random(7);
const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

// Odd sizes: not multiples of 4, of 8 or of the tiles, single rows and columns, batches.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 7, 1, 1],
  [1, 5, 3, 1],
  [3, 13, 9, 1],
  [4, 16, 8, 1],
  [5, 17, 33, 1],
  [9, 70, 37, 1],
  [1, 768, 101, 1],
  [6, 8, 5, 3],
  [2, 3, 64, 12],
  [37, 129, 70, 1], // several 4-row blocks with leftovers, columns past the 8-wide tiles
  [2, 700, 64, 1], // a long K with two rows: the split-K path for nn
  [6, 20, 6200, 1], // a wide output, shared out in blocks of columns
  [5, 9, 6200, 2], // the same, for a batch smaller than the threads
  [12, 3072, 30, 1], // a long K: column blocks of 8, packed strips of 3,072 rows
  [8, 40, 1100, 1], // several packed column blocks per thread, with a tail of 4 columns
];

/** The top 16 bits of each float32: bfloat16 numbers, as a Uint16Array. */
const topHalves = (f: Float32Array) =>
  Uint16Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length), (b) => b >>> 16);

function jobs(M: number, K: number, N: number, batch: number): GemmJob[] {
  const x = random(batch * M * K);
  const pad = 3; // W starts 3 floats into its array, and nn rows are 5 floats longer than N
  const ldw = N + 5;
  const nt = random(pad + batch * N * K);
  const nn = random(pad + batch * K * ldw);
  const bias = random(N);
  return [
    { kind: "nt", x, w: nt, wOffset: pad, ldw: K, wBatchStride: N * K, M, K, N, batch },
    { kind: "nn", x, w: nn, wOffset: pad, ldw, wBatchStride: K * ldw, M, K, N, batch },
    // with a bias on every row (F.linear's), including the split-K path's
    { kind: "nt", x, w: nt, wOffset: pad, ldw: K, wBatchStride: N * K, M, K, N, batch, bias },
    { kind: "nn", x, w: nn, wOffset: pad, ldw, wBatchStride: K * ldw, M, K, N, batch, bias },
    // bfloat16 weights (the same numbers' top halves), both layouts
    { kind: "nt", x, w: topHalves(nt), wOffset: pad, ldw: K, wBatchStride: N * K, M, K, N, batch, bias },
    { kind: "nn", x, w: topHalves(nn), wOffset: pad, ldw, wBatchStride: K * ldw, M, K, N, batch },
    // the same numbers as X's transpose: x read as [batch, K, M]
    { kind: "tn", x, w: nn, wOffset: pad, ldw, wBatchStride: K * ldw, M, K, N, batch },
  ];
}

const pools: Kernels[] = [];
afterAll(() => {
  for (const k of pools) k.close();
});

// Rows × width for the row-wise kernels (softmax, log-softmax): a single number, tails past the
// last whole vector, whole vectors, a long row.
const ROWS: [number, number][] = [
  [1, 1],
  [3, 5],
  [7, 13],
  [2, 64],
  [5, 1001],
];

describe("WebAssembly kernels", () => {
  it("run relaxed SIMD's fused multiply-add where the runtime has it (Node 20 behind a flag it sets)", () => {
    expect(hasRelaxedSimd()).toBe(true);
    expect(createWasmKernels(1, { simd: "relaxed" }).description).toMatch(/relaxed-SIMD FMA/);
  });

  for (const [threads, simd] of [
    [1, "plain"],
    [2, "plain"],
    [3, "plain"],
    [1, "relaxed"],
    [2, "relaxed"],
  ] as const) {
    it(`agree with the JavaScript loops on odd shapes and strided weights (${threads} thread${threads > 1 ? "s" : ""}, ${simd} SIMD)`, () => {
      const wasm = createWasmKernels(threads, { threadedMinWork: 0, simd });
      pools.push(wasm);
      for (const [M, K, N, batch] of SHAPES) {
        for (const job of jobs(M, K, N, batch)) {
          const expected = jsKernels.gemm(job);
          const got = wasm.gemm(job);
          const what = `${job.kind} ${M}×${K}×${N}×${batch}${job.bias ? " + bias" : ""}${job.w instanceof Uint16Array ? " bf16" : ""}`;
          expect(got.length, what).toBe(expected.length);
          expect(relativeError(got, expected), what).toBeLessThan(1e-5);
        }
      }
    });
  }

  for (const simd of ["plain", "relaxed"] as const) {
    it(`measure their ceiling by running its loop, on one thread and on two (${simd} SIMD)`, () => {
      const wasm = createWasmKernels(2, { simd });
      pools.push(wasm);
      for (const threaded of [false, true]) {
        const gflops = wasm.ceiling!(threaded);
        // 4 × 10⁸ operations a share: a loop that did not run would report far more than 10⁴ GFLOP/s.
        expect(gflops, threaded ? "on every thread" : "on one thread").toBeGreaterThan(0);
        expect(gflops, threaded ? "on every thread" : "on one thread").toBeLessThan(1e4);
      }
    });
  }

  for (const threads of [1, 2, 3]) {
    it(`compute softmax like the JavaScript loop: odd widths, −∞, large and NaN scores (${threads} thread${threads > 1 ? "s" : ""})`, () => {
      const wasm = createWasmKernels(threads, { threadedMinWork: 0, softmaxMinSize: 0 });
      pools.push(wasm);
      for (const [rows, n] of ROWS) {
        const x = random(rows * n).map((v) => 20 * v);
        const got = wasm.softmax(x, n);
        expect(relativeError(got, jsKernels.softmax(x, n)), `${rows}×${n}`).toBeLessThan(1e-6);
        for (let r = 0; r < rows; r++) {
          const sum = got.subarray(r * n, (r + 1) * n).reduce((a, b) => a + b, 0);
          expect(sum, `row ${r} of ${rows}×${n} sums to 1`).toBeCloseTo(1, 5);
        }
      }
      // A causal mask's −∞ gives exact zeros; a row of −∞ gives zeros, not NaN; a NaN spreads over its row.
      const masked = Float32Array.of(
        1,
        -Infinity,
        2,
        -Infinity,
        3,
        -Infinity,
        -Infinity,
        -Infinity,
        -Infinity,
        -Infinity,
      );
      expect(Array.from(wasm.softmax(masked, 5))).toEqual(Array.from(jsKernels.softmax(masked, 5)));
      expect(Array.from(wasm.softmax(masked, 5).subarray(5))).toEqual([0, 0, 0, 0, 0]);
      const nan = Float32Array.of(1, Number.NaN, 3, 4, 5, 6);
      expect(Array.from(wasm.softmax(nan, 3).subarray(0, 3)).every(Number.isNaN)).toBe(true);
      expect(relativeError(wasm.softmax(nan, 3).subarray(3), jsKernels.softmax(nan, 3).subarray(3))).toBeLessThan(1e-6);
    });
  }

  for (const threads of [1, 2, 3]) {
    it(`compute log-softmax like the JavaScript loop: odd widths, a vocabulary's row, ±1000, ±∞ and NaN (${threads} thread${threads > 1 ? "s" : ""})`, () => {
      const wasm = createWasmKernels(threads, { threadedMinWork: 0, softmaxMinSize: 0 });
      pools.push(wasm);
      for (const [rows, n] of [...ROWS, [3, 50257]]) {
        const x = random(rows * n).map((v) => 20 * v);
        const want = jsKernels.logSoftmax(x, n);
        // The loop itself against log(e^x / Σ e^x) without the shift, in float64 (e^±100 fits).
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let i = r * n; i < (r + 1) * n; i++) s += Math.exp(x[i]);
          const first = r * n;
          expect(want[first], `row ${r} of ${rows}×${n}, unshifted`).toBeCloseTo(Math.log(Math.exp(x[first]) / s), 3);
        }
        expect(relativeError(wasm.logSoftmax(x, n), want), `${rows}×${n}`).toBeLessThan(1e-6);
      }
      // ±1000: exact where the shift makes it so (log 1/2 for two equal maxima), finite elsewhere.
      const huge = Array.from(wasm.logSoftmax(Float32Array.of(1000, 1000, -1000, 0, -1000, -1001, -1002, -999), 4));
      expect(huge[0]).toBeCloseTo(-Math.LN2, 6);
      expect(huge[2]).toBeCloseTo(-2000 - Math.LN2, 3);
      expect(huge[7]).toBeCloseTo(-Math.log(1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3)), 6);
      // A row of −∞ stays −∞; a +∞ or a NaN makes its row NaN, as the JavaScript loop does.
      const special = Float32Array.of(-Infinity, -Infinity, -Infinity, 1, 2, 3, 1, Infinity, 2, 1, Number.NaN, 2);
      const got = wasm.logSoftmax(special, 3);
      expect(Array.from(got.subarray(0, 3))).toEqual([-Infinity, -Infinity, -Infinity]);
      expect(Array.from(got.subarray(6)).every(Number.isNaN), "a +∞ or a NaN spreads over its row").toBe(true);
      expect(relativeError(got.subarray(3, 6), jsKernels.logSoftmax(special, 3).subarray(3, 6))).toBeLessThan(1e-6);
      expect(Array.from(jsKernels.logSoftmax(special, 3).subarray(0, 3))).toEqual([-Infinity, -Infinity, -Infinity]);
      expect(Array.from(jsKernels.logSoftmax(special, 3).subarray(6)).every(Number.isNaN)).toBe(true);
    });
  }

  for (const threads of [1, 2, 3]) {
    it(`compute tanh like Math.tanh, number by number: near 0, large, ±∞, −0 and NaN (${threads} thread${threads > 1 ? "s" : ""})`, () => {
      const wasm = createWasmKernels(threads, { threadedMinWork: 0 });
      pools.push(wasm);
      // Every length up to a few vectors (the tail past the last whole vector), and a long one.
      for (const n of [1, 2, 3, 4, 5, 7, 9, 1001]) {
        const x = random(n).map((v, i) => (i % 3 === 0 ? 10 * v : i % 3 === 1 ? v / 20 : v));
        const got = wasm.tanh(x);
        const want = jsKernels.tanh(x);
        for (let i = 0; i < n; i++)
          expect(Math.abs(got[i] - want[i]), `tanh(${x[i]}) of ${n}`).toBeLessThanOrEqual(
            4e-7 * Math.abs(want[i]) + 1e-30,
          );
      }
      const special = Float32Array.of(0, -0, 1e-30, -1e-6, 0.0624, 0.0626, 20, -100, Infinity, -Infinity, Number.NaN);
      const got = Array.from(wasm.tanh(special));
      expect(got.slice(0, 10)).toEqual(
        Array.from(jsKernels.tanh(special).subarray(0, 10)).map((v, i) => (i < 6 ? got[i] : v)),
      );
      expect(Object.is(got[1], -0), "tanh(−0) is −0").toBe(true);
      expect(got.slice(6, 10)).toEqual([1, -1, 1, -1]);
      expect(Number.isNaN(got[10])).toBe(true);
    });
  }

  for (const threads of [1, 2, 3]) {
    it(`compute elementwise arithmetic like the JavaScript loops, bit for bit: a number, a row, a whole tensor (${threads} thread${threads > 1 ? "s" : ""})`, () => {
      const wasm = createWasmKernels(threads, { threadedMinWork: 0, binaryMinSize: 0 });
      pools.push(wasm);
      // Lengths with tails past the last whole vector, rows that do not start on one, and numbers
      // that test the arithmetic's edges: 0 and −0 (division), ±∞, NaN, tiny (subnormal) results.
      const edges = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, 3.4e38];
      for (const [length, period] of [
        [1, 1],
        [7, 1],
        [7, 7],
        [12, 3],
        [35, 5],
        [1001, 1001],
        [1001, 7],
        [1001, 1],
      ]) {
        const a = random(length).map((v, i) => (i % 5 === 0 ? edges[i % edges.length] : 10 * v));
        const b = random(period).map((v, i) => (i % 3 === 1 ? edges[(i + 1) % edges.length] : v));
        for (const op of ["add", "sub", "mul", "div"] as const) {
          const got = Array.from(wasm.binary(op, a, b));
          const want = Array.from(jsKernels.binary(op, a, b));
          expect(
            got.every((v, i) => Object.is(v, want[i])),
            `${op} of ${length} numbers and a repeating ${period}: first difference at ${got.findIndex((v, i) => !Object.is(v, want[i]))}`,
          ).toBe(true);
        }
      }
    });
  }

  it("run a large job a band of rows at a time, with the same numbers as in one piece", () => {
    // 1 KiB of scratch: a product of K + N = 80 runs in bands of 4 rows; a softmax of 50 in rows of 5.
    const banded = createWasmKernels(2, { threadedMinWork: 0, softmaxMinSize: 0, scratchBytes: 1024 });
    const whole = createWasmKernels(2, { threadedMinWork: 0, softmaxMinSize: 0 });
    pools.push(banded, whole);
    for (const [M, K, N] of [
      [37, 30, 50],
      [3, 30, 50],
      [9, 600, 8],
      [1030, 3, 9], // a tn product's rows padded in scratch (1,024 numbers a row and more)
    ]) {
      for (const job of jobs(M, K, N, 1)) {
        const what = `${job.kind} ${M}×${K}×${N}${job.bias ? " + bias" : ""}${job.w instanceof Uint16Array ? " bf16" : ""}`;
        expect(Array.from(banded.gemm(job)), what).toEqual(Array.from(whole.gemm(job)));
      }
    }
    const scores = random(23 * 50).map((v) => 10 * v);
    expect(Array.from(banded.softmax(scores, 50))).toEqual(Array.from(whole.softmax(scores, 50)));
    expect(Array.from(banded.logSoftmax(scores, 50))).toEqual(Array.from(whole.logSoftmax(scores, 50)));
    expect(Array.from(banded.logSoftmax(scores, 575)), "rows longer than the scratch").toEqual(
      Array.from(whole.logSoftmax(scores, 575)),
    );
    expect(Array.from(banded.tanh(scores))).toEqual(Array.from(whole.tanh(scores)));
    // Elementwise: bands of 256 numbers for one number, of 250 for a row of 50 (bands start on its
    // multiples), of 128 for a whole tensor (its numbers move with each band).
    const bandedArithmetic = createWasmKernels(2, { threadedMinWork: 0, binaryMinSize: 0, scratchBytes: 1024 });
    pools.push(bandedArithmetic);
    for (const b of [random(1), random(50), random(scores.length)])
      expect(Array.from(bandedArithmetic.binary("sub", scores, b)), `${b.length} repeating`).toEqual(
        Array.from(jsKernels.binary("sub", scores, b)),
      );
  });

  it("run an nn product with a long K in slices of K, bias and bfloat16 included, as the loops do", () => {
    // Slices of 16 rows of W: K = 100 runs as 16 × 5 + 20 (no slice shorter than 16), K = 64 in one piece.
    // With 1 KiB of scratch, each slice runs in bands of 4 rows too, gathered from x's long rows.
    const sliced = createWasmKernels(2, { threadedMinWork: 0, kSlice: 16 });
    const slicedBanded = createWasmKernels(2, { threadedMinWork: 0, kSlice: 16, scratchBytes: 1024 });
    pools.push(sliced, slicedBanded);
    for (const [M, K, N] of [
      [37, 100, 50],
      [3, 129, 20],
      [6, 64, 9],
    ]) {
      for (const job of jobs(M, K, N, 1)) {
        const what = `${job.kind} ${M}×${K}×${N}${job.bias ? " + bias" : ""}${job.w instanceof Uint16Array ? " bf16" : ""}`;
        expect(relativeError(sliced.gemm(job), jsKernels.gemm(job)), what).toBeLessThan(1e-5);
        expect(Array.from(slicedBanded.gemm(job)), `${what} in bands`).toEqual(Array.from(sliced.gemm(job)));
      }
    }
  });

  it("read weights in their own memory without copying, and agree with F.linear's JavaScript path", () => {
    const wasm = createWasmKernels(2, { threadedMinWork: 0 });
    pools.push(wasm);
    const bytes = wasm.allocate(48 * 20 * 4);
    const w = new Float32Array(bytes.buffer, bytes.byteOffset, 48 * 20);
    w.set(random(w.length));
    const job: GemmJob = {
      kind: "nt",
      x: random(5 * 20),
      w,
      wOffset: 0,
      ldw: 20,
      wBatchStride: 0,
      M: 5,
      K: 20,
      N: 48,
      batch: 1,
    };
    expect(relativeError(wasm.gemm(job), jsKernels.gemm(job))).toBeLessThan(1e-5);
  });

  it("give F.linear and F.matmul the same answers on both paths, Conv1D views and kᵀ included", () => {
    const x = randn([2, 7, 12], rng);
    const w = randn([12, 10], rng); // [in, out]
    const linearWeight = randn([9, 12], rng); // [out, in]
    const [bias10, bias9] = [randn([10], rng), randn([9], rng)];
    const q = randn([2, 3, 5, 4], rng);
    const k = randn([2, 3, 6, 4], rng);
    const dout = randn([37, 13], rng);
    const wide = randn([3, 9, 11], rng);
    const [xs, ys, zs, doutRight, scores] = [
      [37, 6],
      [2, 3, 5, 7],
      [3, 8, 5],
      [6, 37],
      [5, 4001],
    ].map((s) => randn(s, rng));
    const run = () => [
      F.linear(x, F.transpose(w, 0, 1)),
      F.linear(x, linearWeight),
      F.linear(x, F.transpose(w, 0, 1), bias10),
      F.linear(x.hi(1, 1, 12), linearWeight, bias9), // one row: decoding's path
      F.matmul(q, F.transpose(k, -2, -1)),
      F.matmul(F.matmul(q, F.transpose(k, -2, -1)), k),
      // transposed left operands (a weight's gradient doutᵀ·x), batched, and of a non-contiguous slice
      F.matmul(F.transpose(dout, 0, 1), xs),
      F.matmul(F.transpose(q, -2, -1), ys),
      F.matmul(F.transpose(wide.hi(3, 9, 10).lo(0, 1, 2), -2, -1), zs),
      F.matmul(F.transpose(dout, 0, 1), F.transpose(doutRight, 0, 1)),
      F.softmax(F.mul(scores, 8)),
    ];
    useKernels("js");
    const expected = run();
    pools.push(useKernels("wasm", 2));
    const got = run();
    expect(got.map((g) => g.shape)).toEqual(expected.map((e) => e.shape));
    for (const [i, g] of got.entries()) expect(relativeError(g.data, (expected[i] as Tensor).data)).toBeLessThan(1e-5);
  });

  it("are built from their source: npm run kernels:build reproduces both .wasm files byte for byte", () => {
    const out = tempDir("kernels");
    const script = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts["kernels:build"] as string;
    const builds = script.split("&&").map((command) => command.trim().split(/\s+/).slice(1));
    expect(builds.map((args) => args[args.indexOf("--outFile") + 1])).toEqual([
      "lib/kernels/gemm.wasm",
      "lib/kernels/gemm-relaxed.wasm",
    ]);
    for (const args of builds) {
      const committed = args[args.indexOf("--outFile") + 1];
      const rebuilt = path.join(out, path.basename(committed));
      execFileSync(
        process.execPath,
        [
          path.join(root, "node_modules/assemblyscript/bin/asc.js"),
          ...args.map((a) => (a === committed ? rebuilt : a)),
        ],
        { cwd: root, stdio: "pipe" },
      );
      expect(
        readFileSync(rebuilt).equals(readFileSync(path.join(root, committed))),
        `run npm run kernels:build and commit ${committed}`,
      ).toBe(true);
    }
  });
});

describe("weight placement across memories", () => {
  const entries = [
    { name: "a", begin: 0, end: 400 },
    { name: "b", begin: 400, end: 900 },
    { name: "c", begin: 900, end: 1000 },
    { name: "d", begin: 1000, end: 1600 },
  ];

  it("packs tensors in file order into blocks no larger than the limit", () => {
    expect(planSegments(entries, 1000)).toEqual([
      { begin: 0, end: 1000, names: ["a", "b", "c"] },
      { begin: 1000, end: 1600, names: ["d"] },
    ]);
    expect(planSegments(entries, 600).map((s) => s.names)).toEqual([["a"], ["b", "c"], ["d"]]);
    expect(planSegments(entries, 1e9).map((s) => s.names)).toEqual([["a", "b", "c", "d"]]);
    // bytes of no listed tensor (one read another way) are never read into a block
    expect(planSegments([entries[0], entries[2], entries[3]], 1e9)).toEqual([
      { begin: 0, end: 400, names: ["a"] },
      { begin: 900, end: 1600, names: ["c", "d"] },
    ]);
  });

  it("refuses a tensor larger than one memory, naming it", () => {
    expect(() => planSegments(entries, 550)).toThrow(
      /tensor "d" is 600 bytes, more than one block of memory holds \(550 bytes\)/,
    );
  });

  it("loads a checkpoint over several memories (simulated limit) with the same numbers as one buffer", () => {
    const file = path.join(tempDir("place"), "model.safetensors");
    writeFileSync(file, readFileSync(path.join(root, "tests/fixtures/tiny-gpt2/model.safetensors")));
    const whole = parseSafetensors(readFileSync(file)).tensors;
    const limit = 8 * 1024;
    const wasm = createWasmKernels(1, { arenaLimit: limit });
    pools.push(wasm);
    const blocks: Uint8Array[] = [];
    const placed = readSafetensors(file, (bytes) => blocks[blocks.push(wasm.allocate(bytes)) - 1], limit).tensors;
    expect(Object.keys(placed).sort()).toEqual(Object.keys(whole).sort());
    for (const name of Object.keys(whole)) expect(toNested(placed[name]), name).toEqual(toNested(whole[name]));
    expect(blocks.length, "the file is read in several blocks").toBeGreaterThan(2);
    expect(new Set(blocks.map((b) => b.buffer)).size, "blocks spread over several memories").toBeGreaterThan(1);
    // A weight from the last memory is multiplied in place, with the right numbers.
    const w = placed["ln_f.weight"] as Tensor;
    const job: GemmJob = {
      kind: "nt",
      x: random(3 * w.size),
      w: w.data,
      wOffset: w.offset,
      ldw: w.size,
      wBatchStride: 0,
      M: 3,
      K: w.size,
      N: 1,
      batch: 1,
    };
    expect(relativeError(wasm.gemm(job), jsKernels.gemm(job))).toBeLessThan(1e-5);
  });

  it("reads the tensors apart() names into ordinary memory, the rest into allocate's, with the same numbers", () => {
    const file = path.join(root, "tests/fixtures/tiny-gpt2/model.safetensors");
    const whole = parseSafetensors(readFileSync(file)).tensors;
    const given = new Set<ArrayBufferLike>();
    const allocate = (bytes: number) => {
      const block = new Uint8Array(bytes);
      given.add(block.buffer);
      return block;
    };
    const apart = ({ name }: { name: string }) => name.endsWith(".attn.bias") || name === "ln_f.weight";
    const read = readSafetensors(file, allocate, undefined, { apart }).tensors;
    expect(Object.keys(whole).filter((name) => apart({ name })).length).toBe(3); // two masks and ln_f.weight
    for (const name of Object.keys(whole)) {
      expect(toNested(read[name]), name).toEqual(toNested(whole[name]));
      expect(given.has(read[name].data.buffer), `${name} in allocate's memory`).toBe(!apart({ name }));
    }
  });

  it("reports a truncated file while reading tensor data", () => {
    const file = path.join(tempDir("trunc"), "model.safetensors");
    const bytes = readFileSync(path.join(root, "tests/fixtures/tiny-gpt2/model.safetensors"));
    writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    expect(() => readSafetensors(file, (n) => new Uint8Array(n))).toThrow(SafetensorsError);
  });
});
