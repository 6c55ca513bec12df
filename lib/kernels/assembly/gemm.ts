// Matrix products in WebAssembly SIMD (AssemblyScript). Compiled by `npm run kernels:build`
// into ../gemm.wasm; a test rebuilds it and checks that the bytes are identical.
//
// Every pointer is a byte offset into the shared memory the module imports; every matrix is
// row-major float32 (or bfloat16, below). The caller writes a job (below) at address 0, cuts it
// into `threads` shares, and the threads call run(t, threads) for shares t they take: each
// computes its own part of the output, so no two write the same number and none waits for
// another until the whole product is done.
//
// Why two kernels: a weight stored [out, in] (PyTorch's Linear) makes each output a dot product
// of two contiguous rows ("nt": Y = X·Wᵀ); a weight stored [in, out] (Hugging Face's Conv1D, or
// the right operand of attention's weights·v) makes each input a scaled row added to the output
// ("nn": Y = X·W). Each kernel keeps a small tile of outputs in SIMD registers while it walks K,
// so every weight value loaded from memory is used for four rows of X.
//
// W may also hold bfloat16 numbers (WTYPE), half the bytes of float32: decoding reads every weight
// once per token, so it runs up to twice as fast. Each bfloat16 is widened to float32 in registers
// (widen_lo/widen_hi) and the arithmetic is float32's.
//
// A third kind reads X transposed ("tn": Y = Xᵀ·W, X stored [K, M]): the gradient of a weight,
// doutᵀ·x, without first copying doutᵀ into rows. It is gemm_nn with X's two strides swapped.
// A fourth is not a product: the row-wise softmax of X, on every core too (training's
// 50,257-way softmax is as much work as a product). A fifth is tanh of every number of X, for
// GELU: Math.tanh costs ~40 ns a number, a third of a GPT-2 prefill's time outside the products.
// A sixth is the elementwise arithmetic of F.add, F.sub, F.mul and F.div when one operand repeats
// along the other (a number, a row like a bias, or the whole tensor): JavaScript does one number at
// a time, SIMD four, on every core. Float32 arithmetic either way, so the results are the same.
// A seventh reads no memory at all: multiply-adds on registers, the most arithmetic this build can
// do per second, which `npm run bench` prints as the ceiling the products work under. The eighth
// and ninth make a log-softmax, a training loss's, in two passes over each row: its maximum m and
// Σ exp(x − m), then (x − m) − log of the sum. At `npm run train`'s shape that is 25.7 million
// exponentials a step, a third of its time as a JavaScript loop. The caller takes the one
// logarithm a row in between (a logarithm here would bring tables into memory that the job's words
// at address 0 overwrite).

// The job, at address 0 (fifteen 32-bit words): what kind of product, where its operands are, its
// sizes, and for a batch of products (attention's heads) how far apart their operands start.
const KIND = 0; //      0: Y = X·Wᵀ (gemm_nt)   1: Y = X·W (gemm_nn)   2: Y = Xᵀ·W (gemm_nn, X [K, M])   3: softmax   4: tanh   5: X op= W   6: ceiling   7, 8: log-softmax
const X = 4; //         address of X, [batch, M, K] ([batch, K, M] for kind 2; [M, N] rows for softmax and kinds 7, 8; M numbers for tanh and kind 5)
const W = 8; //         address of W, batch b at W + b·WSTRIDE (kind 5: N numbers, repeating along X; kind 8: M pairs)
const Y = 12; //        address of Y, [batch, M, N] (kind 7: M pairs of numbers, two a row)
const M_ = 16;
const K_ = 20; //       (kind 5: the operation, OP_ADD … OP_DIV)
const N_ = 24;
const LDW = 28; //      floats from one row of W to the next (gemm_nn)
const BATCH = 32;
const WSTRIDE = 36; //  bytes from one batch's W to the next
const PARTIALS = 40; // scratch for threads 1 … threads − 1's partial sums (a split-K matrix-vector product)
const PANELS = 44; //   scratch for each thread's packed block of W (gemm_nn), panel_bytes(K) apart
const BIAS = 48; //     address of a bias [N] added to every row of Y, or 0 for none
const WTYPE = 52; //    W's numbers: 0 float32, 1 bfloat16 (2 bytes each, the top half of a float32)
const LDX = 56; //      kind 2: floats from one row of X to the next (at least M: wasm.ts pads long rows)

/**
 * Share t of `threads` (the job is cut into that many; wasm.ts hands them to whichever thread is
 * free): whole products of a batch when there are enough, else a range of columns.
 */
