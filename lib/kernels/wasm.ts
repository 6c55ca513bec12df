// Matrix products in WebAssembly SIMD on every core.
//
// Memory. A WebAssembly module can only read its own linear memory, and one wasm32 memory
// holds at most 4 GiB. So numbers the kernels read live in "arenas": shared memories of up to
// ARENA_LIMIT bytes of weights each. A checkpoint's tensors are read from disk straight into an
// arena (no second copy), and the largest GPT-2 (6.2 GB) spreads over several. For each
// product the activations are copied into scratch space above the arena's weights, and the
// result copied out, so a tensor never keeps wasm memory alive after it is dropped.
//
// Threads. Each helper thread (worker.mjs) has an instance of the module for every arena.
// A product is published by writing the job into the arena and bumping a counter in a small
// shared control block; the threads, spinning or asleep in Atomics.wait, wake and take its
// shares ("chunks", CHUNKS_PER_THREAD per thread) one at a time from a shared counter until none
// is left. No message per product: a decoded token needs ~50 of them. Taking shares rather than
// being given one matters on a busy machine: when the system has not scheduled a helper, the
// calling thread does the shares itself instead of waiting for it.
//
// Builds. assembly/gemm.ts is compiled twice: gemm.wasm with SIMD128 alone, and gemm-relaxed.wasm
// whose products use relaxed SIMD's fused multiply-add (one rounding instead of two). The second
// runs where the runtime validates it (hasRelaxedSimd); GPT2_SIMD=plain chooses the first.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { BinaryOp, GemmJob, Kernels } from "./gemm-job.ts";
import { binaryRepeating, logSoftmaxRows, softmaxRows } from "./js.ts";
import { uninitialized } from "../memory.ts";

const PAGE = 65536;
/** Bytes of permanent data (weights) one arena takes, leaving room below 4 GiB for scratch. */
const ARENA_LIMIT = 3 * 2 ** 30;
/** wasm32's ceiling: 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;
/** The job header sits at address 0 (see assembly/gemm.ts); allocations start above it. */
const HEAP_BASE = 1024;
/** Products smaller than this many multiply-adds (and tanh of fewer numbers) run on the calling thread alone. */
const THREADED_MIN_WORK = 1 << 16;
/**
 * Softmaxes of fewer numbers stay in JavaScript: below this, copying into wasm memory and waking
 * the threads costs more than it saves (attention's are small; the loss's 50,257-way ones are not).
 */
const SOFTMAX_MIN_SIZE = 1 << 14;
/**
 * Elementwise arithmetic on fewer numbers stays in JavaScript: copying them into wasm memory and
 * back costs about what the loop does, ~1 ns a number (measured: even at 1,024 the two are level).
 */
const BINARY_MIN_SIZE = 1 << 11;
/**
 * Scratch bytes a job's x and y may take before it runs a band of rows at a time. Wasm memory
 * never shrinks: at GPT-2 124M the token table's gradient alone (x 103 MB, y 154 MB) kept 257 MB
 * of it for good, and the loss's softmax 103 MB. Fine-tuning 124M, 128 MiB of scratch peaked
 * 85 MiB higher than 32; at `npm run train`'s shape the two run at the same speed.
 */
const SCRATCH_BYTES = 32 * 2 ** 20;
/**
 * Rows of W per slice of a long nn product: the head's input gradient, dlogits·W, has K = 50,257,
 * and a column block of W packed for all of them (8 columns × 50,257 rows, 1.6 MB) leaves the
 * cache before the next four rows of X come back to it. In slices of 2,048 rows it stays: 62 → 82
 * GFLOP/s at 256 × 50,257 × 768, measured (321 → 241 ms); K up to 4 slices runs whole.
 */
const K_SLICE = 2048;
/** Words of a job's header (see assembly/gemm.ts). */
const JOB_WORDS = 15;
/** The job's kind word (see assembly/gemm.ts). */
const KIND_CODE = {
  nt: 0,
  nn: 1,
  tn: 2,
  softmax: 3,
  tanh: 4,
  binary: 5,
  ceiling: 6,
  rowSums: 7,
  shiftRows: 8,
} as const;
/** An elementwise job's operation, in its K word (OP_ADD … in assembly/gemm.ts). */
const OP_CODE = { add: 0, sub: 1, mul: 2, div: 3 } as const;

