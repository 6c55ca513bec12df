// What the framework's matrix products ask of a kernel backend (WebAssembly or plain JS).

/**
 * Y[b] = X[b]·W[b]ᵀ ("nt": each W is [N, K], PyTorch's Linear layout) or Y[b] = X[b]·W[b]
 * ("nn": each W is [K, N] with rows ldw floats apart, Hugging Face's Conv1D layout), b < batch;
 * or Y[b] = X[b]ᵀ·W[b] ("tn": X given as the [K, M] rows it is the transpose of, W as for nn),
 * a weight's gradient doutᵀ·x without copying doutᵀ.
 */
export interface GemmJob {
  kind: "nt" | "nn" | "tn";
  /** [batch, M, K], contiguous ([batch, K, M] for tn). */
  x: Float32Array;
  /**
   * The array holding W, and where batch 0's matrix starts in it (in numbers). A Uint16Array holds
   * bfloat16 numbers (the top half of each float32; nt and nn only), widened as they are read.
   */
  w: Float32Array | Uint16Array;
  wOffset: number;
  /** Numbers between one row of W and the next (nn and tn: nt's rows are K apart). */
  ldw: number;
  /** Numbers between the W of one batch and the next. */
  wBatchStride: number;
  M: number;
  K: number;
  N: number;
  batch: number;
  /** [N], added to every row of Y (a layer's bias), if given. */
  bias?: Float32Array;
}

/** The four arithmetic operations of F.add, F.sub, F.mul and F.div. */
export type BinaryOp = "add" | "sub" | "mul" | "div";

export interface Kernels {
  readonly name: "wasm" | "js";
  readonly threads: number;
  /** Which code runs the products, for benchmarks to print: "JavaScript loops", "WebAssembly SIMD128 + …". */
  readonly description: string;
  /** Returns Y (+ bias), [batch, M, N], as a new array. */
  gemm(job: GemmJob): Float32Array;
  /** Softmax of each row of n floats of x (rows of −∞ give zeros), as a new array. */
  softmax(x: Float32Array, n: number): Float32Array;
  /** Log-softmax of each row of n floats of x, (x − m) − log Σ exp(x − m) with m the row's maximum (rows of −∞ stay −∞), as a new array. */
  logSoftmax(x: Float32Array, n: number): Float32Array;
  /** tanh of every number of x, as a new array. */
  tanh(x: Float32Array): Float32Array;
  /** a[i] op b[i mod b.length] for every i, as a new array: b is one number, a row that repeats along a, or as long as a. */
  binary(op: BinaryOp, a: Float32Array, b: Float32Array): Float32Array;
  /**
   * GFLOP/s of multiply-adds on registers alone, on the calling thread or on every one: the most
   * arithmetic the kernels can do, which no product passes (WebAssembly only; benchmarks print it).
   */
  ceiling?(threaded: boolean): number;
  /** Zeroed bytes where the kernels read fastest (a checkpoint's weights are read into them). */
  allocate(bytes: number): Uint8Array;
  /** The most bytes one allocate() can give (a checkpoint is read in blocks of at most this). */
  readonly allocationLimit: number;
  /** Stops the helper threads (tensors already in its memory stay readable). */
  close(): void;
}
