// Which kernels the framework's matrix products run on. WebAssembly SIMD on every core by
// default; GPT2_KERNELS=js (or useKernels("js")) selects the plain JavaScript loops, and
// GPT2_THREADS=N (or useKernels("wasm", N)) the number of threads.
import type { Kernels } from "./gemm-job.ts";
import { jsKernels } from "./js.ts";
import { createWasmKernels, defaultThreads } from "./wasm.ts";

export type { GemmJob, Kernels } from "./gemm-job.ts";

let active: Kernels | undefined;

/** The kernels in use, started on first use. */
export function kernels(): Kernels {
  active ??= process.env.GPT2_KERNELS === "js" ? jsKernels : createWasmKernels(defaultThreads());
  return active;
}

/**
 * Chooses the kernels for what follows (the CLIs' --threads). Tensors already placed in wasm
 * memory stay readable by either backend.
 */
export function useKernels(backend: "wasm" | "js", threads = defaultThreads()): Kernels {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`useKernels: threads must be a whole number ≥ 1, got ${threads}`);
  active?.close();
  active = backend === "js" ? jsKernels : createWasmKernels(threads);
  return active;
}