export function run(t: i32, threads: i32): void {
  const kind = load<i32>(KIND);
  const M = load<i32>(M_), K = load<i32>(K_), N = load<i32>(N_);
  const batch = load<i32>(BATCH);
  if (kind == CEILING) {
    // M rounds per share; each share's result goes to its own number of Y, so none is optimized away.
    store<f32>(<usize>load<u32>(Y) + (<usize>t << 2), ceiling(M));
    return;
  }
  if (kind == SOFTMAX || kind == ROW_SUMS || kind == SHIFT_ROWS) {
    // Whole rows per thread: each row's maximum and sum need the whole row.
    const r0 = <i32>((<i64>M * t) / threads), r1 = <i32>((<i64>M * (t + 1)) / threads);
    const x = <usize>load<u32>(X), y = <usize>load<u32>(Y), row = <usize>N << 2;
    if (kind == SOFTMAX) for (let r = r0; r < r1; r++) softmax_row(x + <usize>r * row, y + <usize>r * row, N);
    else if (kind == ROW_SUMS) for (let r = r0; r < r1; r++) shifted_sum_row(x + <usize>r * row, y + (<usize>r << 3), N);
    else {
      const pairs = <usize>load<u32>(W);
      for (let r = r0; r < r1; r++) shift_row(x + <usize>r * row, pairs + (<usize>r << 3), y + <usize>r * row, N);
    }
    return;
  }
  if (kind == TANH) {
    // A range of the M numbers per thread, starting on whole vectors.
    const i0 = <i32>((<i64>M * t) / threads) & ~3, i1 = t == threads - 1 ? M : <i32>((<i64>M * (t + 1)) / threads) & ~3;
    const at = <usize>i0 << 2;
    tanh_span(<usize>load<u32>(X) + at, <usize>load<u32>(Y) + at, i1 - i0);
    return;
  }
  if (kind == BINARY) {
    // A range of the M numbers per thread, starting on whole vectors; W's N numbers repeat along it.
    const i0 = <i32>((<i64>M * t) / threads) & ~3, i1 = t == threads - 1 ? M : <i32>((<i64>M * (t + 1)) / threads) & ~3;
    binary_span(K, <usize>load<u32>(X), <usize>load<u32>(W), i0, i1, N);
    return;
  }
  if (splitsK(kind, M, batch, threads)) {
    // Decoding through a [K, N] weight: each thread streams a contiguous band of W's rows (memory
    // reads fastest front to back) into its own partial sums; sum_partials adds them up.
    const k0 = <i32>((<i64>K * t) / threads), k1 = <i32>((<i64>K * (t + 1)) / threads);
    const rowW = <usize>load<i32>(LDW) << (load<i32>(WTYPE) != 0 ? 1 : 2);
    const out = t == 0 ? <usize>load<u32>(Y) : <usize>load<u32>(PARTIALS) + (<usize>(t - 1) * M * N << 2);
    const bf16 = load<i32>(WTYPE) != 0;
    const x = <usize>load<u32>(X) + (<usize>k0 << 2), w = <usize>load<u32>(W) + <usize>k0 * rowW;
    for (let m = 0; m < M; m++) {
      const xr = x + (<usize>m * K << 2), yr = out + (<usize>m * N << 2);
      if (bf16) gemv_nn_bf16(xr, 4, w, yr, k1 - k0, rowW, 0, N);
      else gemv_nn(xr, 4, w, yr, k1 - k0, rowW, 0, N);
    }
    return;
  }
  let b0 = 0, b1 = batch, n0 = 0, n1 = N;
  if (batch >= threads) {
    b0 = <i32>((<i64>batch * t) / threads);
    b1 = <i32>((<i64>batch * (t + 1)) / threads);
  } else {
    // Column ranges on multiples of 8, so every thread's share stays on the SIMD tiles.
    n0 = <i32>((<i64>(N >> 3) * t) / threads) << 3;
    n1 = t == threads - 1 ? N : <i32>((<i64>(N >> 3) * (t + 1)) / threads) << 3;
  }
  const x = <usize>load<u32>(X), w = <usize>load<u32>(W), y = <usize>load<u32>(Y);
  const ldw = load<i32>(LDW);
  const wStride = <usize>load<u32>(WSTRIDE);
  const xStride = <usize>M * K << 2, yStride = <usize>M * N << 2;
  const panel = <usize>load<u32>(PANELS) + <usize>t * <usize>panel_bytes(K);
  // Bytes from X[m, k] to X[m + 1, k] and to X[m, k + 1]: a row-major X, or a transposed one.
  const xm: usize = kind == TN ? 4 : <usize>K << 2, xk: usize = kind == TN ? <usize>load<i32>(LDX) << 2 : 4;
  const bias = <usize>load<u32>(BIAS);
  const bf16 = load<i32>(WTYPE) != 0;
  for (let b = b0; b < b1; b++) {
    const yb = y + <usize>b * yStride;
    gemm(kind, x + <usize>b * xStride, w + <usize>b * wStride, yb, M, K, N, ldw, n0, n1, xm, xk, panel, bf16);
    if (bias) add_bias(yb, bias, M, N, n0, n1);
  }
}