// Slots of the shared control block (the same numbers as in worker.mjs): Int32 slots, and the
// claim word, a BigInt64 slot: the job's generation × 2³² + the next chunk to take.
const GENERATION = 0;
const DONE = 1;
const ARENA = 2;
const COMPLETED = 3;
const CHUNKS = 4;
const CLAIM = 4;
const ATTACH = -1;
const SPIN = 200_000;
/** Shares per thread: small enough that a thread the system pauses holds up little of a product. */
const CHUNKS_PER_THREAD = 4;

interface KernelExports {
  run(thread: number, threads: number): void;
  splitsK(kind: number, M: number, batch: number, threads: number): number;
  sum_partials(threads: number): void;
  panel_bytes(K: number): number;
}

class Arena {
  /** Every SharedArrayBuffer this memory has been seen through (growing gives a new one). */
  readonly buffers = new Set<ArrayBufferLike>();
  /** End of the permanent allocations, in bytes; scratch starts here. */
  top = HEAP_BASE;
  readonly exports: KernelExports;
  private f32: Float32Array;

  constructor(
    readonly index: number,
    readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
  ) {
    this.exports = new WebAssembly.Instance(module, { env: { memory, abort: () => {} } })
      .exports as unknown as KernelExports;
    this.f32 = this.view();
  }

  /** A Float32Array over the whole memory as it is now (refreshed after growth). */
  view(): Float32Array {
    if (!this.f32 || this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.buffers.add(this.memory.buffer);
    }
    return this.f32;
  }

