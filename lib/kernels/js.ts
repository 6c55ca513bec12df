// The plain JavaScript kernels (matrix products, softmax, tanh, elementwise arithmetic): no SIMD,
// one thread. The reference the WebAssembly kernels are tested against, the path to step through
// in a debugger (GPT2_KERNELS=js), and where the wasm kernels send work too small to be worth it.
import type { BinaryOp, Kernels } from "./gemm-job.ts";
import { uninitialized } from "../memory.ts";

export const jsKernels: Kernels = {
  name: "js",
  threads: 1,
  description: "JavaScript loops, 1 thread",
  allocate: (bytes) => new Uint8Array(bytes),
  allocationLimit: 2 ** 31 - 1, // a typed array's length stays below 2³¹ on every Node this course runs on
  close: () => {},
  gemm(job) {
    const { M, K, N, batch } = job;
    const y = new Float32Array(batch * M * N);
    const w = job.w instanceof Uint16Array ? widenBf16(job.w) : job.w;
    for (let b = 0; b < batch; b++) {
      const x = job.x.subarray(b * M * K, (b + 1) * M * K);
      const out = y.subarray(b * M * N, (b + 1) * M * N);
      const w0 = job.wOffset + b * job.wBatchStride;
      if (job.kind === "nt") gemmNT(x, w, w0, out, M, K, N);
      else if (job.kind === "nn") gemmNN(x, w, w0, job.ldw, out, M, K, N);
      else gemmNN(transposed(x, K, M), w, w0, job.ldw, out, M, K, N); // tn: X is given as [K, M]
    }
    const { bias } = job;
    if (bias) for (let r = 0; r < batch * M; r++) for (let n = 0; n < N; n++) y[r * N + n] += bias[n];
    return y;
  },
  softmax: softmaxRows,
  logSoftmax: logSoftmaxRows,
  tanh: (x) => x.map(Math.tanh),
  binary: binaryRepeating,
};

/** a op b with b repeating along a (one number, or a row whose length divides a's): Kernels.binary in loops. */
export function binaryRepeating(op: BinaryOp, a: Float32Array, b: Float32Array): Float32Array {
  const out = uninitialized(a.length);
  // A single number is one long row with a step of 0 in b; a row repeats once per row of a.
  if (b.length === 1) combine(op, out, 0, a, 0, 1, b, 0, 0, out.length);
  else for (let base = 0; base < out.length; base += b.length) combine(op, out, base, a, base, 1, b, 0, 1, b.length);
  return out;
}

/** out[o + j] = A[pa + j·ia] op B[pb + j·ib] for j < n: one row, in a tight loop per operation (no call per element). */
export function combine(
  op: BinaryOp,
  out: Float32Array,
  o: number,
  A: Float32Array,
  pa: number,
  ia: number,
  B: Float32Array,
  pb: number,
  ib: number,
  n: number,
): void {
  switch (op) {
    case "add":
      for (let j = 0; j < n; j++) out[o + j] = A[pa + j * ia] + B[pb + j * ib];
      break;
    case "sub":
      for (let j = 0; j < n; j++) out[o + j] = A[pa + j * ia] - B[pb + j * ib];
      break;
    case "mul":
      for (let j = 0; j < n; j++) out[o + j] = A[pa + j * ia] * B[pb + j * ib];
      break;
    case "div":
      for (let j = 0; j < n; j++) out[o + j] = A[pa + j * ia] / B[pb + j * ib];
      break;
  }
}

/** Softmax over each row of n floats; subtracts the row max first so exp never overflows. */
export function softmaxRows(src: Float32Array, n: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let start = 0; start < src.length; start += n) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, src[start + i]);
    // A row that is entirely −∞ has no valid position; return zeros rather than NaN.
    if (m === -Infinity) continue;
    let s = 0;
    for (let i = 0; i < n; i++) s += out[start + i] = Math.exp(src[start + i] - m);
    for (let i = 0; i < n; i++) out[start + i] /= s;
  }
  return out;
}

/**
 * Log-softmax over each row of n floats: (x − m) − log Σ exp(x − m) with m the row's maximum, so
 * that exp never overflows. A row of −∞ stays −∞ (the log of softmax's zeros).
 */
export function logSoftmaxRows(src: Float32Array, n: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let start = 0; start < src.length; start += n) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, src[start + i]);
    if (m === -Infinity) {
      out.fill(-Infinity, start, start + n);
      continue;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(src[start + i] - m);
    const L = Math.log(s);
    for (let i = 0; i < n; i++) out[start + i] = src[start + i] - m - L;
  }
  return out;
}

/** bfloat16 numbers as float32: each 16 bits become the top half of a 32-bit float. */
function widenBf16(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/** A [rows, cols] row-major matrix's transpose, [cols, rows] row-major. */
function transposed(X: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(X.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = X[r * cols + c];
  return t;
}

/** out[m, n] = Σₖ X[m, k]·W[n, k]: dot products of contiguous rows, four rows of X per pass over W. */
function gemmNT(
  X: Float32Array,
  W: Float32Array,
  w0: number,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const x0 = m * K,
      x1 = x0 + K,
      x2 = x1 + K,
      x3 = x2 + K;
    for (let n = 0; n < N; n++) {
      const w = w0 + n * K;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = 0; k < K; k++) {
        const wk = W[w + k];
        s0 += X[x0 + k] * wk;
        s1 += X[x1 + k] * wk;
        s2 += X[x2 + k] * wk;
        s3 += X[x3 + k] * wk;
      }
      out[m * N + n] = s0;
      out[(m + 1) * N + n] = s1;
      out[(m + 2) * N + n] = s2;
      out[(m + 3) * N + n] = s3;
    }
  }
  for (; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const w = w0 + n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += X[m * K + k] * W[w + k];
      out[m * N + n] = s;
    }
  }
}

/** out[m, :] += X[m, k]·W[k, :] for each k: rows of W (ldw apart) stream through, four rows of X at a time. */
function gemmNN(
  X: Float32Array,
  W: Float32Array,
  w0: number,
  ldw: number,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const o0 = m * N,
      o1 = o0 + N,
      o2 = o1 + N,
      o3 = o2 + N;
    for (let k = 0; k < K; k++) {
      const a0 = X[m * K + k],
        a1 = X[(m + 1) * K + k],
        a2 = X[(m + 2) * K + k],
        a3 = X[(m + 3) * K + k];
      const w = w0 + k * ldw;
      for (let n = 0; n < N; n++) {
        const wn = W[w + n];
        out[o0 + n] += a0 * wn;
        out[o1 + n] += a1 * wn;
        out[o2 + n] += a2 * wn;
        out[o3 + n] += a3 * wn;
      }
    }
  }
  for (; m < M; m++) {
    const o = m * N;
    for (let k = 0; k < K; k++) {
      const a = X[m * K + k];
      const w = w0 + k * ldw;
      for (let n = 0; n < N; n++) out[o + n] += a * W[w + n];
    }
  }
}