/** Y[m, n] += bias[n] for every row m and n in [n0, n1), while this thread's share of Y is in its cache. */
function add_bias(y: usize, bias: usize, M: i32, N: i32, n0: i32, n1: i32): void {
  const n4 = n0 + ((n1 - n0) & ~3);
  for (let m = 0; m < M; m++) {
    const row = y + (<usize>m * N << 2);
    for (let n = n0; n < n4; n += 4) {
      const o = <usize>n << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (let n = n4; n < n1; n++) {
      const o = <usize>n << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

const TN = 2;
const SOFTMAX = 3;
const TANH = 4;
const BINARY = 5;
const CEILING = 6;
const ROW_SUMS = 7;
const SHIFT_ROWS = 8;
const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2;

/** True when run() splits the product along K (see there); the caller then calls sum_partials. */
export function splitsK(kind: i32, M: i32, batch: i32, threads: i32): bool {
  return kind == 1 && M < 4 && batch == 1 && threads > 1;
}

/** Adds threads 1 … threads − 1's partial sums (and the bias) into Y, after a split-K run. */
export function sum_partials(threads: i32): void {
  const M = load<i32>(M_), N = load<i32>(N_);
  const count = M * N;
  const y = <usize>load<u32>(Y), partials = <usize>load<u32>(PARTIALS), bias = <usize>load<u32>(BIAS);
  const bytes = <usize>count << 2, bytes4 = <usize>(count & ~3) << 2;
  for (let t = 1; t < threads; t++) {
    const p = partials + <usize>(t - 1) * bytes;
    for (let o: usize = 0; o < bytes4; o += 16) v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(p + o)));
    for (let o = bytes4; o < bytes; o += 4) store<f32>(y + o, load<f32>(y + o) + load<f32>(p + o));
  }
  if (bias) add_bias(y, bias, M, N, 0, N);
}

/** Bytes of W one column block may span: small enough to stay in a core's L2 cache. */
const BLOCK_BYTES = 128 * 1024;

/** Columns of one block of a [K, N] weight: a multiple of 8 (whole SIMD tiles), at least 8. */
function block_columns(K: i32): i32 {
  return max(8, (BLOCK_BYTES / (K << 2)) & ~7);
}

/** Bytes of scratch each thread needs to pack one column block of W (gemm_nn). */
export function panel_bytes(K: i32): i32 {
  return (K * block_columns(K)) << 2;
}

/**
 * One product, columns n0 … n1 − 1. Rows go four at a time through column blocks whose slice
 * of W fits in the cache, so W comes from memory once rather than once per four rows; the last
 * M mod 4 rows (all of them when decoding) stream W whole, front to back. ldw counts W's numbers
 * (float32 or bfloat16).
 */
function gemm(
  kind: i32, x: usize, w: usize, y: usize, M: i32, K: i32, N: i32, ldw: i32, n0: i32, n1: i32, xm: usize, xk: usize,
  panel: usize, bf16: bool,
): void {
  const M4 = M & ~3;
  if (M4 > 0) {
    const nb = block_columns(K);
    for (let b = n0; b < n1; b += nb) {
      const e = min(b + nb, n1);
      if (kind == 0 && !bf16) gemm_nt(x, w, y, M4, K, N, b, e);
      else gemm_packed(kind, x, w, y, M4, K, N, ldw, b, e, xm, xk, panel, bf16);
    }
  }
  const rowY = <usize>N << 2;
  const rowW = <usize>ldw << (bf16 ? 1 : 2);
  for (let m = M4; m < M; m++) {
    const xr = x + <usize>m * xm, yr = y + <usize>m * rowY;
    if (kind == 0 && bf16) gemv_nt_bf16(xr, w, yr, K, n0, n1);
    else if (kind == 0) gemm_nt(xr, w, yr, 1, K, N, n0, n1);
    else if (bf16) gemv_nn_bf16(xr, xk, w, yr, K, rowW, n0, n1);
    else gemv_nn(xr, xk, w, yr, K, rowW, n0, n1);
  }
}

/** Y[m, n] = Σₖ X[m, k]·W[n, k] for n in [n0, n1). X is [M, K], W is [N, K], Y is [M, N]. */
function gemm_nt(x: usize, w: usize, y: usize, M: i32, K: i32, N: i32, n0: i32, n1: i32): void {
  const K4 = K & ~3;
  const rowX = <usize>K << 2;
  const rowY = <usize>N << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const x0 = x + <usize>m * rowX;
    const x1 = x0 + rowX;
    const x2 = x1 + rowX;
    const x3 = x2 + rowX;
    const y0 = y + <usize>m * rowY;
    let n = n0;
    for (; n + 2 <= n1; n += 2) {
      // A 4 × 2 tile: 8 accumulators, each holding 4 partial sums along K.
      const w0 = w + <usize>n * rowX;
      const w1 = w0 + rowX;
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let k: usize = 0; k < <usize>K4 << 2; k += 16) {
        const b0 = v128.load(w0 + k);
        const b1 = v128.load(w1 + k);
        const r0 = v128.load(x0 + k);
        a00 = madd(r0, b0, a00);
        a01 = madd(r0, b1, a01);
        const r1 = v128.load(x1 + k);
        a10 = madd(r1, b0, a10);
        a11 = madd(r1, b1, a11);
        const r2 = v128.load(x2 + k);
        a20 = madd(r2, b0, a20);
        a21 = madd(r2, b1, a21);
        const r3 = v128.load(x3 + k);
        a30 = madd(r3, b0, a30);
        a31 = madd(r3, b1, a31);
      }
      let s00 = hsum(a00), s01 = hsum(a01), s10 = hsum(a10), s11 = hsum(a11);
      let s20 = hsum(a20), s21 = hsum(a21), s30 = hsum(a30), s31 = hsum(a31);
      for (let k = K4; k < K; k++) {
        const o = <usize>k << 2;
        const b0 = load<f32>(w0 + o), b1 = load<f32>(w1 + o);
        const v0 = load<f32>(x0 + o), v1 = load<f32>(x1 + o), v2 = load<f32>(x2 + o), v3 = load<f32>(x3 + o);
        s00 += v0 * b0; s01 += v0 * b1;
        s10 += v1 * b0; s11 += v1 * b1;
        s20 += v2 * b0; s21 += v2 * b1;
        s30 += v3 * b0; s31 += v3 * b1;
      }
      const o = <usize>n << 2;
      store<f32>(y0 + o, s00); store<f32>(y0 + o + 4, s01);
      store<f32>(y0 + rowY + o, s10); store<f32>(y0 + rowY + o + 4, s11);
      store<f32>(y0 + 2 * rowY + o, s20); store<f32>(y0 + 2 * rowY + o + 4, s21);
      store<f32>(y0 + 3 * rowY + o, s30); store<f32>(y0 + 3 * rowY + o + 4, s31);
    }
    for (; n < n1; n++) {
      const wn = w + <usize>n * rowX;
      for (let r = 0; r < 4; r++) store<f32>(y0 + <usize>r * rowY + (<usize>n << 2), dot(x0 + <usize>r * rowX, wn, K));
    }
  }
  // Leftover rows, and the whole of a matrix-vector product (M = 1, decoding): one output at a
  // time, so the weight is read front to back in one stream, the pattern memory serves fastest.
  for (; m < M; m++) {
    const xm = x + <usize>m * rowX;
    const ym = y + <usize>m * rowY;
    for (let n = n0; n < n1; n++) store<f32>(ym + (<usize>n << 2), dot(xm, w + <usize>n * rowX, K));
  }
}