  /** Makes sure bytes [0, end) exist. */
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /** Reserves `bytes` for good (weights), 64-byte aligned. */
  allocate(bytes: number): Uint8Array {
    const at = align(this.top, 64);
    this.ensure(at + bytes);
    this.top = at + bytes;
    return new Uint8Array(this.view().buffer, at, bytes);
  }
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Rows of Y per band so that a band's x (K numbers a row) and y (N) fit in `bytes`: a multiple of 4, at least 4. */
function bandRows(bytes: number, K: number, N: number): number {
  return Math.max(4, Math.floor(bytes / 4 / (K + N) / 4) * 4);
}

/** A row of at least `length` floats, padded to an odd number of 64-byte cache lines. */
function paddedRow(length: number): number {
  const lines = Math.ceil(length / 16);
  return (lines % 2 === 1 ? lines : lines + 1) * 16;
}

/** The two builds of assembly/gemm.ts: plain SIMD128, and with relaxed SIMD's fused multiply-add. */
export type SimdBuild = "plain" | "relaxed";

const compiled = new Map<SimdBuild, WebAssembly.Module>();
function kernelModule(build: SimdBuild): WebAssembly.Module {
  let module = compiled.get(build);
  if (!module) {
    module = new WebAssembly.Module(kernelBytes(build));
    compiled.set(build, module);
  }
  return module;
}

function kernelBytes(build: SimdBuild): Buffer<ArrayBuffer> {
  return readFileSync(new URL(build === "relaxed" ? "./gemm-relaxed.wasm" : "./gemm.wasm", import.meta.url));
}

let relaxedValid: boolean | undefined;
/**
 * True when this runtime runs relaxed SIMD. Node 20's V8 has it behind a flag, which must be set
 * before the module is compiled; later Nodes have it on, and a runtime without it fails validation.
 */
export function hasRelaxedSimd(): boolean {
  if (relaxedValid === undefined) {
    try {
      setFlagsFromString("--experimental-wasm-relaxed-simd");
    } catch {
      // a runtime without V8's flags: validation below decides
    }
    relaxedValid = WebAssembly.validate(kernelBytes("relaxed"));
  }
  return relaxedValid;
}

/** The build to use unless told otherwise: GPT2_SIMD=plain|relaxed, else relaxed where the runtime has it. */
export function defaultSimd(): SimdBuild {
  const fromEnv = process.env.GPT2_SIMD;
  if (fromEnv === "plain" || fromEnv === "relaxed") return fromEnv;
  return hasRelaxedSimd() ? "relaxed" : "plain";
}

/** The threads to use unless told otherwise: GPT2_THREADS, else every core. */
export function defaultThreads(): number {
  const fromEnv = Number(process.env.GPT2_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

export interface WasmOptions {
  /** Bytes of weights per memory (tests simulate a small one). */
  arenaLimit?: number;
  /** Products with fewer multiply-adds run on the calling thread alone (tests use 0). */
  threadedMinWork?: number;
  /** Softmaxes of fewer numbers run in JavaScript (tests use 0). */
  softmaxMinSize?: number;
  /** Elementwise arithmetic on fewer numbers runs in JavaScript (tests use 0). */
  binaryMinSize?: number;
  /** Which build of the kernels (default: defaultSimd()). */
  simd?: SimdBuild;
  /** Scratch bytes of a job before it runs in bands of rows (tests use a small one). */
  scratchBytes?: number;
  /** Rows of W per slice of an nn product with more than 4 slices' worth (tests use a small one). */
  kSlice?: number;
}

/** Starts the wasm kernels with `threads` threads in all (the caller's plus threads − 1 helpers). */
export function createWasmKernels(threads: number, options: WasmOptions = {}): Kernels {
  return new WasmKernels(threads, options);
}

class WasmKernels implements Kernels {
  readonly name = "wasm";
  readonly allocationLimit: number;
  readonly description: string;
  private readonly threadedMinWork: number;
  private readonly softmaxMinSize: number;
  private readonly binaryMinSize: number;
  private readonly scratchBytes: number;
  private readonly kSlice: number;
  private readonly module: WebAssembly.Module;
  private readonly control = new Int32Array(new SharedArrayBuffer(40));
  private readonly claim = new BigInt64Array(this.control.buffer);
  private readonly arenas: Arena[] = [];
  private readonly helpers: { worker: Worker; port: MessagePort }[] = [];

  constructor(
    readonly threads: number,
    {
      arenaLimit = ARENA_LIMIT,
      threadedMinWork = THREADED_MIN_WORK,
      softmaxMinSize = SOFTMAX_MIN_SIZE,
      binaryMinSize = BINARY_MIN_SIZE,
      simd = defaultSimd(),
      scratchBytes = SCRATCH_BYTES,
      kSlice = K_SLICE,
    }: WasmOptions = {},
  ) {
    if (simd === "relaxed" && !hasRelaxedSimd())
      throw new Error(
        "wasm kernels: this runtime has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)",
      );
    this.module = kernelModule(simd);
    this.description = `WebAssembly SIMD128${simd === "relaxed" ? " + relaxed-SIMD FMA" : " (no FMA)"}, ${threads} thread(s)`;
    this.allocationLimit = arenaLimit;
    this.threadedMinWork = threadedMinWork;
    this.softmaxMinSize = softmaxMinSize;
    this.binaryMinSize = binaryMinSize;
    this.scratchBytes = scratchBytes;
    this.kSlice = kSlice;
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL("./worker.mjs", import.meta.url), {
        workerData: { module: this.module, control: this.control.buffer, port: port2 },
        transferList: [port2],
      });
      worker.unref(); // helpers never keep the process alive
      port1.unref();
      this.helpers.push({ worker, port: port1 });
    }
    this.addArena(); // arena 0: scratch for products whose operands live in ordinary JavaScript memory
  }

  allocate(bytes: number): Uint8Array {
    if (bytes > this.allocationLimit)
      throw new RangeError(
        `wasm kernels: one tensor of ${bytes} bytes is larger than an arena (${this.allocationLimit} bytes)`,
      );
    const arena = this.arenas.find((a) => a.top + bytes <= this.allocationLimit + HEAP_BASE) ?? this.addArena();
    return arena.allocate(bytes);
  }

  gemm(job: GemmJob): Float32Array {
    const { kind, M, K, N, batch } = job;
    if (kind === "nn" && batch === 1 && K > 4 * this.kSlice) return this.slicedK(job);
    const out = uninitialized(batch * M * N);
    if (batch > 1) return this.product(job, out);
    // x's rows as the kernel reads them: K rows of M numbers for tn, M rows of K otherwise.
    return this.inBands(job, out, 0, kind === "tn" ? M : K);
  }

  /**
   * Y of a product of one batch into out, a band of Y's rows at a time when the product is large
   * (the logits, the token table's gradient), each sum over K in the same order as in one piece.
   * x's rows are `stride` numbers apart, and the job reads its part of each from `first` on.
   */
  private inBands(job: GemmJob, out: Float32Array, first: number, stride: number): Float32Array {
    const { kind, M, K, N } = job;
    const rows = bandRows(this.scratchBytes, K, N);
    // The last band takes up to 3 rows more: a band of fewer than 4 rows would take decoding's
    // split-K path, which adds in another order.
    for (let m0 = 0, m1 = 0; m0 < M; m0 = m1) {
      m1 = M - m0 < rows + 4 ? M : m0 + rows;
      // A tn product's band is columns m0 … m1 of each of x's K rows; another's, rows m0 … m1.
      this.product({ ...job, M: m1 - m0 }, out, m0 * N, { first: first + (kind === "tn" ? m0 : m0 * stride), stride });
    }
    return out;
  }

  /**
   * An nn product with a long K, as the sum of products over slices of K (see K_SLICE): each
   * slice's columns of X gathered from its rows into scratch, its rows of W read in place. The
   * bias, if any, comes with the first slice.
   */
  private slicedK(job: GemmJob): Float32Array {
    const { M, K, N } = job;
    const sum = uninitialized(M * N);
    let part: Float32Array | undefined;
    for (let k0 = 0, k1 = 0; k0 < K; k0 = k1) {
      k1 = K - k0 < 2 * this.kSlice ? K : k0 + this.kSlice; // no slice shorter than kSlice
      const slice = { ...job, wOffset: job.wOffset + k0 * job.ldw, K: k1 - k0, bias: k0 ? undefined : job.bias };
      if (k0 === 0) this.inBands(slice, sum, 0, K);
      else {
        part = this.inBands(slice, part ?? uninitialized(M * N), k0, K);
        for (let i = 0; i < sum.length; i++) sum[i] += part[i];
      }
    }
    return sum;
  }

  /**
   * Y of `job` (one band of rows, or all of them) into out[at …]. x's rows as the kernel reads them
   * (K rows of M numbers for tn, M rows of K otherwise) are `gather.stride` numbers apart in x, from
   * `gather.first` on, when the job is a band or a slice of a larger product; else x is just them.
   */
  private product(job: GemmJob, out: Float32Array, at = 0, gather?: { first: number; stride: number }): Float32Array {
    const { kind, x, w, M, K, N, batch } = job;
    // A weight gradient's tn product reads X down its columns, one number from each of K rows.
    // Rows 8 KiB or 12 KiB apart (M = 2,048 or 3,072) all fall in one set of the L1 cache, which
    // holds 8 of them: so long rows go into scratch an odd number of cache lines apart.
    const ldx = kind === "tn" && batch === 1 && M >= 1024 ? paddedRow(M) : M;
    const bf16 = w instanceof Uint16Array;
    const size = w.BYTES_PER_ELEMENT;
    const wRows = kind === "nt" ? N : K;
    const wRowStride = kind === "nt" ? K : job.ldw;
    // Numbers of W the product reads, from wOffset on.
    const wExtent = (batch - 1) * job.wBatchStride + (wRows - 1) * wRowStride + (kind === "nt" ? K : N);
    const home = this.arenaOf(w);
    const arena = home ?? this.arenas[0];
    const kindCode = KIND_CODE[kind];
    const parallel = this.helpers.length > 0 && batch * M * K * N >= this.threadedMinWork ? this.chunks : 1;
    const splitK = parallel > 1 && arena.exports.splitsK(kindCode, M, batch, parallel) !== 0;
    // Scratch above the arena's tensors: x, y, the split-K partial sums, each thread's panel for
    // packing W (nn and tn), and W unless it lives here.
    const yBytes = batch * M * N * 4;
    const xAt = align(arena.top, 64);
    const yAt = align(xAt + batch * ldx * K * 4, 64);
    const partialsAt = align(yAt + yBytes, 64);
    const panelsAt = align(partialsAt + (splitK ? (parallel - 1) * yBytes : 0), 64);
    const packs = kind !== "nt" || bf16;
    const biasAt = align(panelsAt + (packs ? parallel * arena.exports.panel_bytes(K) : 0), 64);
    const wAt = align(biasAt + (job.bias ? N * 4 : 0), 64);
    arena.ensure(wAt + (home ? 0 : wExtent * size));
    const heap = arena.view();
    const [rows, length, scratchStride] = kind === "tn" ? [batch * K, M, ldx] : [batch * M, K, K];
    const { first, stride } = gather ?? { first: 0, stride: length };
    if (stride === length && scratchStride === length) heap.set(x.subarray(first, first + rows * length), xAt / 4);
    else
      for (let r = 0, from = first; r < rows; r++, from += stride)
        heap.set(x.subarray(from, from + length), xAt / 4 + r * scratchStride);
    if (job.bias) heap.set(job.bias, biasAt / 4);
    if (!home)
      new Uint8Array(heap.buffer).set(new Uint8Array(w.buffer, w.byteOffset + job.wOffset * size, wExtent * size), wAt);
    const wAddress = home ? w.byteOffset + job.wOffset * size : wAt;
    this.writeJob(arena, [
      kindCode,
      xAt,
      wAddress,
      yAt,
      M,
      K,
      N,
      job.ldw,
      batch,
      job.wBatchStride * size,
      partialsAt,
      panelsAt,
      job.bias ? biasAt : 0,
      bf16 ? 1 : 0,
      ldx,
    ]);
    this.runJob(arena, parallel);
    if (splitK) arena.exports.sum_partials(parallel);
    out.set(heap.subarray(yAt / 4, yAt / 4 + batch * M * N), at);
    return out;
  }

  softmax(x: Float32Array, n: number): Float32Array {
    if (x.length < this.softmaxMinSize) return softmaxRows(x, n);
    return this.inPlace(x, KIND_CODE.softmax, x.length / n, n, this.helpers.length > 0);
  }

  logSoftmax(x: Float32Array, n: number): Float32Array {
    if (x.length < this.softmaxMinSize) return logSoftmaxRows(x, n);
    // Bands of whole rows, in place in scratch, in two jobs: the first finds each row's maximum m
    // and Σ exp(x − m) into a strip after the band, the sum becomes its log here, and the second
    // (the band's own job) writes (x − m) − log of the sum.
    const arena = this.arenas[0];
    const rows = Math.min(x.length / n, Math.max(1, Math.floor(this.scratchBytes / 4 / n)));
    const xAt = align(arena.top, 64);
    const pairsAt = align(xAt + rows * n * 4, 64);
    arena.ensure(pairsAt + rows * 8);
    const threaded = this.helpers.length > 0;
    return this.banded(x, xAt, rows * n, threaded, (_, count) => {
      const inBand = count / n;
      this.writeJob(arena, [KIND_CODE.rowSums, xAt, 0, pairsAt, inBand, 0, n, 0, 1]);
      this.runJob(arena, threaded ? this.chunks : 1);
      const heap = arena.view();
      for (let r = 0, sum = pairsAt / 4 + 1; r < inBand; r++, sum += 2) heap[sum] = Math.log(heap[sum]);
      return [KIND_CODE.shiftRows, xAt, pairsAt, xAt, inBand, 0, n, 0, 1];
    });
  }

  tanh(x: Float32Array): Float32Array {
    // In wasm memory even when small (Math.tanh costs ~40 ns a number); on every core when large.
    return this.inPlace(x, KIND_CODE.tanh, x.length, 0, this.helpers.length > 0 && x.length >= this.threadedMinWork);
  }

  binary(op: BinaryOp, a: Float32Array, b: Float32Array): Float32Array {
    if (a.length < this.binaryMinSize || b.length === 0) return binaryRepeating(op, a, b);
    // b as long as a moves with each band; a shorter b (a number, a row) is copied once, and the
    // bands start on its multiples so that it lines up with each of them.
    const whole = b.length === a.length;
    const unit = whole ? 1 : b.length;
    const arena = this.arenas[0];
    const bAt = align(arena.top, 64);
    const xAt = align(bAt + (whole ? 0 : b.length * 4), 64);
    const perBand = Math.max(unit, Math.floor(this.scratchBytes / 4 / (whole ? 2 : 1) / unit) * unit);
    const band = Math.min(a.length, perBand);
    const wAt = whole ? align(xAt + band * 4, 64) : bAt;
    arena.ensure((whole ? wAt : xAt) + band * 4);
    if (!whole) arena.view().set(b, bAt / 4);
    const threaded = this.helpers.length > 0 && a.length >= this.threadedMinWork;
    return this.banded(a, xAt, band, threaded, (from, count) => {
      if (whole) arena.view().set(b.subarray(from, from + count), wAt / 4);
      const period = whole ? count : b.length;
      return [KIND_CODE.binary, xAt, wAt, 0, count, OP_CODE[op], period, 0, 1, 0, 0, 0, 0, 0];
    });
  }

  /**
   * A job that works in place in scratch (softmax, tanh) on M rows of N numbers (tanh: rows of one):
   * x goes in, the result comes out where it was, a band of rows at a time when x is large.
   */
  private inPlace(x: Float32Array, kind: number, M: number, N: number, threaded: boolean): Float32Array {
    const width = Math.max(N, 1);
    const rows = Math.max(1, Math.floor(this.scratchBytes / 4 / width));
    const at = align(this.arenas[0].top, 64);
    const band = Math.min(M, rows) * width;
    this.arenas[0].ensure(at + band * 4);
    return this.banded(x, at, band, threaded, (_, count) => [
      kind,
      at,
      0,
      at,
      count / width,
      0,
      N,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
    ]);
  }

  /**
   * Runs a job that works in place in arena 0's scratch at `at` (made large enough by the caller),
   * `band` numbers of x at a time: each band goes in, `words(from, count)` places anything else
   * the band needs (or computes it, as log-softmax's first pass) and gives the job's first fourteen
   * words, and the result comes out where it was.
   */
  private banded(
    x: Float32Array,
    at: number,
    band: number,
    threaded: boolean,
    words: (from: number, count: number) => number[],
  ): Float32Array {
    const arena = this.arenas[0];
    const heap = arena.view();
    const out = uninitialized(x.length);
    for (let from = 0; from < x.length; from += band) {
      const count = Math.min(band, x.length - from);
      heap.set(x.subarray(from, from + count), at / 4);
      this.writeJob(arena, words(from, count));
      this.runJob(arena, threaded ? this.chunks : 1);
      out.set(heap.subarray(at / 4, at / 4 + count), from);
    }
    return out;
  }

  /**
   * GFLOP/s of multiply-adds on registers alone, on this thread or on every one: the most
   * arithmetic this build does, which no product can pass. The best of `repeats` runs counts:
   * the others lost time to something else.
   */
  ceiling(threaded: boolean, repeats = 5): number {
    const rounds = 2 ** 22; // × 96 floating-point operations: ~7 ms a share on the reference machine
    const chunks = threaded ? this.chunks : 1;
    const arena = this.arenas[0];
    const at = align(arena.top, 64);
    arena.ensure(at + chunks * 4);
    this.writeJob(arena, [KIND_CODE.ceiling, 0, 0, at, rounds, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      this.runJob(arena, chunks);
      best = Math.min(best, performance.now() - start);
    }
    return (chunks * rounds * 96) / best / 1e6;
  }

  close(): void {
    for (const { worker } of this.helpers) void worker.terminate();
    this.helpers.length = 0;
  }

  /** Shares of a product when the helpers take part. */
  private get chunks(): number {
    return this.threads * CHUNKS_PER_THREAD;
  }

  /** Publishes a new job (its chunks, or an attach) to the helpers and returns its generation. */
  private publish(arenaIndex: number, chunks: number): void {
    const { control } = this;
    const generation = Atomics.load(control, GENERATION) + 1;
    // The claim word first: a helper still taking chunks of the last job now finds none.
    Atomics.store(this.claim, CLAIM, BigInt(generation) << 32n);
    Atomics.store(control, ARENA, arenaIndex);
    Atomics.store(control, CHUNKS, chunks);
    Atomics.store(control, COMPLETED, 0);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, GENERATION, generation);
    Atomics.notify(control, GENERATION);
  }

  /** Waits, spinning and then sleeping, until control[slot] reaches `want`. */
  private await(slot: number, want: number): void {
    const { control } = this;
    let spins = 0;
    for (let now = Atomics.load(control, slot); now < want; now = Atomics.load(control, slot)) {
      if (++spins > SPIN) Atomics.wait(control, slot, now, 1);
    }
  }

  private addArena(): Arena {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const arena = new Arena(this.arenas.length, memory, this.module);
    this.arenas.push(arena);
    if (this.helpers.length) {
      for (const { port } of this.helpers) port.postMessage(memory);
      this.publish(ATTACH, 0); // every helper must instantiate the module for it
      this.await(DONE, this.helpers.length);
    }
    return arena;
  }

  /** The arena that holds `array`'s memory, if any. */
  private arenaOf(array: Float32Array | Uint16Array): Arena | undefined {
    return this.arenas.find((a) => a.buffers.has(array.buffer));
  }

  /** Writes a job's words at address 0 (the layout in assembly/gemm.ts), zeros for any it leaves out. */
  private writeJob(arena: Arena, words: number[]): void {
    const header = new Uint32Array(arena.memory.buffer, 0, JOB_WORDS);
    header.fill(0);
    header.set(words);
  }

  /** Runs the job written in `arena` in `chunks` shares, taken by whichever threads are running. */
  private runJob(arena: Arena, chunks: number): void {
    if (chunks === 1) {
      arena.exports.run(0, 1);
      return;
    }
    this.publish(arena.index, chunks);
    for (let c = Number(Atomics.add(this.claim, CLAIM, 1n) & 0xffffffffn); c < chunks; ) {
      arena.exports.run(c, chunks);
      Atomics.add(this.control, COMPLETED, 1);
      c = Number(Atomics.add(this.claim, CLAIM, 1n) & 0xffffffffn);
    }
    this.await(COMPLETED, chunks);
  }
}