/**
 * Y[m, n] = Σₖ X[m, k]·W[k, n] (kind nn or tn) or Σₖ X[m, k]·W[n, k] (nt, bfloat16 W only) for n
 * in [n0, n1), M a multiple of 4. X[m, k] is at x + m·xm + k·xk bytes (X is [M, K], or [K, M] read
 * transposed), Y is [M, N], and row k of a [K, N] W starts ldw numbers after row k − 1.
 *
 * Read in place, a [K, N] W's rows are far apart (a Conv1D weight's are 12 KB), so walking down one
 * column block touches a new page at every k. So the block is first copied into `panel` as strips
 * of 8 columns in float32, each strip's K rows one after another; the tiles then read it front to
 * back. A bfloat16 W is widened on the way into the panel.
 */
function gemm_packed(
  kind: i32, x: usize, w: usize, y: usize, M: i32, K: i32, N: i32, ldw: i32, n0: i32, n1: i32, xm: usize, xk: usize,
  panel: usize, bf16: bool,
): void {
  const rowY = <usize>N << 2;
  const rowW = <usize>ldw << (bf16 ? 1 : 2);
  const n8 = n0 + ((n1 - n0) & ~7);
  const strip = <usize>K << 5;
  if (kind == 0) pack_nt_bf16(w, K, n0, n8, panel);
  else if (bf16) pack_nn_bf16(w, rowW, K, n0, n8, panel);
  else pack_nn(w, rowW, K, n0, n8, panel);
  for (let n = n0; n < n8; n += 8) {
    const p = panel + <usize>((n - n0) >> 3) * strip;
    for (let m = 0; m < M; m += 4) {
      // A 4 × 8 tile: each strip row (two vectors) is used by four rows of X.
      const x0 = x + <usize>m * xm;
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      let pk = p;
      let xq = x0;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pk);
        const b1 = v128.load(pk, 16);
        pk += 32;
        const r0 = v128.load32_splat(xq);
        a00 = madd(r0, b0, a00);
        a01 = madd(r0, b1, a01);
        const r1 = v128.load32_splat(xq + xm);
        a10 = madd(r1, b0, a10);
        a11 = madd(r1, b1, a11);
        const r2 = v128.load32_splat(xq + 2 * xm);
        a20 = madd(r2, b0, a20);
        a21 = madd(r2, b1, a21);
        const r3 = v128.load32_splat(xq + 3 * xm);
        xq += xk;
        a30 = madd(r3, b0, a30);
        a31 = madd(r3, b1, a31);
      }
      const o = y + <usize>m * rowY + (<usize>n << 2);
      v128.store(o, a00); v128.store(o, a01, 16);
      v128.store(o + rowY, a10); v128.store(o + rowY, a11, 16);
      v128.store(o + 2 * rowY, a20); v128.store(o + 2 * rowY, a21, 16);
      v128.store(o + 3 * rowY, a30); v128.store(o + 3 * rowY, a31, 16);
    }
  }
  for (let m = 0; m < M; m++) {
    const xr = x + <usize>m * xm, yr = y + <usize>m * rowY;
    if (kind == 0) gemv_nt_bf16(xr, w, yr, K, n8, n1);
    else if (bf16) axpyRows_bf16(xr, xk, w, yr, K, rowW, n8, n1);
    else axpyRows(xr, xk, w, yr, K, rowW, n8, n1);
  }
}

/** Copies W's columns n0 … n8 − 1 (a multiple of 8 of them) into `panel`: strip s is K rows of 8 floats, K·32 bytes from strip s − 1. */
function pack_nn(w: usize, rowW: usize, K: i32, n0: i32, n8: i32, panel: usize): void {
  const strips = <usize>(n8 - n0) >> 3;
  const strip = <usize>K << 5;
  let wk = w + (<usize>n0 << 2);
  for (let k = 0; k < K; k++) {
    let p = panel + (<usize>k << 5);
    for (let s: usize = 0; s < strips; s++) {
      v128.store(p, v128.load(wk + (s << 5)));
      v128.store(p, v128.load(wk + (s << 5), 16), 16);
      p += strip;
    }
    wk += rowW;
  }
}

/** pack_nn for a bfloat16 W (rowW bytes between rows), widening each number to float32. */
function pack_nn_bf16(w: usize, rowW: usize, K: i32, n0: i32, n8: i32, panel: usize): void {
  const strips = <usize>(n8 - n0) >> 3;
  const strip = <usize>K << 5;
  let wk = w + (<usize>n0 << 1);
  for (let k = 0; k < K; k++) {
    let p = panel + (<usize>k << 5);
    for (let s: usize = 0; s < strips; s++) {
      const v = v128.load(wk + (s << 4));
      v128.store(p, widen_lo(v));
      v128.store(p, widen_hi(v), 16);
      p += strip;
    }
    wk += rowW;
  }
}

/**
 * The panel of pack_nn from a bfloat16 W stored [N, K] (the layout of every weight of a loaded
 * checkpoint): strip s holds rows n0 + 8s … n0 + 8s + 7 of W as its 8 columns. Eight numbers of
 * each row at a time: four rows' worth widened, transposed in registers (a 4 × 4 block of floats)
 * and stored as four panel rows' halves; a number at a time only past the last multiple of 8 of K.
 */
function pack_nt_bf16(w: usize, K: i32, n0: i32, n8: i32, panel: usize): void {
  const rowW = <usize>K << 1;
  const K8 = K & ~7;
  for (let n = n0; n < n8; n += 8) {
    const rows = w + <usize>n * rowW;
    const strip = panel + <usize>((n - n0) >> 3) * (<usize>K << 5);
    for (let k = 0; k < K8; k += 8) {
      const from = rows + (<usize>k << 1), to = strip + (<usize>k << 5);
      pack4x4(from, rowW, false, to);
      pack4x4(from + (rowW << 2), rowW, false, to + 16);
      pack4x4(from, rowW, true, to + 128);
      pack4x4(from + (rowW << 2), rowW, true, to + 144);
    }
    for (let j: usize = 0; j < 8; j++)
      for (let k = K8; k < K; k++) store<f32>(strip + (<usize>k << 5) + (j << 2), bf16_at(rows + j * rowW + (<usize>k << 1)));
  }
}

/**
 * Four rows of bfloat16 (rowW bytes apart), numbers 0–3 of each (4–7 if `high`), as float32 into
 * four panel rows: panel row i (32 bytes after row i − 1) gets number i of the four rows.
 */
// @ts-ignore: decorator
@inline
function pack4x4(from: usize, rowW: usize, high: bool, to: usize): void {
  const a = widen(v128.load(from), high), b = widen(v128.load(from + rowW), high);
  const c = widen(v128.load(from + 2 * rowW), high), d = widen(v128.load(from + 3 * rowW), high);
  const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5), ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5), cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(to, v128.shuffle<i32>(ab0, cd0, 0, 1, 4, 5));
  v128.store(to + 32, v128.shuffle<i32>(ab0, cd0, 2, 3, 6, 7));
  v128.store(to + 64, v128.shuffle<i32>(ab1, cd1, 0, 1, 4, 5));
  v128.store(to + 96, v128.shuffle<i32>(ab1, cd1, 2, 3, 6, 7));
}

// @ts-ignore: decorator
@inline
function widen(v: v128, high: bool): v128 {
  return high ? widen_hi(v) : widen_lo(v);
}

/**
 * One row of gemm_nn (decoding): Y[n] = Σₖ X[k]·W[k, n]. The output range stays in the L1
 * cache while the rows of W stream through it one after another, front to back: the order in
 * which memory is fastest to read.
 */
function gemv_nn(x: usize, xk: usize, w: usize, y: usize, K: i32, rowW: usize, n0: i32, n1: i32): void {
  const n16 = n0 + ((n1 - n0) & ~15);
  const yb = y + (<usize>n0 << 2);
  const bytes = <usize>(n16 - n0) << 2;
  memory.fill(yb, 0, bytes);
  let wk = w + (<usize>n0 << 2);
  for (let k = 0; k < K; k++) {
    const r = f32x4.splat(load<f32>(x + <usize>k * xk));
    for (let o: usize = 0; o < bytes; o += 64) {
      v128.store(yb + o, madd(r, v128.load(wk + o), v128.load(yb + o)));
      v128.store(yb + o, madd(r, v128.load(wk + o, 16), v128.load(yb + o, 16)), 16);
      v128.store(yb + o, madd(r, v128.load(wk + o, 32), v128.load(yb + o, 32)), 32);
      v128.store(yb + o, madd(r, v128.load(wk + o, 48), v128.load(yb + o, 48)), 48);
    }
    wk += rowW;
  }
  axpyRows(x, xk, w, y, K, rowW, n16, n1);
}

/** gemv_nn for a bfloat16 W (rowW bytes between rows): 16 columns, two loads, widened in registers. */
function gemv_nn_bf16(x: usize, xk: usize, w: usize, y: usize, K: i32, rowW: usize, n0: i32, n1: i32): void {
  const n16 = n0 + ((n1 - n0) & ~15);
  const yb = y + (<usize>n0 << 2);
  const bytes = <usize>(n16 - n0) << 2;
  memory.fill(yb, 0, bytes);
  let wk = w + (<usize>n0 << 1);
  for (let k = 0; k < K; k++) {
    const r = v128.load32_splat(x + <usize>k * xk);
    for (let o: usize = 0; o < bytes; o += 64) {
      const a = v128.load(wk + (o >> 1)), b = v128.load(wk + (o >> 1), 16);
      v128.store(yb + o, madd(r, widen_lo(a), v128.load(yb + o)));
      v128.store(yb + o, madd(r, widen_hi(a), v128.load(yb + o, 16)), 16);
      v128.store(yb + o, madd(r, widen_lo(b), v128.load(yb + o, 32)), 32);
      v128.store(yb + o, madd(r, widen_hi(b), v128.load(yb + o, 48)), 48);
    }
    wk += rowW;
  }
  axpyRows_bf16(x, xk, w, y, K, rowW, n16, n1);
}

/** Y[n] = Σₖ X[k]·W[n, k] for n in [n0, n1), W bfloat16 [N, K]: the head when decoding, one row of W after another. */
function gemv_nt_bf16(x: usize, w: usize, y: usize, K: i32, n0: i32, n1: i32): void {
  const rowW = <usize>K << 1;
  for (let n = n0; n < n1; n++) store<f32>(y + (<usize>n << 2), dot_bf16(x, w + <usize>n * rowW, K));
}

/** Y[n] = Σₖ X[k]·W[k, n] for n in [n0, n1) (X[k] at x + k·xk), one scalar column at a time (the tails of gemm_nn). */
function axpyRows(x: usize, xk: usize, w: usize, y: usize, K: i32, rowW: usize, n0: i32, n1: i32): void {
  for (let n = n0; n < n1; n++) {
    let s: f32 = 0;
    let wk = w + (<usize>n << 2);
    let xq = x;
    for (let k = 0; k < K; k++) {
      s += load<f32>(xq) * load<f32>(wk);
      wk += rowW;
      xq += xk;
    }
    store<f32>(y + (<usize>n << 2), s);
  }
}

/** axpyRows for a bfloat16 W (rowW bytes between rows). */
function axpyRows_bf16(x: usize, xk: usize, w: usize, y: usize, K: i32, rowW: usize, n0: i32, n1: i32): void {
  for (let n = n0; n < n1; n++) {
    let s: f32 = 0;
    let wk = w + (<usize>n << 1);
    let xq = x;
    for (let k = 0; k < K; k++) {
      s += load<f32>(xq) * bf16_at(wk);
      wk += rowW;
      xq += xk;
    }
    store<f32>(y + (<usize>n << 2), s);
  }
}

/** Σₖ a[k]·b[k] over K numbers, a float32 and b bfloat16: 16 at a time, b widened in registers. */
function dot_bf16(a: usize, b: usize, K: i32): f32 {
  const K16 = K & ~15;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let k: usize = 0; k < <usize>K16; k += 16) {
    const u = v128.load(b + (k << 1)), v = v128.load(b + (k << 1), 16);
    c0 = madd(v128.load(a + (k << 2)), widen_lo(u), c0);
    c1 = madd(v128.load(a + (k << 2), 16), widen_hi(u), c1);
    c2 = madd(v128.load(a + (k << 2), 32), widen_lo(v), c2);
    c3 = madd(v128.load(a + (k << 2), 48), widen_hi(v), c3);
  }
  let s = hsum(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)));
  for (let j = K16; j < K; j++) s += load<f32>(a + (<usize>j << 2)) * bf16_at(b + (<usize>j << 1));
  return s;
}

/** Σₖ a[k]·b[k] over K floats, with four independent sums so the additions overlap. */
function dot(a: usize, b: usize, K: i32): f32 {
  const K16 = K & ~15;
  const K4 = K & ~3;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let k: usize = 0;
  for (; k < <usize>K16 << 2; k += 64) {
    c0 = madd(v128.load(a + k), v128.load(b + k), c0);
    c1 = madd(v128.load(a + k, 16), v128.load(b + k, 16), c1);
    c2 = madd(v128.load(a + k, 32), v128.load(b + k, 32), c2);
    c3 = madd(v128.load(a + k, 48), v128.load(b + k, 48), c3);
  }
  for (; k < <usize>K4 << 2; k += 16) c0 = madd(v128.load(a + k), v128.load(b + k), c0);
  let s = hsum(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)));
  for (let j = K4; j < K; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

/**
 * Y = softmax(X) over one row of n floats, shifted by the row's maximum so that exp never
 * overflows; a row of −∞ (nothing to attend to) gives zeros, as the JavaScript path does.
 */
function softmax_row(x: usize, y: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2, bytes = <usize>n << 2;
  const m = row_max(x, n);
  if (m == -Infinity) {
    memory.fill(y, 0, bytes);
    return;
  }
  const mm = f32x4.splat(m);
  let sv = f32x4.splat(0);
  for (let o: usize = 0; o < n4; o += 16) {
    const e = expv(f32x4.sub(v128.load(x + o), mm));
    v128.store(y + o, e);
    sv = f32x4.add(sv, e);
  }
  let s = hsum(sv);
  for (let o = n4; o < bytes; o += 4) {
    const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(x + o) - m)), 0);
    store<f32>(y + o, e);
    s += e;
  }
  const inv = f32x4.splat(<f32>1 / s);
  for (let o: usize = 0; o < n4; o += 16) v128.store(y + o, f32x4.mul(v128.load(y + o), inv));
  for (let o = n4; o < bytes; o += 4) store<f32>(y + o, load<f32>(y + o) * f32x4.extract_lane(inv, 0));
}

/**
 * Y = [m, Σ exp(x − m)] for one row of n floats, m its maximum, so that no exp overflows. A row of
 * −∞ gives [−∞, 1] (shift_row makes it −∞ throughout); a +∞ or a NaN gives a sum of NaN.
 */
function shifted_sum_row(x: usize, y: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2, bytes = <usize>n << 2;
  const m = row_max(x, n);
  store<f32>(y, m);
  if (m == -Infinity) {
    store<f32>(y, 1, 4);
    return;
  }
  const mm = f32x4.splat(m);
  let sv = f32x4.splat(0);
  for (let o: usize = 0; o < n4; o += 16) sv = f32x4.add(sv, expv(f32x4.sub(v128.load(x + o), mm)));
  let s = hsum(sv);
  for (let o = n4; o < bytes; o += 4) s += f32x4.extract_lane(expv(f32x4.splat(load<f32>(x + o) - m)), 0);
  store<f32>(y, s, 4);
}

/**
 * Y = (x − m) − L for one row of n floats, with [m, L] at `pair`: m the row's maximum and L the log
 * of Σ exp(x − m). In this order, not x − (m + L): m + L rounded to float32 is off by up to 3·10⁻⁵
 * at 1,000, which a loss would show. A row of −∞ stays −∞ (the log of softmax's zeros).
 */
function shift_row(x: usize, pair: usize, y: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2, bytes = <usize>n << 2;
  const m = load<f32>(pair), L = load<f32>(pair, 4);
  if (m == -Infinity) {
    for (let o: usize = 0; o < bytes; o += 4) store<f32>(y + o, -Infinity);
    return;
  }
  const mm = f32x4.splat(m), LL = f32x4.splat(L);
  for (let o: usize = 0; o < n4; o += 16) v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o), mm), LL));
  for (let o = n4; o < bytes; o += 4) store<f32>(y + o, load<f32>(x + o) - m - L);
}

/** The largest of one row of n floats (−∞ for none; NaN if the row holds one). */
function row_max(x: usize, n: i32): f32 {
  const n4 = <usize>(n & ~3) << 2, bytes = <usize>n << 2;
  let mv = f32x4.splat(-Infinity);
  for (let o: usize = 0; o < n4; o += 16) mv = f32x4.max(mv, v128.load(x + o));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let o = n4; o < bytes; o += 4) m = max(m, load<f32>(x + o));
  return m;
}

/**
 * X[i] = X[i] op W[i mod n] for i in [i0, i1): W is one number (n = 1), a row, or as long as X.
 * Each stretch of X that lines up with W runs in one SIMD loop.
 */
function binary_span(op: i32, x: usize, w: usize, i0: i32, i1: i32, n: i32): void {
  if (n == 1) {
    with_number(op, x + (<usize>i0 << 2), load<f32>(w), i1 - i0);
    return;
  }
  for (let i = i0, j = i0 % n; i < i1; i += n - j, j = 0)
    with_row(op, x + (<usize>i << 2), w + (<usize>j << 2), min(n - j, i1 - i));
}

/** x[t] = x[t] op w[t] for t < count. One loop per operation, so no loop asks which it is at every step. */
function with_row(op: i32, x: usize, w: usize, count: i32): void {
  const bytes = <usize>count << 2, bytes4 = <usize>(count & ~3) << 2;
  let o: usize = 0;
  if (op == OP_ADD) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.add(v128.load(x + o), v128.load(w + o)));
  else if (op == OP_SUB) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.sub(v128.load(x + o), v128.load(w + o)));
  else if (op == OP_MUL) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.mul(v128.load(x + o), v128.load(w + o)));
  else for (; o < bytes4; o += 16) v128.store(x + o, f32x4.div(v128.load(x + o), v128.load(w + o)));
  for (; o < bytes; o += 4) store<f32>(x + o, apply(op, load<f32>(x + o), load<f32>(w + o)));
}

/** x[t] = x[t] op b for t < count. */
function with_number(op: i32, x: usize, b: f32, count: i32): void {
  const bytes = <usize>count << 2, bytes4 = <usize>(count & ~3) << 2;
  const v = f32x4.splat(b);
  let o: usize = 0;
  if (op == OP_ADD) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.add(v128.load(x + o), v));
  else if (op == OP_SUB) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.sub(v128.load(x + o), v));
  else if (op == OP_MUL) for (; o < bytes4; o += 16) v128.store(x + o, f32x4.mul(v128.load(x + o), v));
  else for (; o < bytes4; o += 16) v128.store(x + o, f32x4.div(v128.load(x + o), v));
  for (; o < bytes; o += 4) store<f32>(x + o, apply(op, load<f32>(x + o), b));
}

// @ts-ignore: decorator
@inline
function apply(op: i32, a: f32, b: f32): f32 {
  return op == OP_ADD ? a + b : op == OP_SUB ? a - b : op == OP_MUL ? a * b : a / b;
}

/**
 * Y = tanh(X) for n floats: tanh|x| = (1 − e)/(1 + e) with e = e^(−2|x|), the sign put back;
 * near 0, where 1 − e loses digits, its Taylor series to x⁷ (below 1/16 the next term is under
 * 1e-11 of the result). Within 4e-7 relative of Math.tanh (a few float32 steps; measured over
 * [−6, 6]); ±∞ give ±1, −0 stays −0 and NaN stays NaN.
 */
function tanh_span(x: usize, y: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2, bytes = <usize>n << 2;
  for (let o: usize = 0; o < n4; o += 16) v128.store(y + o, tanhv(v128.load(x + o)));
  for (let o = n4; o < bytes; o += 4) store<f32>(y + o, f32x4.extract_lane(tanhv(f32x4.splat(load<f32>(x + o))), 0));
}

// @ts-ignore: decorator
@inline
function tanhv(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = expv(f32x4.mul(a, f32x4.splat(-2)));
  const far = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
  const a2 = f32x4.mul(a, a);
  let p = f32x4.splat(-17.0 / 315.0);
  p = f32x4.add(f32x4.mul(p, a2), f32x4.splat(2.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, a2), f32x4.splat(-1.0 / 3.0));
  const near = f32x4.add(f32x4.mul(f32x4.mul(p, a2), a), a);
  const t = v128.bitselect(near, far, f32x4.lt(a, f32x4.splat(0.0625)));
  return v128.or(t, v128.and(x, f32x4.splat(-0.0))); // |tanh x| with x's sign bit
}

/**
 * e^x on four lanes for x ≤ 0 (softmax's shifted scores), to about 1e-7 relative: Cephes' expf.
 * e^x = 2ⁿ·e^r with n = round(x·log₂e) and |r| ≤ ln2/2, e^r by a polynomial, 2ⁿ by building the
 * float's exponent bits. Below −87.3 (e^x under float32's smallest normal number, and −∞) the
 * result is 0; NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(-87.33654));
  const xc = f32x4.max(x, f32x4.splat(-87.33654));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const er = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(er, scale), tiny);
}

/**
 * `rounds` × 12 multiply-adds of four lanes (96 floating-point operations a round) on registers
 * alone. Twelve independent sums keep both of a core's multiply-add units busy through each one's
 * latency; they start apart so that no optimizer merges them into one.
 */
function ceiling(rounds: i32): f32 {
  const m = f32x4.splat(0.9999999), c = f32x4.splat(1e-7);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < rounds; i++) {
    a0 = madd(a0, m, c);
    a1 = madd(a1, m, c);
    a2 = madd(a2, m, c);
    a3 = madd(a3, m, c);
    a4 = madd(a4, m, c);
    a5 = madd(a5, m, c);
    a6 = madd(a6, m, c);
    a7 = madd(a7, m, c);
    a8 = madd(a8, m, c);
    a9 = madd(a9, m, c);
    a10 = madd(a10, m, c);
    a11 = madd(a11, m, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return hsum(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
}

/**
 * a·b + c on four lanes: one fused multiply-add where the build has relaxed SIMD (gemm-relaxed.wasm;
 * rounded once, so results differ from the plain build's in the last bits), else a multiply and an add.
 */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The first four bfloat16 numbers of v as float32: each 16 bits become the top half of a 32-bit lane. */
// @ts-ignore: decorator
@inline
function widen_lo(v: v128): v128 {
  return v128.shuffle<i16>(i32x4.splat(0), v, 0, 8, 1, 9, 2, 10, 3, 11);
}

/** The last four bfloat16 numbers of v as float32. */
// @ts-ignore: decorator
@inline
function widen_hi(v: v128): v128 {
  return v128.shuffle<i16>(i32x4.splat(0), v, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** The bfloat16 number at p, as float32. */
// @ts-ignore: decorator
@inline
function bf16_at(p: usize): f32 {
  return reinterpret<f32>(<u32>load<u16>(p) << 16);
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
